"""The running gradient g of Goodfellow et al.'s algorithm 6.4 (notation key ``upstream``) and
the penalty function Ω (``penalty_function``). The expected verdicts are the corpus's, decided
by the mpmath oracle (tests/corpus/oracle.py), never by symbackprop."""

from __future__ import annotations

import pytest

from symbackprop.errors import SymbackpropError
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.corpus.oracle import HOLDS
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


def test_g_is_one_step_upstream_of_the_left_side() -> None:
    # the f' step reads g as the gradient by h^{(k)}; the weight step as the one by a^{(k)}
    assert set(_verify(r"\nabla_{a^{(k)}} J = g \odot f'(a^{(k)})")) == {"holds"}
    assert set(_verify(r"\nabla_{a^{(k)}} J = g")) == {"does not hold"}


def test_g_needs_a_gradient_on_the_left() -> None:
    with pytest.raises(SymbackpropError, match="running gradient"):
        _verify(r"h^{(k)} = g")


def test_g_assigned_alone_asks_what_it_equals() -> None:
    with pytest.raises(SymbackpropError, match="write what it equals"):
        _verify(r"g \leftarrow \nabla_{a^{(k)}} J")


def test_penalty_gradient_of_the_biases_is_zero_when_only_weights_are_penalised() -> None:
    assert set(_verify(r"\nabla_{b^{(k)}} J = g + \lambda \nabla_{b^{(k)}} \Omega(\theta)")) == {
        "holds"
    }
    assert "does not hold" in _verify(
        r"\nabla_{b^{(k)}} J = g + \lambda \nabla_{W^{(k)}} \Omega(\theta)"
    )


CH7 = [
    "goodfellow-objective",
    "goodfellow-regularised-objective",
    "goodfellow-regularised-gradient",
    "goodfellow-weight-decay-step",
    "goodfellow-weight-decay-shrink",
    "goodfellow-weight-decay-ascent",
    "goodfellow-weight-decay-grows",
]


@pytest.mark.parametrize("case_id", CH7)
def test_penalised_objective_and_weight_decay_get_the_oracles_verdict(case_id: str) -> None:
    c = CASES[case_id]
    got, outcome = judge_case(goodfellow, c)
    assert outcome == RIGHT, (got, c["expect"])


def test_the_error_with_data_arguments_has_no_penalty() -> None:
    # J(w; X, y) is the data term: its gradient lacks the penalty's alpha w, J~'s has it
    args = r"(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y})"
    assert _verify(
        rf"\nabla_{{\boldsymbol{{w}}}} \tilde{{J}}{args} = \nabla_{{\boldsymbol{{w}}}} J{args}"
    ) == ["does not hold"]
    assert _verify(rf"J = J{args} + \lambda \Omega(\theta)") == ["holds"]
    assert _verify(rf"J = J{args}") == ["does not hold"]


def test_a_semicolon_separates_parameters_from_data() -> None:
    from symbackprop.verify.reader import Group, Prod, parse

    row = parse(r"f(x; \theta, b)").rows[0]
    node = row.clauses[0].sides[0]
    assert isinstance(node, Prod)
    args = node.items[1][1]
    assert isinstance(args, Group) and args.kind == "tuple" and args.rel == ";"
    assert len(args.items) == 3
