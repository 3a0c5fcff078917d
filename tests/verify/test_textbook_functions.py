"""Functions written out as textbooks write them: the rectifier as ``\\max(0, z)`` or
``\\max\\{0, z\\}`` (a layer's vector or one unit; with a free layer letter in a network
whose layers differ in activation, a statement about the layers of that activation), and
identities about the activation function written with a bare net input (Ng's ``g'(z) = a(1 - a)``,
a slope by ``\\begin{cases}``), judged for each layer's activation as identities in z; the
softmax of a free vector, ``\\mathrm{softmax}(\\boldsymbol{z})_i``; the indicator written
``\\mathbb{1}_{\\{z > 0\\}}`` and the Kronecker delta of two unit numbers ``\\delta_{66}``; a rule
written only in derivatives (Goodfellow's chain rule 6.45 in z, y, x), read for any functions.

Every expected verdict comes from the corpus oracle (``tests/corpus/oracle.py``, mpmath only),
never from symbackprop: each claim is a corpus ``case`` whose two sides are computed here from
the oracle's network values, and the tool's verdict must agree. Each form has a claim that
holds and a wrong variant.
"""

from __future__ import annotations

from typing import Any

import pytest
from mpmath import mp, mpf

from symbackprop.errors import SymbackpropError
from tests.corpus.cases import case
from tests.corpus.oracle import FAILS, HOLDS, Point, unit
from tests.corpus.texts import goodfellow, handout, mitchell, ng_vectorised
from tests.corpus.tool import assert_read_right

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


def _softmax_of_z(f: Any) -> Any:
    """Goodfellow's softmax output unit j against f(z_j, z) of the output layer's net inputs."""

    def sides(net: Point, b: B) -> tuple[Any, Any]:
        zs = net.zv(net.L, 0)
        return net.a(net.L, b["j"], 0), f(zs[b["j"]], zs)

    return sides


def _chain_one_term(net: Point, b: B) -> tuple[Any, Any]:
    """Goodfellow's 6.45 with z = J, y = h^{(k)}, x = h^{(k-1)}, the sum over j forgotten."""
    k, i = b["k"], b["i"]
    rhs = net.da(k, i, 0, per_case=False) * net.d(("a", k, i, 0), ("a", k - 1, i, 0))
    return net.da(k - 1, i, 0, per_case=False), rhs


GOODFELLOW_CASES = [
    case(
        "chain-rule-forgotten-sum",
        r"\frac{\partial z}{\partial x_i} = \frac{\partial z}{\partial y_i}"
        r" \frac{\partial y_i}{\partial x_i}",
        FAILS,
        _chain_one_term,
        {"k": "hidden layers", "i": "units of layer k-1"},
    ),
    case(
        "softmax-negated-exponents",
        r"\operatorname{softmax}(\boldsymbol{z})_i = \frac{\exp(-z_i)}{\sum_j \exp(-z_j)}",
        FAILS,
        _softmax_of_z(lambda zj, zs: mp.exp(-zj) / sum(mp.exp(-v) for v in zs)),
        {"j": "output units"},
        network=goodfellow.SOFTMAX,
    ),
    case(
        "log-softmax-without-the-log",
        r"\log \mathrm{softmax}(\boldsymbol{z})_i = z_i - \sum_j \exp(z_j)",
        FAILS,
        lambda net, b: (
            mp.log(net.a(net.L, b["j"], 0)),
            net.z(net.L, b["j"], 0) - sum(mp.exp(v) for v in net.zv(net.L, 0)),
        ),
        {"j": "output units"},
        network=goodfellow.SOFTMAX,
    ),
    case(
        "max-of-the-negated-net-input-at-a-free-layer",
        r"h^{(k)} = \max\{0, -a^{(k)}\}",
        FAILS,
        lambda net, b: (net.av(b["k"], 0), [max(mpf(0), -v) for v in net.zv(b["k"], 0)]),
        {"k": "hidden layers"},
    ),
]


def _slope(layer: int, f: Any) -> Any:
    """g'(z) of every entry of layer ``layer`` (central differences) against f(z, a)."""

    def sides(net: Point, b: B) -> tuple[Any, Any]:
        l = b.get("l", layer)
        zs, acts = ng_vectorised.Z(net, l), ng_vectorised.A(net, l)
        rhs = [
            [f(z, a) for z, a in zip(zr, ar, strict=True)] for zr, ar in zip(zs, acts, strict=True)
        ]
        return ng_vectorised.gprime(net, l), rhs

    return sides


NG_CASES = [
    case("sigmoid-slope-plus", r"g'(z) = a(1 + a)", FAILS, _slope(2, lambda z, a: a * (1 + a))),
    case("tanh-slope-unsquared", r"g'(z) = 1 - a", FAILS, _slope(1, lambda z, a: 1 - a)),
    case(
        "relu-slope-cases-otherwise",
        r"g'(z) = \begin{cases} 1 & z > 0 \\ 0 & \text{otherwise} \end{cases}",
        HOLDS,
        _slope(1, lambda z, a: mpf(1) if z > 0 else mpf(0)),
        {"l": "hidden layers"},
        network=ng_vectorised.DEEP,
    ),
    case(
        "relu-slope-cases-flipped",
        r"g'(z) = \begin{cases} 1, & \text{if } z < 0 \\ 0, & \text{if } z \geq 0 \end{cases}",
        FAILS,
        _slope(1, lambda z, a: mpf(1) if z < 0 else mpf(0)),
        {"l": "hidden layers"},
        network=ng_vectorised.DEEP,
    ),
]


