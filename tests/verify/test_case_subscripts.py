"""The training case written as a subscript letter: Bishop's ``y_{nk}``, a handout's
``a^{(2)}_{k,n}``, Nielsen's ``C_x`` (and with it, or with a sum over the cases, the bare C
of ``C = \\frac{1}{n} \\sum_x C_x`` as the whole cost). Every expected verdict is the corpus
oracle's (mpmath central differences at 50 digits), never the tool's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from symbackprop.model.spec import spec_from_dict
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.corpus.oracle import FAILS, HOLDS, Point, cases_range, judge

Sides = Callable[[Point, dict[str, Any]], tuple[Any, Any]]


def network(reduce: str, biases: bool) -> dict[str, Any]:
    return {
        "sizes": [2, 2, 2],
        "activations": ["sigmoid", "sigmoid"],
        "biases": biases,
        "loss": "half_sse",
        "reduce": reduce,
        "cases": 3,
        "seed": 7,
        "points": 3,
    }


def total(p: Point, term: Callable[[int], Any]) -> Any:
    return sum(term(n) for n in range(p.N))


def slope(p: Point, n: int) -> Any:
    """(a - y) a (1 - a) of output 1 of case n: dE_n/dz of that output."""
    a = p.a(2, 0, n)
    return (a - p.Y[n][0]) * a * (1 - a)


# (notation, reduce, biases, free case letter or '', LaTeX, the two sides)
CLAIMS: list[tuple[str, str, str, bool, str, str, Sides]] = [
    (
        "bishop: E_n with y_{nk}, t_{nk}",
        "bishop",
        "sum",
        False,
        r"E_n = \frac{1}{2} \sum_k (y_{nk} - t_{nk})^2",
        lambda p, b: (
            p.case_loss(b["n"]),
            sum((p.a(2, k, b["n"]) - p.Y[b["n"]][k]) ** 2 for k in range(2)) / 2,
        ),
    ),
    (
        "bishop: E_n without the half",
        "bishop",
        "sum",
        False,
        r"E_n = \sum_k (y_{nk} - t_{nk})^2",
        lambda p, b: (
            p.case_loss(b["n"]),
            sum((p.a(2, k, b["n"]) - p.Y[b["n"]][k]) ** 2 for k in range(2)),
        ),
    ),
    (
        "bishop: a case's output weight gradient",
        "bishop",
        "sum",
        False,
        r"\frac{\partial E_n}{\partial w_{53}} = (y_{n5} - t_{n5}) y_{n5} (1 - y_{n5}) z_{n3}",
        lambda p, b: (p.dW(2, 0, 0, b["n"]), slope(p, b["n"]) * p.a(1, 0, b["n"])),
    ),
    (
        "bishop: the other hidden unit",
        "bishop",
        "sum",
        False,
        r"\frac{\partial E_n}{\partial w_{53}} = (y_{n5} - t_{n5}) y_{n5} (1 - y_{n5}) z_{n4}",
        lambda p, b: (p.dW(2, 0, 0, b["n"]), slope(p, b["n"]) * p.a(1, 1, b["n"])),
    ),
    (
        "handout: the mean over a^{(2)}_{1,n}",
        "handout",
        "mean",
        True,
        r"\frac{\partial J}{\partial b^{(2)}_1} = \frac{1}{N} \sum_{n=1}^{N} (a^{(2)}_{1,n} -"
        r" y_{1,n}) a^{(2)}_{1,n} (1 - a^{(2)}_{1,n})",
        lambda p, b: (p.db(2, 0), total(p, lambda n: slope(p, n)) / p.N),
    ),
    (
        "handout: the sum without 1/N",
        "handout",
        "mean",
        True,
        r"\frac{\partial J}{\partial b^{(2)}_1} = \sum_{n=1}^{N} (a^{(2)}_{1,n} -"
        r" y_{1,n}) a^{(2)}_{1,n} (1 - a^{(2)}_{1,n})",
        lambda p, b: (p.db(2, 0), total(p, lambda n: slope(p, n))),
    ),
    (
        "nielsen: C is the mean of C_x",
        "nielsen",
        "mean",
        True,
        r"C = \frac{1}{n} \sum_x C_x",
        lambda p, b: (p.loss(), total(p, p.case_loss) / p.N),
    ),
    (
        "nielsen: C is the sum of C_x",
        "nielsen",
        "mean",
        True,
        r"C = \sum_x C_x",
        lambda p, b: (p.loss(), total(p, p.case_loss)),
    ),
    (
        "nielsen: the gradient is the mean of the C_x's",
        "nielsen",
        "mean",
        True,
        r"\frac{\partial C}{\partial b^{3}_{1}} = \frac{1}{n} \sum_x "
        r"\frac{\partial C_x}{\partial b^{3}_{1}}",
        lambda p, b: (p.db(2, 0), total(p, lambda n: p.db(2, 0, n)) / p.N),
    ),
    (
        "nielsen: C as the mean of the squares over x",
        "nielsen",
        "mean",
        True,
        r"C = \frac{1}{2n} \sum_x \sum_j (y_j(x) - a^L_j(x))^2",
        lambda p, b: (p.loss(), total(p, lambda n: squared(p, n)) / (2 * p.N)),
    ),
    (
        "nielsen: C without the half",
        "nielsen",
        "mean",
        True,
        r"C = \frac{1}{n} \sum_x \sum_j (y_j(x) - a^L_j(x))^2",
        lambda p, b: (p.loss(), total(p, lambda n: squared(p, n)) / p.N),
    ),
]


def squared(p: Point, n: int) -> Any:
    return sum((p.Y[n][j] - p.a(2, j, n)) ** 2 for j in range(2))


def expected(latex: str, sides: Sides, net: dict[str, Any]) -> str:
    free = {"n": "cases"} if "_{n" in latex or "E_n" in latex else {}
    return judge({"sides": sides, "free": free}, net, {"cases": cases_range})


def spec(notation: str, reduce: str, biases: bool) -> Any:
    return spec_from_dict(
        {
            "layers": [2, 2, 2],
            "activation": "sigmoid",
            "bias": biases,
            "reduce": reduce,
            "notation": notation,
        },
        where="test",
    )


@pytest.mark.parametrize(
    ("name", "notation", "reduce", "biases", "latex", "sides"), CLAIMS, ids=[c[0] for c in CLAIMS]
)
def test_a_case_letter_in_a_subscript(
    name: str, notation: str, reduce: str, biases: bool, latex: str, sides: Sides
) -> None:
    want = expected(latex, sides, network(reduce, biases))
    outcomes = verify(context(spec(notation, reduce, biases)), Claim(latex))
    assert outcomes and {o.verdict for o in outcomes} == {want}, (name, outcomes)


def test_the_oracle_decides_both_ways() -> None:
    verdicts = [expected(c[4], c[5], network(c[2], c[3])) for c in CLAIMS]
    assert verdicts == [HOLDS, FAILS] * 4 + [HOLDS, HOLDS, FAILS]


def squares(p: Point) -> Any:
    return sum(w**2 for l in (1, 2) for row in p.W[l] for w in row)


PENALISED = {**network("mean", True), "l2": "0.2"}
OBJECTIVES: list[tuple[str, Sides]] = [
    (
        r"J = \frac{1}{N} \sum_{n=1}^{N} L_n + \frac{\lambda}{2} \sum_{l} \sum_{i,j}"
        r" (W^{(l)}_{ij})^2",
        lambda p, b: (p.loss(), total(p, p.case_loss) / p.N + p.lam / 2 * squares(p)),
    ),
    (
        r"J = \frac{1}{N} \sum_{n=1}^{N} L_n + \lambda \sum_{l} \sum_{i,j} (W^{(l)}_{ij})^2",
        lambda p, b: (p.loss(), total(p, p.case_loss) / p.N + p.lam * squares(p)),
    ),
]


@pytest.mark.parametrize(("latex", "sides"), OBJECTIVES)
def test_a_sum_over_two_letters_at_once(latex: str, sides: Sides) -> None:
    """``\\sum_{i,j}``: a sum over each letter (the handout's L2 penalty)."""
    want = judge({"sides": sides, "free": {}}, PENALISED, {})
    data = {"layers": [2, 2, 2], "activation": "sigmoid", "reduce": "mean", "l2": "1/5"}
    spec = spec_from_dict({**data, "notation": "handout"}, where="test")
    outcomes = verify(context(spec), Claim(latex))
    assert outcomes and {o.verdict for o in outcomes} == {want}, outcomes


def test_the_oracle_tells_the_penalties_apart() -> None:
    assert [judge({"sides": s, "free": {}}, PENALISED, {}) for _, s in OBJECTIVES] == [
        HOLDS,
        FAILS,
    ]


ONE_OUTPUT = {**network("mean", True), "sizes": [2, 2, 1]}
UNNUMBERED: list[tuple[str, Sides]] = [
    (
        r"\frac{\partial E}{\partial b^{(2)}_{1}} = \frac{1}{n} \sum_{i=1}^{n} (a^{(2)(i)} -"
        r" y^{(i)}) a^{(2)(i)} (1 - a^{(2)(i)})",
        lambda p, b: (p.db(2, 0), total(p, lambda n: slope(p, n)) / p.N),
    ),
    (
        r"\frac{\partial E}{\partial b^{(2)}_{1}} = \frac{1}{n} \sum_{i=1}^{n} (a^{(2)(i)} -"
        r" y^{(i)}) a^{(2)(i)}",
        lambda p, b: (p.db(2, 0), total(p, lambda n: (p.a(2, 0, n) - p.Y[n][0]) * p.a(2, 0, n))),
    ),
]


@pytest.mark.parametrize(("latex", "sides"), UNNUMBERED)
def test_a_single_units_name_without_its_number(latex: str, sides: Sides) -> None:
    """``y^{(i)}``, ``a^{(2)(i)}`` of a layer of one unit: that unit's quantity of case i."""
    want = judge({"sides": sides, "free": {}}, ONE_OUTPUT, {})
    spec = spec_from_dict({"layers": [2, 2, 1], "activation": "sigmoid", "mean": True}, where="t")
    outcomes = verify(context(spec), Claim(latex))
    assert outcomes and {o.verdict for o in outcomes} == {want}, outcomes
    assert want == (HOLDS if "(1 - a" in latex else FAILS)
