"""The document scope of `symbackprop audit`: local names, numbers the document fixes,
continuation rows, and numeric claims judged against exact values."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest

from symbackprop.audit.auditor import AuditRow, audit, shares
from symbackprop.audit.text import asides, pieces, split_rows
from symbackprop.model.spec import preset
from symbackprop.verify.claim import context

NOTE_START = """# A note
Input $s(x_1, x_2) = (2, 3)$ ; target $\\bar{s} = 1$

Weight\tValue
$w_1$\t0.11
$w_2$\t-0.21 0.12
$w_3$\t0.21
$w_4$\t0.08
$w_5$\t0.14
$w_6$\t0.15

"""
BODY = NOTE_START.count("\n") + 1  # the line a body given to note_audit starts on


def note_audit(body: str) -> list[AuditRow]:
    return audit(context(preset("note")), NOTE_START + body)


def only(rows: list[AuditRow], line: int) -> list[AuditRow]:
    return [r for r in rows if r.line == line]


def y_hat() -> mpmath.mpf:
    """The note's forward pass in 60-digit mpmath (independent of SymPy): h_1, h_2, y-hat."""
    x1, x2 = mpmath.mpf(2), mpmath.mpf(3)
    w = {
        k: mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator
        for k, v in {1: "0.11", 2: "0.12", 3: "0.21", 4: "0.08", 5: "0.14", 6: "0.15"}.items()
    }
    h1, h2 = x1 * w[1] + x2 * w[3], x1 * w[2] + x2 * w[4]
    return h1 * w[5] + h2 * w[6]


def test_numbers_the_document_fixes_inputs_target_table_and_prose_rate() -> None:
    rows = note_audit(
        "$$w_{6,new} = w_{6,old} - \\alpha \\Delta h_2 \\quad (\\text{we guess the learning rate} "
        "= 0.05)$$\n"
    )
    fixed = [r.detail for r in rows if r.status == "fixes"]
    assert fixed[:2] == ["fixes x_{1} = 2, x_{2} = 3", "fixes \\bar{y} = 1"]
    assert "fixes w_{2} = 0.12" in fixed  # a cell with a crossed-out value counts its last number
    assert "fixes \\alpha = 0.05" in fixed
    assert [
        r for r in rows if r.line == BODY and r.status == "holds"
    ]  # the update itself, without the aside


def test_a_numeric_claim_gets_the_exact_value_rounded_as_written() -> None:
    truth = y_hat()  # 0.191
    assert abs(truth - mpmath.mpf("0.191")) < mpmath.mpf(10) ** -50
    rows = note_audit(
        "$$\\hat{y} = h_1 w_5 + h_2 w_6 = 0.19$$\n\n$$\\hat{y} = 0.20$$\n\n$$\\hat{y} = 0.191$$\n"
    )
    first, wrong, exact = rows[-3:]
    assert first.status == "holds" and "equal only after rounding" in first.detail
    assert wrong.status == "does not hold" and "to 2 decimals 0.19" in wrong.detail
    assert exact.status == "holds" and "equal only after rounding" not in exact.detail


def test_values_never_fixed_are_reported_missing() -> None:
    rows = audit(context(preset("note")), "$$h_1 = x_1 w_1 + x_2 w_3$$\n\n$$\\hat{y} = 0.19$$\n")
    assert rows[0].status == "holds"
    assert (
        rows[1].status == "fixes"
        and "fixes no value for" in rows[1].detail
        and "x_{1}" in rows[1].detail
    )


def test_a_claim_right_only_with_the_documents_rounded_values_says_so() -> None:
    # exact: w_6 - 0.05 (0.191 - 1) 0.48 = 0.169416; with the note's rounded 0.19: 0.16944
    rows = note_audit(
        "$$\\hat{y} = 0.19$$\n\n$$w_{6,new} = w_{6,old} - \\alpha \\Delta h_2 \\quad (\\text{the "
        "learning rate} = 0.05)$$\n\n"
        "$$= 0.16944$$\n"
    )
    last = rows[-1]
    assert last.status == "does not hold" and "0.169416" in last.detail
    assert "holds only with the document's rounded values (\\hat{y} = 0.19" in last.detail


