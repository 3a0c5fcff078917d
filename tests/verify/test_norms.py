"""Norms in cost definitions: ``\\|y - a^L\\|^2`` of one example, Nielsen's
``C = \\frac{1}{2n} \\sum_x \\|y(x) - a^L(x)\\|^2`` over the cases, the Frobenius norm
``\\|W^{(l)}\\|_F^2`` summed over the layers. Every expected verdict is the corpus oracle's
(mpmath central differences at 50 digits), never the tool's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath as mp
import pytest

from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import spec_from_dict
from symbackprop.verify.claim import Claim, Verdict, context
from symbackprop.verify.steps import verify
from tests.corpus.oracle import FAILS, HOLDS, Point, cases_range, judge

Sides = Callable[[Point, dict[str, Any]], tuple[Any, Any]]
NET: dict[str, Any] = {
    "sizes": [2, 2, 2],
    "activations": ["sigmoid", "sigmoid"],
    "loss": "half_sse",
    "reduce": "mean",
    "cases": 2,
    "seed": 5,
    "points": 3,
}


def squared(p: Point, n: int) -> Any:
    return sum((p.Y[n][j] - p.a(2, j, n)) ** 2 for j in range(2))


def mean(p: Point, f: Callable[[int], Any]) -> Any:
    return sum(f(n) for n in range(p.N)) / p.N


# (LaTeX, the two sides, whether the claim is about one example x)
NIELSEN: list[tuple[str, Sides, bool]] = [
    (
        r"C_x = \frac{1}{2} \|y - a^L\|^2",
        lambda p, b: (p.case_loss(b["x"]), squared(p, b["x"]) / 2),
        True,
    ),
    (r"C_x = \|y - a^L\|^2", lambda p, b: (p.case_loss(b["x"]), squared(p, b["x"])), True),
    (
        r"C = \frac{1}{2n} \sum_x \|y(x) - a^L(x)\|^2",
        lambda p, b: (p.loss(), mean(p, lambda n: squared(p, n)) / 2),
        False,
    ),
    (
        r"C = \frac{1}{n} \sum_x \left\| y(x) - a^L(x) \right\|^2",
        lambda p, b: (p.loss(), mean(p, lambda n: squared(p, n))),
        False,
    ),
]


def expected(sides: Sides, one: bool) -> str:
    return judge(
        {"sides": sides, "free": {"x": "cases"} if one else {}}, NET, {"cases": cases_range}
    )


def spec(notation: str, **more: Any) -> Any:
    data = {"layers": [2, 2, 2], "activation": "sigmoid", "reduce": "mean", **more}
    return spec_from_dict({**data, "notation": notation}, where="test")


@pytest.mark.parametrize(("latex", "sides", "one"), NIELSEN)
def test_the_quadratic_cost_as_a_norm(latex: str, sides: Sides, one: bool) -> None:
    want = expected(sides, one)
    outcomes = verify(context(spec("nielsen")), Claim(latex))
    assert outcomes and {o.verdict for o in outcomes} == {want}, outcomes


def test_the_oracle_decides_both_ways() -> None:
    assert [expected(s, one) for _, s, one in NIELSEN] == [HOLDS, FAILS, HOLDS, FAILS]


def test_a_frobenius_penalty_over_the_layers() -> None:
    """The handout's penalty as Frobenius norms: the right coefficient holds, the wrong one
    does not, and a matrix norm without _F is refused."""
    ctx = context(spec("handout", l2="1/5"))
    data = r"J = \frac{1}{N} \sum_{n=1}^{N} L_n + "
    penalised = {**NET, "l2": "0.2"}

    def sides(scale: float) -> Sides:
        def both(p: Point, b: dict[str, Any]) -> tuple[Any, Any]:
            squares = sum(w**2 for l in (1, 2) for row in p.W[l] for w in row)
            return p.loss(), mean(p, p.case_loss) + scale * p.lam * squares

        return both

    right, wrong = (judge({"sides": sides(s), "free": {}}, penalised, {}) for s in (0.5, 1))
    assert (right, wrong) == (HOLDS, FAILS)
    (good,) = verify(ctx, Claim(data + r"\frac{\lambda}{2} \sum_{l} \|W^{(l)}\|_F^2"))
    assert good.verdict == Verdict.HOLDS, good
    (bad,) = verify(ctx, Claim(data + r"\lambda \sum_{l} \|W^{(l)}\|_F^2"))
    assert bad.verdict == Verdict.FAILS
    with pytest.raises(SymbackpropError, match="a norm is read of a vector"):
        verify(ctx, Claim(data + r"\frac{\lambda}{2} \sum_{l} \|W^{(l)}\|^2"))


def cross_entropy(p: Point, n: int) -> Any:
    a, y = p.a(2, 0, n), p.Y[n][0]
    return -(y * mp.log(a) + (1 - y) * mp.log(1 - a))


BINARY = {**NET, "sizes": [2, 2, 1], "loss": "ce", "targets": "auto"}
NG: list[tuple[str, Sides]] = [
    (
        r"J = -\frac{1}{m} \sum_{i=1}^{m} \left( y^{(i)} \log a^{[2](i)} + (1 - y^{(i)})"
        r" \log(1 - a^{[2](i)}) \right)",
        lambda p, b: (p.loss(), mean(p, lambda n: cross_entropy(p, n))),
    ),
    (
        r"J = -\sum_{i=1}^{m} \left( y^{(i)} \log a^{[2](i)} + (1 - y^{(i)})"
        r" \log(1 - a^{[2](i)}) \right)",
        lambda p, b: (p.loss(), mean(p, lambda n: cross_entropy(p, n)) * p.N),
    ),
]


@pytest.mark.parametrize(("latex", "sides"), NG)
def test_one_examples_vectors_of_one_entry(latex: str, sides: Sides) -> None:
    """Ng's y^{(i)} and a^{[2](i)} of a single output, summed over the batch's examples."""
    want = judge({"sides": sides, "free": {}}, BINARY, {})
    ng = spec("ng", loss="cross_entropy", layers=[2, 2, 1])
    outcomes = verify(context(ng), Claim(latex))
    assert outcomes and {o.verdict for o in outcomes} == {want}, outcomes
    assert want == (HOLDS if r"\frac{1}{m}" in latex else FAILS)
