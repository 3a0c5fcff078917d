"""The running gradient g of Goodfellow et al.'s algorithm 6.4 (notation key ``upstream``) and
the penalty function Ω (``penalty_function``). The expected verdicts are the corpus's, decided
by the mpmath oracle (tests/corpus/oracle.py), never by symbackprop."""

from __future__ import annotations

from typing import Any

import pytest

from symbackprop.errors import SymbackpropError
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.corpus.cases import case
from tests.corpus.oracle import HOLDS, Point, judge
from tests.corpus.texts import goodfellow
from tests.corpus.tool import RIGHT, judge_case, spec_of

ALGORITHM = [
    "goodfellow-preactivation-gradient",
    "goodfellow-bias-gradient",
    "goodfellow-weight-gradient",
    "goodfellow-propagate",
    "goodfellow-preactivation-missing-fprime",
    "goodfellow-propagate-transposed",
    "goodfellow-weight-gradient-transposed",
    "goodfellow-weight-gradient-no-penalty",
    "goodfellow-weight-gradient-preactivation",
]
CASES = {c["id"]: c for c in goodfellow.CASES}


@pytest.mark.parametrize("case_id", ALGORITHM)
def test_algorithm_6_4_steps_get_the_oracles_verdict(case_id: str) -> None:
    c = CASES[case_id]
    got, outcome = judge_case(goodfellow, c)
    assert outcome == RIGHT, (got, c["expect"])
    assert (got == "holds") == (c["expect"] == HOLDS)


def _verify(latex: str) -> list[str]:
    ctx = context(spec_of(goodfellow.NETWORK, "goodfellow"))
    return [str(o.verdict) for o in verify(ctx, Claim(latex))]


@pytest.mark.parametrize(
    "case_id", ["goodfellow-preactivation-gradient", "goodfellow-preactivation-missing-fprime"]
)
def test_without_the_assignment_the_claim_is_the_same(case_id: str) -> None:
    # g \leftarrow X = Y claims X = Y: the same verdict written without g \leftarrow
    c = CASES[case_id]
    plain = c["latex"].split(r"\leftarrow", 1)[1]
    expected = "holds" if c["expect"] == HOLDS else "does not hold"
    assert set(_verify(plain)) == {expected}


def test_g_needs_a_gradient_on_the_left() -> None:
    with pytest.raises(SymbackpropError, match="running gradient"):
        _verify(r"h^{(k)} = g")


def test_g_assigned_alone_asks_what_it_equals() -> None:
    with pytest.raises(SymbackpropError, match="write what it equals"):
        _verify(r"g \leftarrow \nabla_{a^{(k)}} J")


def test_a_penalty_gradient_of_the_wrong_shape_is_a_shape_mismatch() -> None:
    ctx = context(spec_of(goodfellow.NETWORK, "goodfellow"))
    latex = r"\nabla_{b^{(k)}} J = g + \lambda \nabla_{W^{(k)}} \Omega(\theta)"
    factors = [o.factor for o in verify(ctx, Claim(latex))]
    assert factors and all(f.startswith("shape mismatch") for f in factors)
    assert "3×1" in factors[0] and "3×3" in factors[0]


CH7 = [
    "goodfellow-objective",
    "goodfellow-regularised-objective",
    "goodfellow-regularised-gradient",
    "goodfellow-weight-decay-step",
    "goodfellow-weight-decay-shrink",
    "goodfellow-weight-decay-ascent",
    "goodfellow-weight-decay-grows",
    "goodfellow-regularised-gradient-no-penalty",
    "goodfellow-sgd-minibatch",
    "goodfellow-sgd-minibatch-no-mean",
]


@pytest.mark.parametrize("case_id", CH7)
def test_penalised_objective_and_weight_decay_get_the_oracles_verdict(case_id: str) -> None:
    c = CASES[case_id]
    got, outcome = judge_case(goodfellow, c)
    assert outcome == RIGHT, (got, c["expect"])


def test_a_semicolon_separates_parameters_from_data() -> None:
    from symbackprop.verify.reader import Group, Prod, parse

    row = parse(r"f(x; \theta, b)").rows[0]
    node = row.clauses[0].sides[0]
    assert isinstance(node, Prod)
    args = node.items[1][1]
    assert isinstance(args, Group) and args.kind == "tuple" and args.rel == ";"
    assert len(args.items) == 3


def _entry_grad(penalty: bool) -> Any:
    def sides(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
        k, i, j = b["k"], b["i"], b["j"]
        rhs = net.dz(k, i, 0, per_case=False) * net.a(k - 1, j, 0)
        return net.dW(k, i, j), rhs + (net.lam * net.W[k][i][j] if penalty else 0)

    return sides


ENTRY_RANGES = {
    **goodfellow.RANGES,
    "units of layer k": lambda net, b: range(net.sizes[b["k"]]),
}
ENTRY_FREE = {"k": "layers 1..l", "i": "units of layer k", "j": "units of layer k-1"}


@pytest.mark.parametrize(
    ("latex", "penalty"),
    [
        (
            r"\frac{\partial J}{\partial W^{(k)}_{i,j}} = g^{(k)}_i h^{(k-1)}_j"
            r" + \lambda W^{(k)}_{i,j}",
            True,
        ),
        (r"\frac{\partial J}{\partial W^{(k)}_{i,j}} = g^{(k)}_i h^{(k-1)}_j", False),
    ],
)
def test_entries_with_unit_letters_i_j(latex: str, penalty: bool) -> None:
    # the case letter is n, so i and j are free unit indices of W^{(k)}_{i,j}
    c = case("entry", latex, HOLDS, _entry_grad(penalty), ENTRY_FREE)
    expected = judge(c, goodfellow.NETWORK, ENTRY_RANGES)
    assert set(_verify(latex)) == {"holds" if expected == HOLDS else "does not hold"}
