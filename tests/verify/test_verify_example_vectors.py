"""One training example's vectors (a notation's ``[example_matrices]``): Nielsen's BP1-BP4 in
vector form, on a spec whose error is the mean over cases, are judged for one example at a
time under that example's cost C_x, for each example of the verifier's sample; Ng's dz, dW of
one example likewise.

Every expected verdict comes from the independent mpmath oracle of ``tests/corpus`` (central
differences of the loss, no SymPy, no symbackprop), on a small network with two cases so that
the oracle stays fast. The diagnoses are pinned word for word.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from symbackprop.errors import NotationError, SymbackpropError
from symbackprop.model.notation import notation_from_toml
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.corpus.cases import case
from tests.corpus.oracle import FAILS, HOLDS, Point, judge, outer
from tests.corpus.texts import nielsen
from tests.corpus.tool import spec_of

# 2-3-2 with two cases and C = (1/n) sum_x C_x: BP2's (w^3)^T is 3x2, w^3 itself 2x3.
SMALL = {
    **nielsen.NETWORK,
    "sizes": [2, 3, 2],
    "activations": ["sigmoid"] * 2,
    "cases": 2,
    "seed": 7,
}
SPEC = spec_of(SMALL, "nielsen")  # the shipped notation: a^l, z^l, delta^l, y one example's
L_X = {"l": "layers 2..L", "x": "training examples"}


def _corpus(ident: str) -> dict[str, Any]:
    return next(c for c in nielsen.CASES if c["id"] == ident)


def _dw(net: Point, l: int, x: int | None) -> list[list[Any]]:
    """dC_x/dw^l (dC/dw^l of the mean when x is None), by central differences."""
    return [
        [net.dW(l - 1, j, k, case=x) for k in range(net.sizes[l - 2])]
        for j in range(net.sizes[l - 1])
    ]


def _bp4_mean_cost(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    l, x = b["l"], b["x"]
    return _dw(net, l, None), outer(nielsen.delta(net, l, x), nielsen.a(net, l - 1, x))


CASES = [
    _corpus("nielsen-bp1-vector"),
    _corpus("nielsen-bp1-sign-flip"),
    _corpus("nielsen-bp2-vector"),
    _corpus("nielsen-bp2-transposed"),
    _corpus("nielsen-bp3-vector"),
    _corpus("nielsen-bp3-vector-missing-sigma-prime"),
    _corpus("nielsen-bp4-matrix"),
    case(
        "nielsen-bp4-matrix-mean-cost",
        r"\frac{\partial \bar{C}}{\partial w^l} = \delta^l (a^{l-1})^T",
        FAILS,
        _bp4_mean_cost,
        L_X,
    ),
]


@pytest.mark.parametrize("c", CASES, ids=[c["id"] for c in CASES])
def test_one_example_verdict_is_the_oracles(c: dict[str, Any]) -> None:
    expected = judge(c, SMALL, nielsen.RANGES)
    assert expected == c["expect"]  # the recorded verdict is the oracle's
    outcomes = verify(context(SPEC), Claim(c["latex"]), limits=None)
    assert {str(o.verdict) for o in outcomes} == {expected}, [o.diagnosis for o in outcomes]
    for o in outcomes:  # a shape mismatch is found before any entry is compared
        if not o.factor.startswith("shape mismatch"):
            assert "for one example, each of the 2 examples in turn" in o.remark
            assert expected == HOLDS or re.match(r"entry \(\d, \d\) of example [12] ", o.factor)


def test_a_shape_mismatch_names_both_shapes() -> None:
    """BP2 with w^{l+1} not transposed (nielsen-bp2-transposed above: the oracle's verdict on
    this network, where the product does not conform)."""
    latex = _corpus("nielsen-bp2-transposed")["latex"]
    (outcome,) = verify(context(SPEC), Claim(latex), limits=None)
    assert str(outcome.verdict) == FAILS
    assert outcome.factor == r"shape mismatch: w^{3} is 2×3, \delta^{3} is 2×1"


def test_a_batch_matrix_in_a_claim_for_one_example_is_one_clear_message() -> None:
    ng = spec_of({**SMALL, "sizes": [3, 4, 1]}, "ng")
    with pytest.raises(SymbackpropError) as err:
        verify(context(ng), Claim(r"dW^{[2]} = dz^{[2]} A^{[1]T}"), limits=None)
    assert str(err.value) == (
        "A^{[1]T} is a batch's matrix, in a claim written for one example; write one"
        " example's vectors throughout"
    )


def test_a_bad_example_matrices_kind_is_one_clear_line() -> None:
    with pytest.raises(NotationError) as err:
        notation_from_toml('name = "x"\n[example_matrices]\n\'a^{$l}\' = "activations"\n', "x")
    assert "[example_matrices] 'a^{$l}' = 'activations'; a kind is one of" in str(err.value)
    assert "output" in str(err.value) and "\n" not in str(err.value)
