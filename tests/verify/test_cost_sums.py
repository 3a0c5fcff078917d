"""A text's total error as a sum over its training cases, E = sum_p E_p, read against a spec
whose E is that sum (``reduce = "sum"``), in a notation that names both E and the error of one
case (Rumelhart et al.'s E and E_p), also written as functions of the weights, E(\\mathbf{w}).
Every expected verdict is the corpus oracle's (mpmath central differences at 50 digits), never
the tool's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from symbackprop.model.spec import NetworkSpec, spec_from_dict
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.corpus.oracle import FAILS, HOLDS, Point, cases_range, judge

ETA = 0.5
# 2-2-1 sigmoid without biases; units numbered through the net: inputs 1, 2; hidden 3, 4;
# output 5 (w_{53} is W[2][0][0], w_{31} is W[1][0][0])
NET: dict[str, Any] = {
    "sizes": [2, 2, 1],
    "activations": ["sigmoid", "sigmoid"],
    "biases": False,
    "loss": "half_sse",
    "cases": 3,
    "seed": 1986,
    "points": 3,
}
ONE_CASE = {**NET, "cases": 1}


def spec(reduce: str | None) -> NetworkSpec:
    data: dict[str, Any] = {
        "layers": [2, 2, 1],
        "activation": "sigmoid",
        "bias": False,
        "notation": "rumelhart",
    }
    if reduce:
        data["reduce"] = reduce
    return spec_from_dict(data, where="test")


def delta(p: Point, n: int) -> Any:
    """delta_{p5} = -dE_p/dnet_{p5} (Rumelhart's sign)."""
    return -p.dz(2, 0, n)


Sides = Callable[[Point, dict[str, Any]], tuple[Any, Any]]
OVER_CASES: list[tuple[str, str, Sides]] = [
    ("E is the sum of E_p", r"E = \sum_p E_p", lambda p, b: (p.loss(), _total(p, p.case_loss))),
    (
        "E is half the sum",
        r"E = \frac{1}{2} \sum_p E_p",
        lambda p, b: (p.loss(), _total(p, p.case_loss) / 2),
    ),
    (
        "E(w) is the sum of E_p(w)",
        r"E(\mathbf{w}) = \sum_p E_p(\mathbf{w})",
        lambda p, b: (p.loss(), _total(p, p.case_loss)),
    ),
    (
        "E(w) is half the sum of E_p(w)",
        r"E(\vec{w}) = \frac{1}{2} \sum_p E_p(\vec{w})",
        lambda p, b: (p.loss(), _total(p, p.case_loss) / 2),
    ),
    (
        "minus the gradient sums delta o",
        r"-\frac{\partial E}{\partial w_{53}} = \sum_p \delta_{p5} o_{p3}",
        lambda p, b: (-p.dW(2, 0, 0), _total(p, lambda n: delta(p, n) * p.a(1, 0, n))),
    ),
    (
        "the gradient sums delta o",
        r"\frac{\partial E}{\partial w_{53}} = \sum_p \delta_{p5} o_{p3}",
        lambda p, b: (p.dW(2, 0, 0), _total(p, lambda n: delta(p, n) * p.a(1, 0, n))),
    ),
    (
        "the gradient sums the cases' gradients",
        r"\frac{\partial E}{\partial w_{31}} = \sum_p \frac{\partial E_p}{\partial w_{31}}",
        lambda p, b: (p.dW(1, 0, 0), _total(p, lambda n: p.dW(1, 0, 0, n))),
    ),
    (
        "the gradient is one case's",
        r"\frac{\partial E}{\partial w_{31}} = \frac{\partial E_p}{\partial w_{31}}",
        lambda p, b: (p.dW(1, 0, 0), p.dW(1, 0, 0, b["p"])),
    ),
    (
        "the change for pattern p",
        r"\Delta_p w_{53} = \eta \delta_{p5} o_{p3}",
        lambda p, b: (-ETA * p.dW(2, 0, 0, b["p"]), ETA * delta(p, b["p"]) * p.a(1, 0, b["p"])),
    ),
    (
        "the change for pattern p from the other unit",
        r"\Delta_p w_{53} = \eta \delta_{p5} o_{p4}",
        lambda p, b: (-ETA * p.dW(2, 0, 0, b["p"]), ETA * delta(p, b["p"]) * p.a(1, 1, b["p"])),
    ),
]
ONE: list[tuple[str, str, Sides]] = [
    (
        "E_p is the error of the one case",
        r"\frac{\partial E_p}{\partial w_{53}} = -\delta_{p5} o_{p3}",
        lambda p, b: (p.dW(2, 0, 0), -delta(p, 0) * p.a(1, 0, 0)),
    ),
    (
        "E_p with the sign of delta lost",
        r"\frac{\partial E_p}{\partial w_{53}} = \delta_{p5} o_{p3}",
        lambda p, b: (p.dW(2, 0, 0), delta(p, 0) * p.a(1, 0, 0)),
    ),
]


def _total(p: Point, term: Callable[[int], Any]) -> Any:
    return sum(term(n) for n in range(p.N))


def expected(latex: str, sides: Sides, network: dict[str, Any]) -> str:
    free = {"p": "cases"} if "_p" in latex or "{p" in latex else {}
    return judge({"sides": sides, "free": free}, network, {"cases": cases_range})


@pytest.mark.parametrize(("name", "latex", "sides"), OVER_CASES, ids=[c[0] for c in OVER_CASES])
def test_sums_over_the_patterns(name: str, latex: str, sides: Sides) -> None:
    want = expected(latex, sides, NET)
    outcomes = verify(context(spec("sum")), Claim(latex))
    assert outcomes and {o.verdict for o in outcomes} == {want}, (name, outcomes)


@pytest.mark.parametrize(("name", "latex", "sides"), ONE, ids=[c[0] for c in ONE])
def test_the_error_of_one_pattern_on_a_one_case_spec(name: str, latex: str, sides: Sides) -> None:
    want = expected(latex, sides, ONE_CASE)
    outcomes = verify(context(spec(None)), Claim(latex))
    assert outcomes and {o.verdict for o in outcomes} == {want}, (name, outcomes)


def test_the_oracle_decides_both_ways() -> None:
    verdicts = {name: expected(latex, s, NET) for name, latex, s in OVER_CASES}
    assert verdicts["E is the sum of E_p"] == HOLDS
    assert verdicts["E is half the sum"] == FAILS
    assert verdicts["E(w) is half the sum of E_p(w)"] == FAILS
    assert verdicts["the gradient is one case's"] == FAILS
    assert verdicts["the change for pattern p"] == HOLDS
    assert [expected(latex, s, ONE_CASE) for _, latex, s in ONE] == [HOLDS, FAILS]


MITCHELL_NET = {**NET, "sizes": [2, 2, 2]}
MITCHELL: list[tuple[str, Sides]] = [
    (
        r"E(\vec{w}) \equiv \frac{1}{2} \sum_{d \in D} \sum_{k \in outputs} (t_{kd} - o_{kd})^2",
        lambda p, b: (p.loss(), _total(p, lambda n: _squares(p, n)) / 2),
    ),
    (
        r"E(\vec{w}) \equiv \sum_{d \in D} \sum_{k \in outputs} (t_{kd} - o_{kd})^2",
        lambda p, b: (p.loss(), _total(p, lambda n: _squares(p, n))),
    ),
]


def _squares(p: Point, n: int) -> Any:
    return sum((p.Y[n][k] - p.a(2, k, n)) ** 2 for k in range(2))


@pytest.mark.parametrize(("latex", "sides"), MITCHELL)
def test_a_sum_over_the_training_set(latex: str, sides: Sides) -> None:
    """Mitchell's sum over the training examples d in D (the notation's count letter)."""
    want = judge({"sides": sides, "free": {}}, MITCHELL_NET, {})
    data = {"layers": [2, 2, 2], "activation": "sigmoid", "bias": False, "reduce": "sum"}
    outcomes = verify(
        context(spec_from_dict({**data, "notation": "mitchell"}, where="t")), Claim(latex)
    )
    assert outcomes and {o.verdict for o in outcomes} == {want}, outcomes
    assert want == (HOLDS if r"\frac{1}{2}" in latex else FAILS)