def test_where_clauses_define_or_check_and_never_become_the_left_side() -> None:
    rows = note_audit(
        "$$\\frac{\\partial \\text{Error}}{\\partial w_6} = (\\text{prediction} - \\text{actual}) "
        "\\cdot h_2 ; \\text{ where } h_2 = x_1 w_2 + x_2 w_4$$\n\n"
        "$$= \\Delta h_2 ; \\text{ where } \\Delta = \\text{Prediction} - \\text{actual}$$\n\n"
        "$$= (\\text{prediction} - \\text{actual}) \\cdot q ; \\text{ where } q = x_1 w_2 + x_2 "
        "w_4$$\n"
    ).copy()
    body = [r for r in rows if r.line >= BODY]
    assert [(r.status, r.kind) for r in body] == [
        ("holds", "gradient"),
        ("holds", "equation"),  # the where clause on a network name is a claim
        ("holds", "gradient"),
        ("holds", "equation"),
        ("defines", ""),
        ("holds", "gradient"),  # q: a local name, defined first, then used
    ]


def test_local_names_alias_and_chain_rule_definitions() -> None:
    doc = (
        "If we define $y = u^2$, $u = \\hat{y} - \\bar{y}$, and $x = w_6$, then "
        "$\\frac{\\partial y}{\\partial x} = \\frac{\\partial y}{\\partial u} \\cdot "
        "\\frac{\\partial u}{\\partial x}$ "
        "and $\\frac{\\partial y}{\\partial x} = 3u h_2$.\n"
    )
    rows = audit(context(preset("note")), doc)
    assert [r.status for r in rows] == ["defines", "defines", "defines", "holds", "does not hold"]
    assert [r.equation for r in rows[:3]] == [
        "u = \\hat{y} - \\bar{y}",
        "x = w_6",
        "y = u^2",
    ]  # y waits for u
    assert "another name for w_6" in rows[1].detail
    claimed, _, true = rows[4].detail.rpartition(": claim ")[2].partition(", true ")
    assert (
        abs(mpmath.mpf(claimed) / mpmath.mpf(true) - 1.5) < 1e-5
    )  # 3u h_2 is 3/2 of dy/dx = 2u h_2 (counterexamples show 6 significant digits)


def test_sections_and_neq_end_local_names() -> None:
    doc = (
        "$q = h_1$\n\n$$\\frac{\\partial q}{\\partial w_1} = x_1$$\n\n# "
        "Next\n\n$$\\frac{\\partial q}{\\partial w_1} = x_1$$\n\n"
    )
    doc += "$r = w_1$, and then $r \\neq w_1$, so $\\frac{\\partial r}{\\partial w_1} = 1$\n"
    rows = audit(context(preset("note")), doc)
    assert [r.status for r in rows] == [
        "defines",
        "holds",
        "unreadable",
        "defines",
        "no claim",
        "unreadable",
    ]
    assert "unknown symbol q" in rows[2].detail
    assert "r is no longer defined: line 9 says r \\neq" in rows[5].detail


def test_continuation_rows_keep_their_equation_unless_the_text_moved_on() -> None:
    rows = note_audit(
        "- $h_1 = x_1 w_1 + x_2 w_3$ ; multiplied\n $= (2 \\times 0.11) + (3 \\times 0.21)$\n $= "
        "0.85$\n\n$$h_2 = x_1 w_2 + x_2 w_4$$\n\n"
        "This is like $[a] = b$ here.\n\n$$= 0.86$$\n\nNow about $w_5$ and $w_6$.\n\n$$= 0.11$$\n"
    )
    body = [r for r in rows if r.line >= BODY]
    assert [r.status for r in body[:3]] == ["holds", "holds", "holds"]
    assert body[3].status == "holds"
    assert (
        body[4].status == "does not hold"
    )  # the inline aside [a] = b: a statement of calculus in free a, b
    assert (
        body[5].status == "does not hold" and "0.48" in body[5].detail
    )  # continues h_2, past the inline aside
    assert body[6].status == "unreadable" and "no equation to continue" in body[6].detail


