"""verify on an L2-penalised E: claims judged against the right E. Every expected verdict is the
corpus oracle's (mpmath central differences at 50 digits, never symbackprop)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.corpus.oracle import FAILS, HOLDS, Point, judge
from tests.loss_terms import L2, VARIANTS, Variant

PENALISED = [v for v in VARIANTS if v.reduce == "none" and v.l2 != "0"]  # weights; and biases


def out_delta(p: Point, j: int) -> Any:
    """(a_j - y_j) a_j (1 - a_j) of output j (0-based) of the one case: half_sse, sigmoid."""
    a = p.a(2, j, 0)
    return (a - p.Y[0][j]) * a * (1 - a)


def hidden_delta(p: Point, k: int) -> Any:
    """sum_m out_delta_m w_{m,k} (1 - a_k^2): hidden unit k (0-based), tanh."""
    return sum(out_delta(p, m) * p.W[2][m][k] for m in range(2)) * (1 - p.a(1, k, 0) ** 2)


D2 = r"(a^{(2)}_{1} - y_{1}) a^{(2)}_{1} (1 - a^{(2)}_{1})"
HIDDEN = (
    r"\left[(a^{(2)}_{1} - y_{1}) a^{(2)}_{1} (1 - a^{(2)}_{1}) w^{(2)}_{1,2} "
    r"+ (a^{(2)}_{2} - y_{2}) a^{(2)}_{2} (1 - a^{(2)}_{2}) w^{(2)}_{2,2}\right] "
    r"(1 - (a^{(1)}_{2})^2)"
)


def dE(name: str) -> str:
    """The left side of a claim: dE/d(name) = ."""
    return rf"\frac{{\partial E}}{{\partial {name}}} = "


W2, W1 = "w^{(2)}_{1,2}", "w^{(1)}_{2,1}"
Sides = Callable[[Point], tuple[Any, Any]]
# (name, LaTeX, the two sides at an oracle point)
CLAIMS: list[tuple[str, str, Sides]] = [
    (
        "output weight with lambda w",
        dE(W2) + rf"{D2} a^{{(1)}}_{{2}} + \lambda {W2}",
        lambda p: (p.dW(2, 0, 1), out_delta(p, 0) * p.a(1, 1, 0) + p.lam * p.W[2][0][1]),
    ),
    (
        "output weight without lambda w",
        rf"\frac{{\partial E}}{{\partial w^{{(2)}}_{{1,2}}}} = {D2} a^{{(1)}}_{{2}}",
        lambda p: (p.dW(2, 0, 1), out_delta(p, 0) * p.a(1, 1, 0)),
    ),
    (
        "output weight with 2 lambda w",
        dE(W2) + rf"{D2} a^{{(1)}}_{{2}} + 2 \lambda {W2}",
        lambda p: (p.dW(2, 0, 1), out_delta(p, 0) * p.a(1, 1, 0) + 2 * p.lam * p.W[2][0][1]),
    ),
    (
        "output bias with lambda b",
        rf"\frac{{\partial E}}{{\partial b^{{(2)}}_{{1}}}} = {D2} + \lambda b^{{(2)}}_{{1}}",
        lambda p: (p.db(2, 0), out_delta(p, 0) + p.lam * p.b[2][0]),
    ),
    (
        "output bias without lambda b",
        rf"\frac{{\partial E}}{{\partial b^{{(2)}}_{{1}}}} = {D2}",
        lambda p: (p.db(2, 0), out_delta(p, 0)),
    ),
    (
        "hidden weight with lambda w",
        dE(W1) + rf"{HIDDEN} x_{{1}} + \lambda {W1}",
        lambda p: (p.dW(1, 1, 0), hidden_delta(p, 1) * p.X[0][0] + p.lam * p.W[1][1][0]),
    ),
    (
        "hidden bias with lambda b",
        rf"\frac{{\partial E}}{{\partial b^{{(1)}}_{{2}}}} = {HIDDEN} + \lambda b^{{(1)}}_{{2}}",
        lambda p: (p.db(1, 1), hidden_delta(p, 1) + p.lam * p.b[1][1]),
    ),
]


def network(variant: Variant) -> dict[str, Any]:
    return {
        "sizes": [2, 2, 2],
        "activations": ["tanh", "sigmoid"],
        "loss": "half_sse",
        "l2": L2,
        "l2_biases": variant.l2_biases,
        "cases": 1,
        "seed": 23,
        "points": 3,
    }


def expected(variant: Variant, sides: Sides) -> str:
    case = {"sides": lambda p, _binding: sides(p), "free": {}}
    return judge(case, network(variant), {})


@pytest.mark.parametrize("variant", PENALISED, ids=lambda v: v.label)
@pytest.mark.parametrize(("name", "latex", "sides"), CLAIMS, ids=[c[0] for c in CLAIMS])
def test_verdict_is_the_oracles(variant: Variant, name: str, latex: str, sides: Sides) -> None:
    want = expected(variant, sides)
    (outcome,) = verify(context(variant.spec()), Claim(latex))
    assert outcome.verdict == want, (variant.label, name, outcome)


def test_the_oracle_decides_both_ways() -> None:
    """The table tests something: each variant has claims that hold and claims that fail, and a
    penalised bias holds exactly when l2_biases is true."""
    for variant in PENALISED:
        verdicts = {name: expected(variant, sides) for name, _, sides in CLAIMS}
        assert {HOLDS, FAILS} <= set(verdicts.values())
        assert verdicts["output weight without lambda w"] == FAILS
        bias = verdicts["output bias with lambda b"]
        assert bias == (HOLDS if variant.l2_biases else FAILS)


def diagnosis(variant: Variant, latex: str) -> str:
    (outcome,) = verify(context(variant.spec()), Claim(latex))
    return outcome.factor


def test_diagnoses_name_the_penalty_term() -> None:
    weights, both = PENALISED
    assert diagnosis(weights, CLAIMS[1][1]) == (
        r"missing: \lambda w^{(2)}_{1,2} (the gradient of the L2 penalty (\lambda/2) sum w^2)"
    )
    assert diagnosis(weights, CLAIMS[2][1]) == (
        r"the L2 penalty's term is 2 \lambda w^{(2)}_{1,2} where \lambda w^{(2)}_{1,2} belongs"
    )
    assert diagnosis(weights, CLAIMS[3][1]) == (
        r"extra: \lambda b^{(2)}_{1} (the L2 penalty covers the weights only: l2_biases is false)"
    )
    assert diagnosis(both, CLAIMS[4][1]) == (
        r"missing: \lambda b^{(2)}_{1} (the gradient of the L2 penalty (\lambda/2) sum w^2)"
    )
