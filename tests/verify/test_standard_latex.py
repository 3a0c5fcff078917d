"""Standard textbook LaTeX the verifier must read right: exponentials written as e^{z}, primed
index letters (k'), the Kronecker delta, d/dz of a function, and sums over Downstream(j).

Every expected verdict comes from the corpus oracle (``tests/corpus/oracle.py``, mpmath only,
central differences), never from symbackprop: each claim is a corpus ``case`` whose two sides
are computed here from the oracle's network values, and the tool's verdict must agree. Each
form has a claim that holds and a wrong variant.
"""

from __future__ import annotations

from typing import Any

import pytest
from mpmath import mp

from symbackprop.errors import SymbackpropError
from tests.corpus.cases import case
from tests.corpus.oracle import FAILS, HOLDS, Point, layer_units, scalar_derivative, unit
from tests.corpus.texts import handout, mitchell
from tests.corpus.tool import REFUSED, assert_read_right, judge_case

B = dict[str, Any]
OUT = "z^{(2)}"  # the handout's output net input


def _softmax(sign: int) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        k = b["k"]
        top = mp.exp(sign * net.z(2, k, 0))
        return net.a(2, k, 0), top / sum(mp.exp(sign * v) for v in net.zv(2, 0))

    return sides


def _jacobian(kronecker: bool) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        k, m = b["k"], b["k'"]
        same = (1 if k == m else 0) if kronecker else 1
        lhs = net.d(("a", 2, k, 0), ("z", 2, m, 0))
        return lhs, net.a(2, k, 0) * (same - net.a(2, m, 0))

    return sides


def _tanh_slope(squared: bool) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        z = net.z(1, b["j"], 0)
        return scalar_derivative(mp.tanh, z), 1 - mp.tanh(z) ** (2 if squared else 1)

    return sides


def _downstream(sign: int) -> Any:
    """∂E_d/∂o_j of a hidden unit j = -Σ over the units k of the next layer of δ_k ∂net_k/∂o_j
    (Mitchell's δ_k = -∂E_d/∂net_k; ∂net_k/∂o_j = w_{kj}). Summed over every unit instead, the
    units two layers up would add their chains through the layer between."""

    def sides(net: Point, b: B) -> tuple[Any, Any]:
        lj, jj = unit(net, b["j"])
        back = sum(net.dz(lj + 1, k, 0) * net.W[lj + 1][k][jj] for k in range(net.sizes[lj + 1]))
        return net.da(lj, jj, 0), sign * back

    return sides


def _fed_sums(net: Point, b: B) -> tuple[Any, Any]:
    """Σ over the next layer of w_{kj} δ_k, against its negative."""
    lj, jj = unit(net, b["j"])
    fed = sum(-net.dz(lj + 1, k, 0) * net.W[lj + 1][k][jj] for k in range(net.sizes[lj + 1]))
    return fed, -fed


def _kronecker_output(net: Point, b: B) -> tuple[Any, Any]:
    """Mitchell's output δ_j written as a sum with δ_{kj} (the notation's δ is the error term)."""
    j = 6  # the first output unit of the 2-3-2 net (units are numbered through the net)
    rhs = 0
    for k in layer_units(net, net.L):
        ok, tk = net.a(net.L, unit(net, k)[1], 0), net.Y[0][unit(net, k)[1]]
        rhs += (tk - ok) * ok * (1 - ok) * (1 if k == j else 0)
    return -net.dz(*unit(net, j), 0), rhs


def _unkronecked(net: Point) -> Any:
    """The sum with the notation's δ_k (-∂E/∂net_k) where the Kronecker delta belongs."""
    rhs = 0
    for k in layer_units(net, net.L):
        ok, tk = net.a(net.L, unit(net, k)[1], 0), net.Y[0][unit(net, k)[1]]
        rhs += (tk - ok) * ok * (1 - ok) * -net.dz(*unit(net, k), 0)
    return rhs


def _relu_dz1(sign: int) -> Any:
    """∂L/∂z^{(1)}_j of the handout's ReLU net, with the indicator of sign·z > 0."""

    def sides(net: Point, b: B) -> tuple[Any, Any]:
        j = b["j"]
        on = 1 if sign * net.z(1, j, 0) > 0 else 0
        return net.dz(1, j, 0), on * handout.back(net, j)

    return sides


def _relu_dz1_by_a(net: Point, b: B) -> tuple[Any, Any]:
    """The same with the indicator of the activation a^{(1)}_j > 0 (a = max(0, z))."""
    j = b["j"]
    return net.dz(1, j, 0), (1 if net.a(1, j, 0) > 0 else 0) * handout.back(net, j)


K = {"k": "output units"}
KK = {"k": "output units", "k'": "output units"}
DEEP = {**mitchell.NETWORK, "sizes": [2, 3, 3, 2], "activations": ["sigmoid"] * 3, "seed": 7}
MITCHELL_RANGES = {
    **mitchell.RANGES,
    "units feeding a layer": lambda net, b: [
        u for l in range(1, net.L) for u in layer_units(net, l)
    ],
}
HID = {"j": "units feeding a layer"}

