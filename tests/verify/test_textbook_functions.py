"""Functions written out as textbooks write them: the rectifier as ``\\max(0, z)`` or
``\\max\\{0, z\\}`` (a layer's vector or one unit; with a free layer letter in a network
whose layers differ in activation, a statement about the layers of that activation).

Every expected verdict comes from the corpus oracle (``tests/corpus/oracle.py``, mpmath only),
never from symbackprop: each claim is a corpus ``case`` whose two sides are computed here from
the oracle's network values, and the tool's verdict must agree. Each form has a claim that
holds and a wrong variant.
"""

from __future__ import annotations

from typing import Any

import pytest
from mpmath import mpf

from symbackprop.errors import SymbackpropError
from tests.corpus.cases import case
from tests.corpus.oracle import FAILS, HOLDS, Point, judge
from tests.corpus.texts import goodfellow, handout
from tests.corpus.tool import RIGHT, judge_case

B = dict[str, Any]
J = {"j": "hidden units"}


def _relu_unit(f: Any) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        return net.a(1, b["j"], 0), f(net.z(1, b["j"], 0))

    return sides


def _relu_layer(f: Any) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        return net.av(1, 0), [f(v) for v in net.zv(1, 0)]

    return sides


HANDOUT_CASES = [
    case(
        "max-set-of-one-unit",
        r"a^{(1)}_j = \max\{0, z^{(1)}_j\}",
        HOLDS,
        _relu_unit(lambda v: max(mpf(0), v)),
        J,
        network=handout.RELU,
    ),
    case(
        "max-zero-last",
        r"a^{(1)}_j = \max(z^{(1)}_j, 0)",
        HOLDS,
        _relu_unit(lambda v: max(mpf(0), v)),
        J,
        network=handout.RELU,
    ),
    case(
        "min-for-max",
        r"a^{(1)}_j = \min(0, z^{(1)}_j)",
        FAILS,
        _relu_unit(lambda v: min(mpf(0), v)),
        J,
        network=handout.RELU,
    ),
    case(
        "max-of-a-layer-negated",
        r"a^{(1)} = \max(0, -z^{(1)})",
        FAILS,
        _relu_layer(lambda v: max(mpf(0), -v)),
        network=handout.RELU,
    ),
    case(
        "max-of-three",
        r"a^{(1)}_j = \max(0, z^{(1)}_j, 2 z^{(1)}_j)",
        FAILS,
        _relu_unit(lambda v: max(mpf(0), v, 2 * v)),
        J,
        network=handout.RELU,
    ),
]

GOODFELLOW_CASES = [
    case(
        "max-of-the-negated-net-input-at-a-free-layer",
        r"h^{(k)} = \max\{0, -a^{(k)}\}",
        FAILS,
        lambda net, b: (net.av(b["k"], 0), [max(mpf(0), -v) for v in net.zv(b["k"], 0)]),
        {"k": "hidden layers"},
    ),
]

ALL = [(handout, handout.RANGES, c) for c in HANDOUT_CASES] + [
    (goodfellow, goodfellow.RANGES, c) for c in GOODFELLOW_CASES
]


@pytest.mark.parametrize(("text", "ranges", "c"), ALL, ids=[c["id"] for _, _, c in ALL])
def test_the_verdict_is_the_oracles(text: Any, ranges: Any, c: dict[str, Any]) -> None:
    network = {**text.NETWORK, **c.get("network", {})}
    assert judge(c, network, ranges) == c["expect"]  # the case is stated right
    got, outcome = judge_case(text, c)
    assert outcome == RIGHT, got


def test_max_without_its_arguments_is_refused_clearly() -> None:
    from symbackprop.verify.claim import Claim, context
    from symbackprop.verify.steps import verify
    from tests.corpus.tool import spec_of

    spec = spec_of({**handout.NETWORK, **handout.RELU}, "handout")
    with pytest.raises(SymbackpropError, match="needs its arguments"):
        verify(context(spec), Claim(r"a^{(1)}_1 = \max z^{(1)}_1"))


def test_a_free_layers_activation_is_judged_on_the_layers_of_that_function() -> None:
    c = next(c for c in goodfellow.CASES if c["id"] == "goodfellow-relu")
    from symbackprop.verify.claim import Claim, Verdict, context
    from symbackprop.verify.steps import verify
    from tests.corpus.tool import spec_of

    outcomes = verify(context(spec_of(goodfellow.NETWORK, "goodfellow")), Claim(c["latex"]))
    assert [o.binding for o in outcomes] == ["k=1", "k=2"]
    assert all(o.verdict is Verdict.HOLDS for o in outcomes)
    assert "skipped k=3 (its activation is sigmoid)" in outcomes[0].remark
