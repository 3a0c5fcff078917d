"""Diagnoses a student can act on (issue 10, part 8), and the speed of a claim (part 10).

Wrong variants of hidden- and first-layer claims on deeper networks: several factors missing
at once, a sum missing a factor in every term, a forgotten sum, the wrong unit's slope. Every
expected verdict comes from numbers: the claim is written here by hand as a function of the
network's values (mpmath, 60 digits) and compared with a central difference of the closed-form
error (``tests.helpers``). The factor lines of the wrong variants are pinned word for word.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import mpmath
import pytest

from symbackprop.model.spec import inline
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.verify.handvalues import FAILS, HOLDS, Case, Q, dS, dT, expected, spec_of


def dE_da2(q: Q, k: int, slope: Callable[[mpmath.mpf], mpmath.mpf] = dS) -> mpmath.mpf:
    """∂E/∂a^{(2)}_k of a 2-3-3-2 network, half SSE, by hand."""
    return sum(q.w(f"w3_{j}_{k}") * (q.a(3, j) - q.y(j)) * slope(q.z(3, j)) for j in (1, 2))


def dE_da1(q: Q, k: int, slope: Callable[[mpmath.mpf], mpmath.mpf] = dS) -> mpmath.mpf:
    return sum(q.w(f"w2_{i}_{k}") * slope(q.z(2, i)) * dE_da2(q, i, slope) for i in (1, 2, 3))


D3 = r"\sum_{j=1}^{2} w^{(3)}_{j,1} (a^{(3)}_{j} - y_{j}) \sigma'(z^{(3)}_{j})"
DA2 = r"\frac{\partial E}{\partial a^{(2)}_{i}}"
W1 = r"\frac{\partial E}{\partial w^{(1)}_{1,1}}"
W2 = r"\frac{\partial E}{\partial w^{(2)}_{1,2}}"

CASES = [
    # -- first layer: w^{(1)}_{1,1} of 2-3-3-2 ---------------------------------------------
    Case(
        "2-3-3-2",
        "w1_1_1",
        W1
        + r" = \sigma'(z^{(1)}_{1}) x_{1} \sum_{i=1}^{3} w^{(2)}_{i,1} \sigma'(z^{(2)}_{i}) "
        + DA2,
        "gradient",
        lambda q: dS(q.z(1, 1)) * q.x(1) * dE_da1(q, 1),
    ),
    Case(
        "2-3-3-2",
        "w1_1_1",
        W1 + r" = x_{1} \sum_{i=1}^{3} w^{(2)}_{i,1} \sigma'(z^{(2)}_{i}) " + DA2,
        "gradient",
        lambda q: q.x(1) * dE_da1(q, 1),
    ),
    Case(
        "2-3-3-2",
        "w1_1_1",
        W1 + r" = \sigma'(z^{(1)}_{1}) x_{1} \sum_{i=1}^{3} \sigma'(z^{(2)}_{i}) " + DA2,
        "gradient",
        lambda q: dS(q.z(1, 1)) * q.x(1) * sum(dS(q.z(2, i)) * dE_da2(q, i) for i in (1, 2, 3)),
    ),
    Case(
        "2-3-3-2",
        "w1_1_1",
        W1 + r" = x_{1} \sum_{i=1}^{3} \sigma'(z^{(2)}_{i}) " + DA2,
        "gradient",
        lambda q: q.x(1) * sum(dS(q.z(2, i)) * dE_da2(q, i) for i in (1, 2, 3)),
    ),
    Case(
        "2-3-3-2",
        "w1_1_1",
        W1
        + r" = \sigma'(z^{(1)}_{1}) x_{2} \sum_{i=1}^{3} w^{(2)}_{i,1} \sigma'(z^{(2)}_{i}) "
        + DA2,
        "gradient",
        lambda q: dS(q.z(1, 1)) * q.x(2) * dE_da1(q, 1),
    ),
    Case(
        "2-3-3-2:tanh",
        "w1_1_1",
        W1 + r" = x_{1} \sum_{i=1}^{3} w^{(2)}_{i,1} \tanh'(z^{(2)}_{i}) " + DA2,
        "gradient",
        lambda q: q.x(1) * dE_da1(q, 1, dT),
    ),
    Case(
        "2-3-3-2",
        "w1_1_1",
        W1 + r" = \sigma'(z^{(1)}_{1}) x_{1} w^{(2)}_{1,1} \sigma'(z^{(2)}_{1}) "
        r"\frac{\partial E}{\partial a^{(2)}_{1}}",
        "gradient",
        lambda q: dS(q.z(1, 1)) * q.x(1) * q.w("w2_1_1") * dS(q.z(2, 1)) * dE_da2(q, 1),
    ),
    # -- hidden layer: w^{(2)}_{1,2} --------------------------------------------------------
    Case(
        "2-3-3-2",
        "w2_1_2",
        W2 + r" = \sigma'(z^{(2)}_{1}) a^{(1)}_{2} " + D3,
        "gradient",
        lambda q: dS(q.z(2, 1)) * q.a(1, 2) * dE_da2(q, 1),
    ),
    Case(
        "2-3-3-2",
        "w2_1_2",
        W2 + r" = a^{(1)}_{2} \sum_{j=1}^{2} (a^{(3)}_{j} - y_{j}) \sigma'(z^{(3)}_{j})",
        "gradient",
        lambda q: q.a(1, 2) * sum((q.a(3, j) - q.y(j)) * dS(q.z(3, j)) for j in (1, 2)),
    ),
    Case(
        "2-3-3-2",
        "w2_1_2",
        W2 + r" = \sigma'(z^{(2)}_{2}) a^{(1)}_{2} " + D3,
        "gradient",
        lambda q: dS(q.z(2, 2)) * q.a(1, 2) * dE_da2(q, 1),
    ),
    Case(
        "2-3-3-2",
        "w2_1_2",
        W2 + r" = \sigma'(z^{(2)}_{1}) a^{(1)}_{2} w^{(3)}_{1,1} (a^{(3)}_{1} - y_{1}) "
        r"\sigma'(z^{(3)}_{1})",
        "gradient",
        lambda q: dS(q.z(2, 1)) * q.a(1, 2) * q.w("w3_1_1") * (q.a(3, 1) - q.y(1)) * dS(q.z(3, 1)),
    ),
    Case(
        "2-3-3-2",
        "w2_1_2",
        W2
        + r" = \sigma'(z^{(2)}_{1}) a^{(1)}_{2} \sum_{j=1}^{2} w^{(3)}_{j,1} (y_{j} - a^{(3)}_{j}) "
        r"\sigma'(z^{(3)}_{j})",
        "gradient",
        lambda q: -dS(q.z(2, 1)) * q.a(1, 2) * dE_da2(q, 1),
    ),
    Case(
        "2-3-3-2",
        "w2_1_2",
        r"\Delta w^{(2)}_{1,2} = \eta \sigma'(z^{(2)}_{1}) a^{(1)}_{2} " + D3,
        "update",
        lambda q: q.lr * dS(q.z(2, 1)) * q.a(1, 2) * dE_da2(q, 1),
    ),
    Case(
        "2-3-3-2",
        "w2_1_2",
        W2
        + r" = \sigma'(z^{(2)}_{1}) a^{(1)}_{2} \sum_{j=1}^{2} w^{(3)}_{j,1} (a^{(3)}_{j} - y_{j}) "
        r"\sigma'(z^{(3)}_{j}) + \sigma'(z^{(2)}_{1}) a^{(1)}_{2} w^{(3)}_{1,2} "
        r"(a^{(3)}_{1} - y_{1}) \sigma'(z^{(3)}_{1})",
        "gradient",
        lambda q: (
            dS(q.z(2, 1))
            * q.a(1, 2)
            * (dE_da2(q, 1) + q.w("w3_1_2") * (q.a(3, 1) - q.y(1)) * dS(q.z(3, 1)))
        ),
    ),
]

CASES += [
    # -- a named error term written out (Maren: E_o = Desired_o - Actual_o): it cancels -------
    Case(
        "maren",
        "w2_2_1",
        r"\frac{\partial SSE}{\partial v_{1,2}} = "
        r"-\alpha (Desired_2 - \mathcal{F}_2) \mathcal{F}_2 H_1",
        "gradient",
        lambda q: -q.gain * (q.y(2) - q.a(2, 2)) * q.a(2, 2) * q.a(1, 1),
    ),
    Case(
        "maren",
        "w2_2_1",
        r"\frac{\partial SSE}{\partial v_{1,2}} = "
        r"-\alpha (\mathcal{F}_2 - Desired_2) \mathcal{F}_2 (1 - \mathcal{F}_2) H_1",
        "gradient",
        lambda q: -q.gain * (q.a(2, 2) - q.y(2)) * q.a(2, 2) * (1 - q.a(2, 2)) * q.a(1, 1),
    ),
    # -- the softmax Jacobian's cross terms forgotten (∂E/∂b = ∂E/∂z of that unit) ----------
    Case(
        "2-3:softmax",
        "b1_1",
        r"(a^{(1)}_{1} - y_{1}) a^{(1)}_{1} (1 - a^{(1)}_{1})",
        "gradient",
        lambda q: (q.a(1, 1) - q.y(1)) * q.a(1, 1) * (1 - q.a(1, 1)),
    ),
    Case(
        "2-3:softmax",
        "b1_1",
        r"(a^{(1)}_{1} - y_{1}) a^{(1)}_{1} (1 - a^{(1)}_{1}) "
        r"- \sum_{j=2}^{3} (a^{(1)}_{j} - y_{j}) a^{(1)}_{j} a^{(1)}_{1}",
        "gradient",
        lambda q: (
            (q.a(1, 1) - q.y(1)) * q.a(1, 1) * (1 - q.a(1, 1))
            - sum((q.a(1, j) - q.y(j)) * q.a(1, j) * q.a(1, 1) for j in (2, 3))
        ),
    ),
    # -- a missing gain is blamed on the slope it belongs to (Maren: F = σ(α net)) -----------
    Case(
        "maren",
        "w2_2_1",
        r"\frac{\partial SSE}{\partial v_{1,2}} = -E_2 \mathcal{F}_2 (1 - \mathcal{F}_2) H_1",
        "gradient",
        lambda q: -(q.y(2) - q.a(2, 2)) * q.a(2, 2) * (1 - q.a(2, 2)) * q.a(1, 1),
    ),
]

IDS = [f"{c.spec}:{c.latex[-50:]}" for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_verdict_agrees_with_the_numbers_and_the_diagnosis_is_pinned(case: Case) -> None:
    want = expected(case)
    ctx = context(spec_of(case.spec))
    outcomes = verify(ctx, Claim(case.latex, param=case.pid, kind=case.kind))
    got = min(o.verdict for o in outcomes)
    assert got == want, [o.diagnosis for o in outcomes]
    if want == FAILS:
        assert [o.factor for o in outcomes] == [DIAGNOSES[(case.spec, case.latex)]]
        for o in outcomes:
            assert len(o.ratio) <= 120
            assert "Desired" not in o.ratio  # a named error term cancels in the ratio
            assert "**" not in o.diagnosis and "[" not in o.counterexample
            numbers = re.findall(r"= (-?[0-9.]+)", o.counterexample)
            assert numbers and all(
                len(n.strip("-").replace(".", "").lstrip("0")) <= 6 for n in numbers
            )


def test_every_wrong_variant_is_pinned() -> None:
    wrong = {(c.spec, c.latex) for c in CASES if expected(c) == FAILS}
    assert wrong == set(DIAGNOSES)
    assert len(wrong) >= 10


# The pinned factor lines of the wrong variants (the product's wording; verdicts: the numbers).
DIAGNOSES: dict[tuple[str, str], str] = {
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(1)}_{1,1}} = x_{1} \\sum_{i=1}^{3} w^{(2"
            ")}_{i,1} \\sigma'(z^{(2)}_{i}) \\frac{\\partial E}{\\partial a^{(2)}_{i}}"
        ),
    ): (
        "missing: a^{(1)}_{1} \\left(1 - a^{(1)}_{1}\\right) (the factor \\frac{\\p"
        "artial a^{(1)}_{1}}{\\partial z^{(1)}_{1}})"
    ),
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(1)}_{1,1}} = \\sigma'(z^{(1)}_{1}) x_{1}"
            " \\sum_{i=1}^{3} \\sigma'(z^{(2)}_{i}) \\frac{\\partial E}{\\partial a^{(2)"
            "}_{i}}"
        ),
    ): ("term by term, missing: w^{(2)}_{1,1} and w^{(2)}_{2,1} and w^{(2)}_{3,1}"),
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(1)}_{1,1}} = x_{1} \\sum_{i=1}^{3} \\sigm"
            "a'(z^{(2)}_{i}) \\frac{\\partial E}{\\partial a^{(2)}_{i}}"
        ),
    ): (
        "term by term, missing: w^{(2)}_{1,1} and w^{(2)}_{2,1} and w^{(2)}_{3,"
        "1}; missing: a^{(1)}_{1} \\left(1 - a^{(1)}_{1}\\right) (the factor \\fra"
        "c{\\partial a^{(1)}_{1}}{\\partial z^{(1)}_{1}})"
    ),
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(1)}_{1,1}} = \\sigma'(z^{(1)}_{1}) x_{2}"
            " \\sum_{i=1}^{3} w^{(2)}_{i,1} \\sigma'(z^{(2)}_{i}) \\frac{\\partial E}{\\"
            "partial a^{(2)}_{i}}"
        ),
    ): (
        "missing: x_{1} (the factor \\frac{\\partial z^{(1)}_{1}}{\\partial w^{(1)"
        "}_{1,1}}); extra: x_{2}"
    ),
    (
        "2-3-3-2:tanh",
        (
            "\\frac{\\partial E}{\\partial w^{(1)}_{1,1}} = x_{1} \\sum_{i=1}^{3} w^{(2"
            ")}_{i,1} \\tanh'(z^{(2)}_{i}) \\frac{\\partial E}{\\partial a^{(2)}_{i}}"
        ),
    ): (
        "missing: 1 - \\left(a^{(1)}_{1}\\right)^{2} (the factor \\frac{\\partial a"
        "^{(1)}_{1}}{\\partial z^{(1)}_{1}})"
    ),
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(1)}_{1,1}} = \\sigma'(z^{(1)}_{1}) x_{1}"
            " w^{(2)}_{1,1} \\sigma'(z^{(2)}_{1}) \\frac{\\partial E}{\\partial a^{(2)}"
            "_{1}}"
        ),
    ): "missing 2 of the 3 terms of the sum",
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(2)}_{1,2}} = a^{(1)}_{2} \\sum_{j=1}^{2}"
            " (a^{(3)}_{j} - y_{j}) \\sigma'(z^{(3)}_{j})"
        ),
    ): (
        "term by term, missing: w^{(3)}_{1,1} and w^{(3)}_{2,1}; missing: a^{(2"
        ")}_{1} \\left(1 - a^{(2)}_{1}\\right) (the factor \\frac{\\partial a^{(2)}"
        "_{1}}{\\partial z^{(2)}_{1}})"
    ),
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(2)}_{1,2}} = \\sigma'(z^{(2)}_{2}) a^{(1"
            ")}_{2} \\sum_{j=1}^{2} w^{(3)}_{j,1} (a^{(3)}_{j} - y_{j}) \\sigma'(z^{("
            "3)}_{j})"
        ),
    ): (
        "missing: a^{(2)}_{1} \\left(1 - a^{(2)}_{1}\\right) (the factor \\frac{\\p"
        "artial a^{(2)}_{1}}{\\partial z^{(2)}_{1}}); extra: a^{(2)}_{2} and 1 -"
        " a^{(2)}_{2}"
    ),
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(2)}_{1,2}} = \\sigma'(z^{(2)}_{1}) a^{(1"
            ")}_{2} w^{(3)}_{1,1} (a^{(3)}_{1} - y_{1}) \\sigma'(z^{(3)}_{1})"
        ),
    ): (
        "missing 1 of the 2 terms of the sum: a^{(3)}_{2} w^{(3)}_{2,1} \\left(1"
        " - a^{(3)}_{2}\\right) \\left(a^{(3)}_{2} - y_{2}\\right)"
    ),
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(2)}_{1,2}} = \\sigma'(z^{(2)}_{1}) a^{(1"
            ")}_{2} \\sum_{j=1}^{2} w^{(3)}_{j,1} (y_{j} - a^{(3)}_{j}) \\sigma'(z^{("
            "3)}_{j})"
        ),
    ): "the sign is wrong: the claim is the negative of the truth",
    (
        "2-3-3-2",
        (
            "\\Delta w^{(2)}_{1,2} = \\eta \\sigma'(z^{(2)}_{1}) a^{(1)}_{2} \\sum_{j=1"
            "}^{2} w^{(3)}_{j,1} (a^{(3)}_{j} - y_{j}) \\sigma'(z^{(3)}_{j})"
        ),
    ): "the sign is wrong: the claim is the negative of the truth",
    (
        "2-3-3-2",
        (
            "\\frac{\\partial E}{\\partial w^{(2)}_{1,2}} = \\sigma'(z^{(2)}_{1}) a^{(1"
            ")}_{2} \\sum_{j=1}^{2} w^{(3)}_{j,1} (a^{(3)}_{j} - y_{j}) \\sigma'(z^{("
            "3)}_{j}) + \\sigma'(z^{(2)}_{1}) a^{(1)}_{2} w^{(3)}_{1,2} (a^{(3)}_{1}"
            " - y_{1}) \\sigma'(z^{(3)}_{1})"
        ),
    ): (
        "extra 1 of the 3 terms of the sum: a^{(3)}_{1} w^{(3)}_{1,2} \\left(1 -"
        " a^{(3)}_{1}\\right) \\left(a^{(3)}_{1} - y_{1}\\right)"
    ),
    (
        "maren",
        (
            "\\frac{\\partial SSE}{\\partial v_{1,2}} = -\\alpha (Desired_2 - \\mathcal{"
            "F}_2) \\mathcal{F}_2 H_1"
        ),
    ): (
        "the factor \\frac{\\partial \\mathcal{F}_{2}}{\\partial \\mathit{NdInpt}_{2"
        "}} is \\mathcal{F}_{2} \\alpha in the claim where \\mathcal{F}_{2} \\alpha"
        " \\left(1 - \\mathcal{F}_{2}\\right) belongs"
    ),
    (
        "maren",
        (
            "\\frac{\\partial SSE}{\\partial v_{1,2}} = -\\alpha (\\mathcal{F}_2 - Desir"
            "ed_2) \\mathcal{F}_2 (1 - \\mathcal{F}_2) H_1"
        ),
    ): "the sign is wrong: the claim is the negative of the truth",
    (
        "2-3:softmax",
        "(a^{(1)}_{1} - y_{1}) a^{(1)}_{1} (1 - a^{(1)}_{1})",
    ): (
        "missing 2 of the 3 terms of the sum: - a^{(1)}_{2} \\left(a^{(1)}_{2} -"
        " y_{2}\\right) and - a^{(1)}_{3} \\left(a^{(1)}_{3} - y_{3}\\right); the"
        " cross terms k ≠ j of the softmax's Jacobian are missing"
    ),
    (
        "maren",
        ("\\frac{\\partial SSE}{\\partial v_{1,2}} = -E_2 \\mathcal{F}_2 (1 - \\mathcal{F}_2) H_1"),
    ): (
        "the factor \\frac{\\partial \\mathcal{F}_{2}}{\\partial \\mathit{NdInpt}_{2"
        "}} is \\mathcal{F}_{2} \\left(1 - \\mathcal{F}_{2}\\right) in the claim wh"
        "ere \\mathcal{F}_{2} \\alpha \\left(1 - \\mathcal{F}_{2}\\right) belongs"
    ),
}


# -- speed (part 10) ---------------------------------------------------------------------------

SLOW = 3.0  # seconds: a generous bound (the claims take well under 1 s warm), not a benchmark


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_a_first_layer_claim_on_4_8_8_4_is_judged_in_seconds(activation: str) -> None:
    """The claims about hidden-layer quantities of a 4-8-8-4 network (correct, and missing
    a weight in every term), judged warm: each under SLOW seconds of CPU time."""
    d = {"sigmoid": r"\sigma'", "tanh": r"\tanh'"}[activation]
    ctx = context(inline("4-8-8-4", activation=activation))
    grad = r"\frac{\partial E}{\partial a^{(2)}_{k}}"
    lhs = r"\frac{\partial E}{\partial w^{(1)}_{1,1}}"
    head = rf"{lhs} = {d}(z^{{(1)}}_{{1}}) x_{{1}} \sum_{{k=1}}^{{8}}"
    right = rf"{head} w^{{(2)}}_{{k,1}} {d}(z^{{(2)}}_{{k}}) {grad}"
    wrong = rf"{head} {d}(z^{{(2)}}_{{k}}) {grad}"
    for latex, verdict in ((right, HOLDS), (wrong, FAILS)):
        verify(ctx, Claim(latex), limits=None)  # warm: the spec's network and derivation
        start = time.process_time()
        outcomes = verify(ctx, Claim(latex), limits=None)
        took = time.process_time() - start
        assert [o.verdict for o in outcomes] == [verdict]
        assert took < SLOW, f"{took:.2f} s for {latex}"