HANDOUT_CASES = [
    case(
        "exp-softmax",
        rf"a^{{(2)}}_k = \frac{{\exp({OUT}_k)}}{{\sum_{{k'}} \exp({OUT}_{{k'}})}}",
        HOLDS,
        _softmax(1),
        K,
    ),
    case(
        "exp-softmax-negated",
        rf"a^{{(2)}}_k = \frac{{e^{{-{OUT}_k}}}}{{\sum_{{k'}} e^{{-{OUT}_{{k'}}}}}}",
        FAILS,
        _softmax(-1),
        K,
    ),
    case(
        "jacobian-kronecker",
        rf"\frac{{\partial a^{{(2)}}_k}}{{\partial {OUT}_{{k'}}}}"
        rf" = a^{{(2)}}_k (\delta_{{kk'}} - a^{{(2)}}_{{k'}})",
        HOLDS,
        _jacobian(True),
        KK,
    ),
    case(
        "jacobian-without-kronecker",
        rf"\frac{{\partial a^{{(2)}}_k}}{{\partial {OUT}_{{k'}}}}"
        rf" = a^{{(2)}}_k (1 - a^{{(2)}}_{{k'}})",
        FAILS,
        _jacobian(False),
        KK,
    ),
    case(
        "d-tanh",
        r"\frac{d \tanh}{dz} = 1 - \tanh^2(z)",
        HOLDS,
        _tanh_slope(True),
        {"j": "hidden units"},
    ),
    case(
        "d-dz-tanh-unsquared",
        r"\frac{d}{dz} \tanh(z) = 1 - \tanh z",
        FAILS,
        _tanh_slope(False),
        {"j": "hidden units"},
    ),
    case(
        "iverson-bracket",
        r"\frac{\partial L}{\partial z^{(1)}_j} = [z^{(1)}_j > 0] \sum_k W^{(2)}_{kj}"
        r" (a^{(2)}_k - y_k)",
        HOLDS,
        _relu_dz1(1),
        {"j": "hidden units"},
        network=handout.RELU,
    ),
    case(
        "indicator-of-the-relu-activation",
        r"\frac{\partial L}{\partial z^{(1)}_j} = 1\{a^{(1)}_j > 0\} \sum_k W^{(2)}_{kj}"
        r" (a^{(2)}_k - y_k)",
        HOLDS,
        _relu_dz1_by_a,
        {"j": "hidden units"},
        network=handout.RELU,
    ),
    case(
        "indicator-subscript-wrong-side",
        r"\frac{\partial L}{\partial z^{(1)}_j} = \mathbb{1}_{z^{(1)}_j < 0} \sum_k W^{(2)}_{kj}"
        r" (a^{(2)}_k - y_k)",
        FAILS,
        _relu_dz1(-1),
        {"j": "hidden units"},
        network=handout.RELU,
    ),
]

MITCHELL_CASES = [
    case(
        "downstream",
        r"\frac{\partial E_d}{\partial o_j} = -\sum_{k \in Downstream(j)} \delta_k"
        r" \frac{\partial net_k}{\partial o_j}",
        HOLDS,
        _downstream(1),
        HID,
        network=DEEP,
    ),
    case(
        "downstream-sign",
        r"\frac{\partial E_d}{\partial o_j} = \sum_{k \in Downstream(j)} \delta_k"
        r" \frac{\partial net_k}{\partial o_j}",
        FAILS,
        _downstream(-1),
        HID,
        network=DEEP,
    ),
    case(
        "downstream-letter-only-in-the-set",  # j is free though only Downstream(j) names it
        r"\sum_{k \in Downstream(j)} w_{kj} \delta_k = -\sum_k w_{kj} \delta_k",
        FAILS,
        _fed_sums,
        HID,
        network=DEEP,
    ),
    case(
        "kronecker-beside-the-error-term",
        r"\delta_6 = \sum_{k \in outputs} (t_k - o_k) o_k (1 - o_k) \delta_{k6}",
        HOLDS,
        _kronecker_output,
    ),
    case(
        "kronecker-read-as-the-error-term",
        r"\delta_6 = \sum_{k \in outputs} (t_k - o_k) o_k (1 - o_k) \delta_{k}",
        FAILS,
        lambda net, b: (_kronecker_output(net, b)[0], _unkronecked(net)),
    ),
]


ALL = [(handout, handout.RANGES, c) for c in HANDOUT_CASES] + [
    (mitchell, MITCHELL_RANGES, c) for c in MITCHELL_CASES
]


@pytest.mark.parametrize(("text", "ranges", "c"), ALL, ids=[c["id"] for _, _, c in ALL])
def test_the_verdict_is_the_oracles(text: Any, ranges: Any, c: dict[str, Any]) -> None:
    assert_read_right(text, c, ranges)


def test_downstream_of_anything_but_a_unit_letter_is_refused_clearly() -> None:
    c = case(
        "downstream-of-a-number",
        r"\delta_j = o_j(1 - o_j) \sum_{k \in Downstream(j + 1)} \delta_k w_{kj}",
        HOLDS,
        _downstream(1),
        HID,
        network=DEEP,
    )
    got, outcome = judge_case(mitchell, c)
    assert outcome == REFUSED and "takes one unit letter" in got


def test_a_sum_index_takes_primes_only() -> None:
    from symbackprop.verify.reader import parse

    with pytest.raises(SymbackpropError, match="single letter"):
        parse(r"\sum_{k_1} a_{k_1}")


def test_a_sum_whose_terms_lack_its_index_is_refused_clearly() -> None:
    c = case(
        "softmax-unindexed",
        rf"a^{{(2)}}_k = \frac{{e^{{{OUT}_k}}}}{{\sum_{{k'}} e^{{{OUT}_{{k}}}}}}",
        FAILS,
        _softmax(1),
        K,
    )
    got, outcome = judge_case(handout, c)
    assert outcome == REFUSED and "does not contain k'" in got
