"""Statements of calculus, ordinary derivatives, Maren's forms, alternatives, vectors, series and ∇.

Every verdict on a statement of calculus is cross-checked against an independent reference:
the same identity evaluated by hand-written mpmath code (mpmath.diff for the derivatives) at
random points, 60 digits. Network statements read in the new ways are checked against
central differences of the error.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import mpmath
import pytest
import sympy as sp

from symbackprop.cli.main import main
from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import preset
from symbackprop.verify.claim import Claim, claim_clauses, context, steps_of
from symbackprop.verify.resolver import resolver
from symbackprop.verify.steps import verify
from tests.helpers import central_difference, close, random_point, value

CTX = {name: context(preset(name)) for name in ("sears-xor", "maren", "essay", "note")}
ALPHA = mpmath.mpf(13) / 10  # the gain in the mpmath references below


def verdicts(spec: str, latex: str, **kw: object) -> list[str]:
    return [o.verdict for o in verify(CTX[spec], Claim(latex, **kw), strict=False)]  # type: ignore[arg-type]


ONE = mpmath.mpf(1)


def sig(x: mpmath.mpf, a: mpmath.mpf = ONE) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-a * x))


# (spec, LaTeX, left side, right side) as functions of x (and a, the free variable a) in mpmath.
F = lambda t: t**3 - 2 * t + 1  # noqa: E731 - sample functions for the chain rule's f and g
G = lambda t: 2 * t**2 + t  # noqa: E731
REFERENCE: list[tuple[str, str, Callable[..., mpmath.mpf], Callable[..., mpmath.mpf]]] = [
    (
        "maren",
        r"\frac{1}{2} \frac{dx^2}{dx} = x",
        lambda x, a: mpmath.diff(lambda t: t**2, x) / 2,
        lambda x, a: x,
    ),
    (
        "maren",
        r"\frac{d(a - x)}{dx} = -1",
        lambda x, a: mpmath.diff(lambda t: a - t, x),
        lambda x, a: -1,
    ),
    (
        "maren",
        r"\frac{d(a - x)}{dx} = 1",
        lambda x, a: mpmath.diff(lambda t: a - t, x),
        lambda x, a: 1,
    ),
    (
        "note",
        r"\frac{d}{dx} (x^3) = 3x^2",
        lambda x, a: mpmath.diff(lambda t: t**3, x),
        lambda x, a: 3 * x**2,
    ),
    (
        "note",
        r"\frac{d}{dx} (x^3) = 3x",
        lambda x, a: mpmath.diff(lambda t: t**3, x),
        lambda x, a: 3 * x,
    ),
    (
        "note",
        r"d/dx (a x^2) = 2 a x",
        lambda x, a: mpmath.diff(lambda t: a * t**2, x),
        lambda x, a: 2 * a * x,
    ),
    (
        "essay",
        r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        lambda x, a: sig(x),
        lambda x, a: 1 / (1 + mpmath.exp(-x)),
    ),
    (
        "essay",
        r"\sigma(x) = \frac{1}{1 + e^{x}}",
        lambda x, a: sig(x),
        lambda x, a: 1 / (1 + mpmath.exp(x)),
    ),
    (
        "essay",
        r"\frac{\partial}{\partial x} (\sigma(x)) = \frac{e^{-x}}{(1 + e^{-x})^2}",
        lambda x, a: mpmath.diff(sig, x),
        lambda x, a: mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2,
    ),
    (
        "essay",
        r"\frac{\partial}{\partial x} (\sigma(x)) = -(1 + e^{-x})^{-2} (-e^{-x})",
        lambda x, a: mpmath.diff(sig, x),
        lambda x, a: -((1 + mpmath.exp(-x)) ** -2) * (-mpmath.exp(-x)),
    ),
    (
        "sears-xor",
        r"\varphi_x = \frac{1}{1 + e^{-x}}",
        lambda x, a: sig(x),
        lambda x, a: 1 / (1 + mpmath.exp(-x)),
    ),
    (
        "maren",
        r"\mathcal{F}(x) = \frac{1}{1 + \exp(-\alpha x)}",
        lambda x, a: sig(x, ALPHA),
        lambda x, a: sig(x, ALPHA),
    ),
    (
        "maren",
        r"\mathcal{F}(x) = \frac{1}{1 + \exp(-x)}",
        lambda x, a: sig(x, ALPHA),
        lambda x, a: sig(x),
    ),
    (
        "note",
        r"[f(g(x))]' = f'(g(x)) \cdot g'(x)",
        lambda x, a: mpmath.diff(lambda t: F(G(t)), x),
        lambda x, a: mpmath.diff(F, G(x)) * mpmath.diff(G, x),
    ),
    (
        "note",
        r"[f(g(x))]' = f'(x) \cdot g'(x)",
        lambda x, a: mpmath.diff(lambda t: F(G(t)), x),
        lambda x, a: mpmath.diff(F, x) * mpmath.diff(G, x),
    ),
]


def _agrees(lhs: Callable[..., mpmath.mpf], rhs: Callable[..., mpmath.mpf]) -> bool:
    rng = random.Random(7)
    for _ in range(3):
        x, a = (mpmath.mpf(rng.randint(-900, 900)) / rng.randint(300, 700) for _ in range(2))
        if not close(mpmath.mpf(lhs(x, a)), mpmath.mpf(rhs(x, a)), rel=1e-20):
            return False
    return True


@pytest.mark.parametrize(("spec", "latex", "lhs", "rhs"), REFERENCE, ids=[r[1] for r in REFERENCE])
def test_calculus_verdict_agrees_with_mpmath(
    spec: str, latex: str, lhs: Callable[..., mpmath.mpf], rhs: Callable[..., mpmath.mpf]
) -> None:
    if spec == "maren":  # the spec's gain is symbolic: evaluate the reference at the one gain ALPHA
        ctx = CTX[spec]
        assert ctx.scope.net.gain is not None
    expected = "holds" if _agrees(lhs, rhs) else "does not hold"
    outcomes = verify(CTX[spec], Claim(latex), strict=True)
    assert [o.verdict for o in outcomes] == [expected], [o.diagnosis for o in outcomes]
    if expected == "does not hold":
        assert outcomes[0].counterexample.startswith(("for ", "at ", "claim "))


def test_the_references_disagree_where_the_claims_are_wrong() -> None:
    wrong = [latex for _, latex, lhs, rhs in REFERENCE if not _agrees(lhs, rhs)]
    assert len(wrong) == 5  # the tests above check both verdicts, not only "holds"


def test_wrong_chain_rule_counterexample_names_the_functions() -> None:
    (o,) = verify(CTX["note"], Claim(r"[f(g(x))]' = f'(x) \cdot g'(x)"))
    assert o.verdict == "does not hold" and o.kind == "calculus"
    assert o.counterexample.startswith("for f(t1) = ") and "g(t1) = " in o.counterexample


# -- names the statement differentiates, and definitions --------------------------------------


def test_chain_rule_with_dependent_names_holds() -> None:
    for latex in (
        r"\frac{\partial y}{\partial x} = \frac{\partial y}{\partial u} \cdot \frac{\partial "
        r"u}{\partial x}",
        r"dy/dx = dy/du \cdot du/dx",
    ):
        assert verdicts("essay", latex) == ["holds"]


def test_a_missing_chain_rule_factor_is_not_an_identity() -> None:
    (o,) = verify(
        CTX["essay"], Claim(r"\frac{\partial y}{\partial x} = \frac{\partial y}{\partial u}")
    )
    assert o.verdict == "undecided" and "an identity only for some y" in o.remark


def test_a_derivative_of_an_undefined_name_is_undecided_until_bound() -> None:
    claim = r"\partial y / \partial x = \alpha y [1 - y]"
    (o,) = verify(CTX["maren"], Claim(claim))
    assert o.verdict == "undecided" and "the statement does not define them" in o.remark
    bound = Claim(claim, bind=(("y", r"\frac{1}{1 + \exp(-\alpha x)}"),))
    assert [x.verdict for x in verify(CTX["maren"], bound)] == ["holds"]
    wrong = Claim(claim, bind=(("y", r"\frac{1}{1 + \exp(-x)}"),))
    assert [x.verdict for x in verify(CTX["maren"], wrong)] == ["does not hold"]


def test_a_chain_starting_with_a_new_name_defines_it() -> None:
    good = verify(
        CTX["maren"], Claim(r"y = \frac{1}{1 + \exp(-\alpha x)} = (1 + \exp(-\alpha x))^{-1}")
    )
    assert [(o.kind, o.verdict) for o in good] == [("definition", "holds"), ("calculus", "holds")]
    bad = verify(
        CTX["maren"], Claim(r"y = \frac{1}{1 + \exp(-\alpha x)} = (1 + \exp(\alpha x))^{-1}")
    )
    assert [o.verdict for o in bad] == ["holds", "does not hold"]


def test_a_typo_in_a_network_equation_stays_an_unknown_name() -> None:
    with pytest.raises(SymbackpropError, match=r"unknown symbol x in notation sears; it knows"):
        verify(CTX["sears-xor"], Claim(r"\frac{\partial E}{\partial w_1} = -(y - \hat{y}) x"))
    with pytest.raises(SymbackpropError, match=r"unknown symbol zz in notation maren"):
        verify(CTX["maren"], Claim(r"\frac{\partial SSE}{\partial E_o} = E_o + zz"))


# -- Maren's forms ---------------------------------------------------------------------------


def test_maren_se_and_summation_index_set_to_o() -> None:
    claim = (
        r"\frac{\partial SSE}{\partial E_o} = \frac{\partial SE}{\partial E_o} = \frac{1}{2} "
        r"\frac{\partial E_{q=o}^2}{\partial E_o} = E_o"
    )
    outcomes = verify(CTX["maren"], Claim(claim))
    assert len(outcomes) == 6 and {o.verdict for o in outcomes} == {"holds"}
    assert verdicts("maren", r"\frac{\partial SE}{\partial E_o} = 2 E_o") == ["does not hold"] * 2


@pytest.mark.parametrize(
    "chain",
    [
        r"\frac{\partial SSE}{\partial E_o} \frac{\partial E_o}{\partial \mathcal{F}} "
        r"\frac{\partial \mathcal{F}}{\partial (NdInpt_o)} \frac{\partial (NdInpt_o)}{\partial "
        r"v_{h,o}}",
        r"\frac{\partial SSE}{\partial E_o} \frac{\partial E_o}{\partial \mathcal{F}} "
        r"\frac{\partial \mathcal{F}(NdInpt_o)}{\partial NdInpt_o} \frac{\partial "
        r"NdInpt_o}{\partial v_{h,o}}",
    ],
)
def test_maren_bare_function_chain_equals_central_differences(chain: str) -> None:
    ctx = CTX["maren"]
    scope, net = ctx.scope, ctx.scope.net
    (step,) = steps_of(claim_clauses(chain))
    for h, o in ((1, 2), (3, 1)):
        res = resolver(scope, {"h": h, "o": o})
        read = scope.closed(res.expr(step.rhs))
        point = random_point(net, h + 10 * o)
        param = net.param(f"w2_{o}_{h}").symbol
        assert close(value(read, point), central_difference(net, param, point))


def test_maren_bare_function_with_a_wrong_sign_is_caught() -> None:
    claim = r"\frac{\partial E_o}{\partial \mathcal{F}} = 1"
    assert verdicts("maren", claim) == ["does not hold"] * 2
    assert verdicts("maren", r"\frac{\partial E_o}{\partial \mathcal{F}_o} = -1") == ["holds"] * 2


# -- alternatives ----------------------------------------------------------------------------


def test_alternatives_hold_for_the_matching_binding() -> None:
    claim = (
        r"\frac{\partial \text{net}_{\hat{y}}}{\partial w_{\hat{y}}} = \varphi_1 \text{ or } "
        r"\varphi_2"
    )
    outcomes = verify(CTX["sears-xor"], Claim(claim))
    assert [(o.binding, o.verdict) for o in outcomes] == [
        ("w_{\\hat{y}}=w_{1}", "holds"),
        ("w_{\\hat{y}}=w_{2}", "holds"),
    ]
    assert [o.remark for o in outcomes] == ["alternative 1 of 2 holds", "alternative 2 of 2 holds"]
    wrong = verify(CTX["sears-xor"], Claim(claim.replace(r"\varphi_2", r"i_1")))
    assert [o.verdict for o in wrong] == ["holds", "does not hold"]
    assert "none of the 2 alternatives holds" in wrong[1].remark


# -- vectors and series ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "verdict"),
    [
        (
            r"(0.6, 1.2, -0.2) \cdot (0.7, 0.1, 0.4) + (-0.5) = 0.6 \cdot 0.7 + 1.2 \cdot 0.1 + "
            r"(-0.2) \cdot 0.4 - 0.5",
            "holds",
        ),
        (r"(0.6, 1.2, -0.2) \cdot (0.7, 0.1, 0.4) = -0.04", "does not hold"),
        (
            r"(w_1, w_2, \dots, w_n) \cdot (c_1, c_2, \dots, c_n) = w_1c_1 + w_2c_2 + \dots + "
            r"w_nc_n",
            "holds",
        ),
        (
            r"(w_1, w_2, \dots, w_n) \cdot (c_1, c_2, \dots, c_n) = w_1c_1 + w_2c_2 + \dots + "
            r"w_nc_n + 1",
            "does not hold",
        ),
        (
            r"(w_1, w_2, \dots, w_n) \cdot (c_1, c_2, \dots, c_n) = w_1 + w_2 + \dots + w_n",
            "does not hold",
        ),
        (r"2 (a, b) = (2a, 2b)", "holds"),
        (r"-(a, b) = (-a, b)", "does not hold"),
        (r"(a, b) = (a, b, c)", "does not hold"),
        (r"y = 0 + 0 + \dots + x + \dots + 0", "holds"),
    ],
)
def test_vectors_and_series(latex: str, verdict: str) -> None:
    outcomes = verify(CTX["essay"], Claim(latex))
    assert outcomes[-1].verdict == verdict, outcomes[-1].diagnosis


def test_symbolic_dot_product_is_a_sum_over_n() -> None:
    ctx = CTX["essay"]
    (step,) = steps_of(claim_clauses(r"w = (w_1, w_2, \dots, w_n) \cdot (c_1, c_2, \dots, c_n)"))
    res = resolver(ctx.scope, {}).free_reading()
    total = res.expr(step.rhs)
    assert isinstance(total, sp.Sum)
    n = total.limits[0][2]
    at_three = total.xreplace({n: 3}).doit()
    w, u = sp.IndexedBase("w", real=True), sp.IndexedBase("c", real=True)
    assert sp.expand(at_three - sum(w[k] * u[k] for k in range(1, 4))) == 0


def test_mean_over_cases_and_its_derivative() -> None:
    assert verdicts(
        "essay",
        r"E(w_1, w_2, \dots, w_\alpha, b_1, b_2, \dots, b_\beta) = \frac{1}{n}(E_1 + E_2 + \dots "
        r"+ E_n)",
    ) == ["holds"]
    claim = (
        r"\frac{\partial}{\partial p} \left(\frac{1}{n}(E_1 + E_2 + \dots + E_n) \right)"
        r" = \frac{1}{n} \left(\frac{\partial E_1}{\partial p} + \frac{\partial E_2}{\partial p} "
        r"+ \dots + \frac{\partial E_n}{\partial p} \right)"
    )
    assert set(verdicts("essay", claim)) == {"holds"}
    assert set(verdicts("essay", claim.replace(r"\frac{1}{n} \left(", r"\left("))) == {
        "does not hold"
    }


# -- the gradient vector -----------------------------------------------------------------------


def test_gradient_by_definition() -> None:
    good = (
        r"\nabla f(x_1, x_2, \dots, x_n) = \left(\frac{\partial f}{\partial x_1}, \frac{\partial "
        r"f}{\partial x_2}, \dots, \frac{\partial f}{\partial x_n} \right)"
    )
    assert verdicts("essay", good) == ["holds"]
    assert verdicts("essay", good.replace(r"\partial x_2}", r"\partial x_1}")) == ["does not hold"]


def test_gradient_over_the_network_parameters() -> None:
    sears = (
        r"-\nabla E \equiv - \left[ \frac{\partial E}{\partial w_1}, \frac{\partial E}{\partial "
        r"w_2}, \frac{\partial E}{\partial w_{11}}, \dots, \frac{\partial E}{\partial w_{22}} "
        r"\right]"
    )
    (o,) = verify(CTX["sears-xor"], Claim(sears))
    assert o.verdict == "holds" and "stands for w_{21}, w_{12}" in o.remark
    assert verdicts("sears-xor", sears.replace(r"\equiv -", r"\equiv")) == ["does not hold"]
    assert verdicts("sears-xor", sears.replace(r"\dots, ", "")) == ["does not hold"]


# -- bad input: one clear error -------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (r"y = \frac{d}{dx}", "needs something to act on"),
        (r"y = [x z]'", "exactly one variable"),
        (r"y = (a, b, \dots)", "must read"),
        (r"y = \vec{w} \cdot \vec{u}", "a vector this statement does not define"),
        (r"y = (a, b) (c, d)", "dot product"),
    ],
)
def test_bad_calculus_gets_one_clear_error(latex: str, message: str) -> None:
    with pytest.raises(SymbackpropError, match=message):
        verify(CTX["essay"], Claim(latex))


def test_bad_bracket_tuple_exit_two(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "sears-xor", "--claim", r"\nabla E = [a, b"])
    err = capsys.readouterr().err
    assert code == 2 and "column" in err and "expected" in err


def test_sum_in_a_free_count_is_the_same_as_the_series() -> None:
    assert verdicts("note", r"\sum_{i=1}^n a_i b_i = a_1 b_1 + a_2 b_2 + \dots + a_n b_n") == [
        "holds"
    ]
    assert verdicts("note", r"\sum_{i=1}^n a_i = a_1 + a_2 + \dots + a_n + 1") == ["does not hold"]


def test_network_names_in_a_series_keep_it_a_network_equation() -> None:
    (o,) = verify(
        CTX["note"],
        Claim(r"\sum_{i=1}^n x_i y_i = x_1 y_1 + x_2 y_2 + \dots + x_n y_n"),
        strict=False,
    )
    assert o.verdict == "unreadable"  # x_1, x_2 are the note's inputs: not free variables
    (o,) = verify(
        CTX["essay"], Claim(r"v_a = w_1u_1 + w_2u_2 + \dots + w_nu_n + b_a"), strict=False
    )
    assert (
        o.verdict == "unreadable" and "unknown symbol" in o.remark
    )  # u_1, u_2: the essay's inputs


def test_column_vectors_and_vector_definitions() -> None:
    claim = (
        r"z = \sigma\left(\begin{bmatrix} 0.6 \\ 1.2 \\ -0.2 \end{bmatrix} \cdot \begin{bmatrix} "
        r"0.7 \\ 0.1 \\ 0.4 \end{bmatrix}"
        r" + (-0.5)\right) = \sigma(-0.04) \approx 0.490"
    )
    outcomes = verify(CTX["essay"], Claim(claim))
    assert [o.verdict for o in outcomes] == ["holds", "holds", "holds"] and outcomes[
        0
    ].kind == "definition"
    assert "equal only after rounding" in outcomes[2].remark
    assert verdicts("essay", r"\vec{u} = (0.7, 0.1, 0.4)") == ["holds"]


def test_an_aside_in_parentheses_parses_and_is_not_read() -> None:
    from symbackprop.verify.reader import Group, parse

    doc = parse(
        r"w_{6,\text{new}} = w_{6,\text{old}} - \alpha \Delta h_2 \quad (\text{Here, the learning "
        r"rate} = 0.05)"
    )
    aside = doc.rows[0].clauses[1].sides[0]
    assert isinstance(aside, Group) and aside.kind == "aside"


def test_derivative_by_a_local_name_whose_value_is_an_expression() -> None:
    bind = (
        ("u", "o_1 - d_1"),
        ("p", r"w^{(3)}_{1,1}"),
    )  # as the document scope binds u = o_1 - d_1
    rule = (
        r"\frac{\partial}{\partial p}(u^2) = \frac{\partial}{\partial u}(u^2) \cdot "
        r"\frac{\partial}{\partial p}(u) = 2u \cdot \frac{\partial}{\partial p}(u)"
    )
    assert verdicts("essay", rule, bind=bind) == ["holds", "holds"]
    (o,) = verify(
        CTX["essay"],
        Claim(
            r"\frac{\partial}{\partial p}(u^2) = 3u \cdot \frac{\partial}{\partial p}(u)", bind=bind
        ),
    )
    assert o.verdict == "does not hold" and o.ratio == r"\frac{3}{2}"


def test_a_wrong_claim_about_one_case_is_caught() -> None:
    (o,) = verify(CTX["essay"], Claim(r"\frac{\partial o_1}{\partial w^{(3)}_{1,1}} = 2 v^{(2)}_1"))
    assert o.verdict == "does not hold" and o.counterexample.startswith("at ")
    assert verdicts(
        "essay", r"\frac{\partial o_1}{\partial w^{(3)}_{1,1}} = o_1 (1 - o_1) v^{(2)}_1"
    ) == ["holds"]