def _relu_dz1(sign: int) -> Any:
    """∂L/∂z^{(1)}_j of the handout's ReLU net, with the indicator of sign·z > 0."""

    def sides(net: Point, b: B) -> tuple[Any, Any]:
        on = 1 if sign * net.z(1, b["j"], 0) > 0 else 0
        return net.dz(1, b["j"], 0), on * handout.back(net, b["j"])

    return sides


HANDOUT_CASES += [
    case(
        "indicator-subscript-set",
        r"\frac{\partial L}{\partial z^{(1)}_j} = \mathbb{1}_{\{z^{(1)}_j > 0\}}"
        r" \sum_k W^{(2)}_{kj}"
        r" (a^{(2)}_k - y_k)",
        HOLDS,
        _relu_dz1(1),
        J,
        network=handout.RELU,
    ),
    case(
        "indicator-subscript-set-wrong-side",
        r"\frac{\partial L}{\partial z^{(1)}_j} = \mathbb{1}_{\{z^{(1)}_j < 0\}}"
        r" \sum_k W^{(2)}_{kj}"
        r" (a^{(2)}_k - y_k)",
        FAILS,
        _relu_dz1(-1),
        J,
        network=handout.RELU,
    ),
]


def _output_delta(same: int) -> Any:
    """Mitchell's δ_6 (unit 6, the first output: -∂E/∂net_6) against its formula times the
    Kronecker delta's value."""

    def sides(net: Point, b: B) -> tuple[Any, Any]:
        l, j = unit(net, 6)
        o, t = net.a(l, j, 0), net.Y[0][j]
        return -net.dz(l, j, 0), (t - o) * o * (1 - o) * same

    return sides


MITCHELL_CASES = [
    case(
        "kronecker-two-digits",
        r"\delta_6 = (t_6 - o_6) o_6 (1 - o_6) \delta_{66}",
        HOLDS,
        _output_delta(1),
    ),
    case(
        "kronecker-two-digits-other-unit",
        r"\delta_6 = (t_6 - o_6) o_6 (1 - o_6) \delta_{67}",
        FAILS,
        _output_delta(0),
    ),
]

ALL = (
    [(handout, handout.RANGES, c) for c in HANDOUT_CASES]
    + [(mitchell, mitchell.RANGES, c) for c in MITCHELL_CASES]
    + [(goodfellow, goodfellow.RANGES, c) for c in GOODFELLOW_CASES]
    + [(ng_vectorised, ng_vectorised.RANGES, c) for c in NG_CASES]
)


@pytest.mark.parametrize(("text", "ranges", "c"), ALL, ids=[c["id"] for _, _, c in ALL])
def test_the_verdict_is_the_oracles(text: Any, ranges: Any, c: dict[str, Any]) -> None:
    assert_read_right(text, c, ranges)


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


def test_an_activation_identity_names_its_layers_or_the_counterexample() -> None:
    from symbackprop.verify.claim import Claim, Verdict, context
    from symbackprop.verify.steps import verify
    from tests.corpus.tool import spec_of

    ctx = context(spec_of(ng_vectorised.NETWORK, "ng"))
    (held,) = verify(ctx, Claim(r"g'(z) = a(1 - a)"))
    assert held.verdict is Verdict.HOLDS
    assert held.remark == "an identity for the activation of layer 2 (sigmoid)"
    about_j = r"\frac{\partial J}{\partial z} = \frac{\partial J}{\partial a} g'(z)"
    try:  # the network's error J in it: not an identity about one function (no free "holds")
        judged = verify(ctx, Claim(about_j))
    except SymbackpropError:
        judged = []
    assert all(o.verdict is not Verdict.HOLDS for o in judged)
    (wrong,) = verify(ctx, Claim(r"g'(z) = 1 - a"))
    assert wrong.verdict is Verdict.FAILS
    assert wrong.remark.startswith(
        "an identity for the activation of no layer: layer 1 (tanh); at z"
    )


def test_a_cases_row_without_its_condition_is_refused_clearly() -> None:
    from symbackprop.verify.reader import ReadError, parse

    with pytest.raises(ReadError, match="value & condition"):
        parse(r"g'(z) = \begin{cases} 1 & z \\ 0 & \text{otherwise} \end{cases}")


def test_the_random_points_put_each_relu_unit_on_both_sides_of_its_kink() -> None:
    from symbackprop.verify.claim import context
    from symbackprop.verify.numeric import evaluate_at, random_point
    from tests.corpus.tool import spec_of

    ctx = context(spec_of({**ng_vectorised.NETWORK, **ng_vectorised.DEEP}, "ng"))
    net = ctx.scope.net
    for l in (1, 2):  # the rectified layers
        for j, z in enumerate(net.z[l], start=1):
            first = z.xreplace({net.case: 1}) if net.case is not None else z
            signs = {bool(evaluate_at(ctx, first, random_point(ctx, s)) > 0) for s in range(3)}
            assert signs == {True, False}, (l, j)