def test_vectors_the_document_fixes_and_their_dot_product() -> None:
    doc = (
        "Take $\\vec{u} = (0.7, 0.1, 0.4)$ and $b = -0.5$ and $\\vec{w} = (0.6, 1.2, -0.2)$.\n\n"
        "$$\\begin{aligned} v &= \\sigma(\\vec{w} \\cdot \\vec{u} + b) \\\\ v &= "
        "\\sigma\\left(\\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}\\right) \\\\"
        " v &= \\sigma(-0.04) \\\\ v &\\approx 0.490 \\\\ v &\\approx 0.49 \\\\ v &= 0.48 "
        "\\end{aligned}$$\n"
    )
    rows = audit(context(preset("essay")), doc)
    statuses = [r.status for r in rows]
    # v = sigma(w . u + b) defines v; sigma of a column vector is refused with a reason
    assert statuses == [
        "defines",
        "defines",
        "defines",
        "defines",
        "unreadable",
        "holds",
        "holds",
        "holds",
        "does not hold",
    ]
    assert "applied to a vector" in rows[4].detail
    sigma = 1 / (1 + mpmath.e ** mpmath.mpf("0.04"))
    assert mpmath.nstr(sigma, 6) in rows[-1].detail  # 0.490001: checked against the exact value


def test_pieces_tables_headings_and_asides() -> None:
    text = (
        "# Title\n\nA\t$w_1$\t0.1 0.2\n\n3 The Error Function\n\n$$a = b \\quad (\\text{the "
        "learning rate} = 0.5)$$\n"
    )
    kinds = [(p.line, p.kind, p.text) for p in pieces(text)]
    assert kinds[0] == (1, "heading", "# Title")
    assert kinds[1][:2] == (3, "table") and kinds[1][2] == "w_1 = 0.2"
    assert kinds[2] == (5, "heading", "3 The Error Function")
    assert asides("a = b \\quad (\\text{the learning rate} = 0.5)") == (
        "a = b \\quad ",
        ["\\text{the learning rate} = 0.5"],
    )
    assert split_rows("a &= \\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix} \\\\ b &= c") == [
        "a &= \\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix} ",
        " b &= c",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "$$\\frac{1}{$$",
        "$x = $",
        "$$= 1$$",
        "\t$w_1$\t1\t",
        "$$\\begin{aligned} a \\\\ \\end{aligned}$$",
    ],
)
def test_odd_documents_give_rows_never_a_traceback(text: str) -> None:
    rows = audit(context(preset("note")), text)
    assert all(
        r.status
        in ("unreadable", "no claim", "fixes", "holds", "does not hold", "undecided", "defines")
        for r in rows
    )
    assert shares(rows)["found"] >= shares(rows)["understood"]


def test_the_callers_context_is_left_as_it_was() -> None:
    ctx = context(preset("note"))
    before = dict(ctx.scope.definitions)
    rows = audit(ctx, "$q = h_1 + 1$ and $\\frac{\\partial q}{\\partial w_1} = x_1$\n")
    assert [r.status for r in rows] == ["defines", "holds"]
    assert ctx.scope.definitions == before and ctx.fixed == ()


def test_a_generic_name_that_holds_for_some_parameters_only_is_undecided() -> None:
    from symbackprop.audit.auditor import _cases
    from symbackprop.verify.claim import Outcome

    def out(binding: str, verdict: str, generic: bool = True) -> Outcome:
        return Outcome("s", "c", "equation", "", binding, verdict, generic=generic)

    mixed = [out("w_z=a", "holds"), out("w_z=b", "does not hold")]
    assert _cases(mixed) == "holds for w_z=a, does not hold for w_z=b (the case is stated in prose)"
    assert (
        _cases([out("w_z=a", "does not hold"), out("w_z=b", "does not hold")]) == ""
    )  # wrong for every case
    assert (
        _cases([out("o=1", "holds", False), out("o=2", "does not hold", False)]) == ""
    )  # an index claim must hold for all


def test_a_lone_cases_list_is_no_claim_but_a_bad_cases_equation_is_unreadable() -> None:
    doc = (
        "stop at $\\begin{cases} \\text{a number of steps} \\\\ \\text{error} \\leq 10^{-6}"
        " \\end{cases}$\n\n"
        "$$y = \\begin{cases} 1 \\\\ 0 \\end{cases}$$\n"
    )
    rows = audit(context(preset("note")), doc)
    assert [(r.status, r.line) for r in rows] == [("no claim", 1), ("unreadable", 3)]
    assert "list with no equation" in rows[0].detail
    assert "value & condition" in rows[1].detail
