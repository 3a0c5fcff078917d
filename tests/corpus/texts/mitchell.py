"""Mitchell, *Machine Learning* (1997), ch. 4: backpropagation for a two-layer sigmoid network
trained by stochastic gradient descent, one training example d at a time.

Units are numbered through the whole net (inputs 1-2, hidden 3-5, outputs 6-7); ``w_{ji}``
is the weight into unit j from unit i and ``x_{ji}`` the input from unit i into unit j (a
network input for a hidden unit, the hidden unit's output o_i for an output unit). ``w_{ji}``
between units that no weight connects is zero. The threshold is the weight ``w_{j0}`` from a
constant input ``x_{j0} = 1``: the main network has none, the ``THRESHOLDS`` network has one
on every unit, so a sum over i there runs from i = 0. E_d is the error of the one example d.
"""

from __future__ import annotations

from typing import Any

from mpmath import mp, mpf

from ..cases import case
from ..oracle import FAILS, HOLDS, Point, first, layer_units, sigmoid, unit

B = dict[str, Any]

NETWORK: dict[str, Any] = {
    "sizes": [2, 3, 2],
    "activations": ["sigmoid", "sigmoid"],
    "biases": False,
    "loss": "half_sse",
    "reduce": "sum",
    "l2": "0",
    "cases": 1,
    "seed": 1997,
    "first_layer": 0,
    "weight_orientation": "w_{ji}: into unit j from unit i (global unit numbers)",
    "batch_columns": False,
}
THRESHOLDS: dict[str, Any] = {**NETWORK, "biases": True, "seed": 4}

NOTATION: dict[str, str] = {
    "weight": "w_{ji} (into j from i)",
    "bias": "w_{j0}, the weight from a constant input x_{j0} = 1",
    "net_input": "net_j = \\sum_i w_{ji} x_{ji}",
    "activation": "o_j = \\sigma(net_j)",
    "delta": "\\delta_n = -\\partial E_d / \\partial net_n",
    "error": "E_d(\\vec{w}) = \\frac{1}{2}\\sum_{k \\in outputs} (t_k - o_k)^2",
    "learning_rate": "\\eta",
    "target": "t_k",
    "output": "o_k",
    "input": "x_{ji}, the input from unit i into unit j",
    "example_index": "d (in E_d only)",
    "layer_index": "none: letters i, h, k for input, hidden and output units",
    "W_orientation": "w_{ji}, receiving unit first",
    "update": "\\Delta w_{ji} = \\eta \\delta_j x_{ji}",
}

ETA = mpf("0.3")
D = 0  # the one training example


def w(net: Point, j: int, i: int) -> Any:
    """w_{ji}; i = 0 is the threshold w_{j0}."""
    lj, jj = unit(net, j)
    if i == 0:
        return net.b[lj][jj]
    li, ii = unit(net, i)
    return net.W[lj][jj][ii] if li == lj - 1 else mpf(0)


def o(net: Point, j: int) -> Any:
    return net.a(*unit(net, j), D)


def x(net: Point, j: int, i: int) -> Any:
    """x_{ji}: the input from unit i into unit j (x_{j0} = 1)."""
    return mpf(1) if i == 0 else o(net, i)


def net_in(net: Point, j: int) -> Any:
    return net.z(*unit(net, j), D)


def delta(net: Point, j: int) -> Any:
    return -net.dz(*unit(net, j), D)


def t(net: Point, k: int) -> Any:
    return net.Y[D][unit(net, k)[1]]


def dE_dw(net: Point, j: int, i: int) -> Any:
    lj, jj = unit(net, j)
    if i == 0:
        return net.db(lj, jj, case=D)
    return net.dW(lj, jj, unit(net, i)[1], case=D)


def param(net: Point, j: int, i: int) -> tuple[Any, ...]:
    lj, jj = unit(net, j)
    return ("b", lj, jj) if i == 0 else ("W", lj, jj, unit(net, i)[1])


def feeding(net: Point, b: B) -> list[int]:
    """The units i feeding unit j, with i = 0 (the threshold) when the net has biases."""
    lj = unit(net, b["j"])[0]
    return ([0] if net.spec["biases"] else []) + list(layer_units(net, lj - 1))


def downstream(net: Point, j: int) -> range:
    lj = unit(net, j)[0]
    return layer_units(net, lj + 1) if lj < net.L else range(0)


RANGES = {
    "output units": lambda net, b: layer_units(net, net.L),
    "hidden units": lambda net, b: layer_units(net, 1),
    "non-input units": lambda net, b: range(first(net, 1), first(net, net.L + 1)),
    "units feeding j": feeding,
}
J = {"j": "non-input units"}
JI = {"j": "non-input units", "i": "units feeding j"}
K = {"k": "output units"}
H = {"h": "hidden units"}
JO = {"j": "output units"}
JH = {"j": "hidden units"}


def _slope(net: Point, j: int) -> Any:
    return o(net, j) * (1 - o(net, j))


def _back(net: Point, h: int, transposed: bool = False) -> Any:
    return sum(
        (w(net, h, k) if transposed else w(net, k, h)) * delta(net, k)
        for k in layer_units(net, net.L)
    )


def _net_sum(net: Point, b: B) -> tuple[Any, Any]:
    j = b["j"]
    return net_in(net, j), sum(w(net, j, i) * x(net, j, i) for i in feeding(net, b))


def _error(net: Point, b: B) -> tuple[Any, Any]:
    rhs = sum((t(net, k) - o(net, k)) ** 2 for k in layer_units(net, net.L)) / 2
    return net.case_loss(D), rhs


def _dnet_chain_hidden(net: Point, b: B) -> tuple[Any, Any]:
    j = b["j"]
    lj, jj = unit(net, j)
    rhs = sum(
        net.dz(*unit(net, k), D) * net.d(("z", *unit(net, k), D), ("z", lj, jj, D))
        for k in downstream(net, j)
    )
    return net.dz(lj, jj, D), rhs


def _update_rule(net: Point, b: B) -> tuple[Any, Any]:
    """Delta w_{ji} = eta delta_j x_{ji}: the change gradient descent makes, and the rule's."""
    j, i = b["j"], b["i"]
    return -ETA * dE_dw(net, j, i), ETA * delta(net, j) * x(net, j, i)


def _output_rule(net: Point, b: B) -> tuple[Any, Any]:
    """The output-unit rule, eta (t_j - o_j) o_j (1 - o_j) x_{ji}."""
    j, i = b["j"], b["i"]
    return -ETA * dE_dw(net, j, i), ETA * (t(net, j) - o(net, j)) * _slope(net, j) * x(net, j, i)


CASES = [
    case(
        "mitchell-error-of-example",
        r"E_d(\vec{w}) \equiv \frac{1}{2} \sum_{k \in outputs} (t_k - o_k)^2",
        HOLDS,
        _error,
    ),
    case(
        "mitchell-error",
        r"E_d = \frac{1}{2} \sum_{k \in outputs} (t_k - o_k)^2",
        HOLDS,
        _error,
    ),
    case("mitchell-net-input", r"net_j = \sum_i w_{ji} x_{ji}", HOLDS, _net_sum, J),
    case(
        "mitchell-net-input-threshold",
        r"net_j = \sum_i w_{ji} x_{ji}",
        HOLDS,
        _net_sum,
        J,
        network=THRESHOLDS,
    ),
    case(
        "mitchell-net-input-threshold-limits",
        r"net_j = \sum_{i=0}^{n} w_{ji} x_{ji}",
        HOLDS,
        _net_sum,
        J,
        network=THRESHOLDS,
    ),
    case(
        "mitchell-output",
        r"o_j = \sigma(net_j)",
        HOLDS,
        lambda net, b: (o(net, b["j"]), sigmoid(net_in(net, b["j"]))),
        J,
    ),
    case(
        "mitchell-logistic",
        r"o_j = \frac{1}{1 + e^{-net_j}}",
        HOLDS,
        lambda net, b: (o(net, b["j"]), 1 / (1 + mp.exp(-net_in(net, b["j"])))),
        J,
    ),
    case(
        "mitchell-chain-weight",
        r"\frac{\partial E_d}{\partial w_{ji}} = \frac{\partial E_d}{\partial net_j} x_{ji}",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"]),
            net.dz(*unit(net, b["j"]), D) * x(net, b["j"], b["i"]),
        ),
        JI,
    ),
    case(
        "mitchell-chain-net",
        r"\frac{\partial E_d}{\partial w_{ji}} = \frac{\partial E_d}{\partial net_j}"
        r" \frac{\partial net_j}{\partial w_{ji}}",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"]),
            net.dz(*unit(net, b["j"]), D)
            * net.d(("z", *unit(net, b["j"]), D), param(net, b["j"], b["i"])),
        ),
        JI,
    ),
    case(
        "mitchell-output-chain",
        r"\frac{\partial E_d}{\partial net_j} = \frac{\partial E_d}{\partial o_j}"
        r" \frac{\partial o_j}{\partial net_j}",
        HOLDS,
        lambda net, b: (
            net.dz(*unit(net, b["j"]), D),
            net.da(*unit(net, b["j"]), D)
            * net.d(("a", *unit(net, b["j"]), D), ("z", *unit(net, b["j"]), D)),
        ),
        J,
    ),
    case(
        "mitchell-dE-do",
        r"\frac{\partial E_d}{\partial o_j} = -(t_j - o_j)",
        HOLDS,
        lambda net, b: (net.da(*unit(net, b["j"]), D), -(t(net, b["j"]) - o(net, b["j"]))),
        JO,
    ),
    case(
        "mitchell-sigmoid-slope",
        r"\frac{\partial o_j}{\partial net_j} = o_j(1 - o_j)",
        HOLDS,
        lambda net, b: (
            net.d(("a", *unit(net, b["j"]), D), ("z", *unit(net, b["j"]), D)),
            _slope(net, b["j"]),
        ),
        J,
    ),
    case(
        "mitchell-output-dE-dnet",
        r"\frac{\partial E_d}{\partial net_j} = -(t_j - o_j) o_j (1 - o_j)",
        HOLDS,
        lambda net, b: (
            net.dz(*unit(net, b["j"]), D),
            -(t(net, b["j"]) - o(net, b["j"])) * _slope(net, b["j"]),
        ),
        JO,
    ),
    case(
        "mitchell-output-unit-rule",
        r"\Delta w_{ji} = \eta (t_j - o_j) o_j (1 - o_j) x_{ji}",
        HOLDS,
        _output_rule,
        {"j": "output units", "i": "units feeding j"},
    ),
    case(
        "mitchell-delta-definition",
        r"\delta_n = -\frac{\partial E_d}{\partial net_n}",
        HOLDS,
        lambda net, b: (delta(net, b["n"]), -net.dz(*unit(net, b["n"]), D)),
        {"n": "non-input units"},
    ),
    case(
        "mitchell-output-delta",
        r"\delta_k = o_k(1 - o_k)(t_k - o_k)",
        HOLDS,
        lambda net, b: (
            delta(net, b["k"]),
            _slope(net, b["k"]) * (t(net, b["k"]) - o(net, b["k"])),
        ),
        K,
    ),
    case(
        "mitchell-hidden-delta",
        r"\delta_h = o_h(1 - o_h) \sum_{k \in outputs} w_{kh} \delta_k",
        HOLDS,
        lambda net, b: (delta(net, b["h"]), _slope(net, b["h"]) * _back(net, b["h"])),
        H,
    ),
    case(
        "mitchell-hidden-dnet-downstream",
        r"\frac{\partial E_d}{\partial net_j} = \sum_{k \in Downstream(j)}"
        r" \frac{\partial E_d}{\partial net_k} \frac{\partial net_k}{\partial net_j}",
        HOLDS,
        _dnet_chain_hidden,
        JH,
    ),
    case(
        "mitchell-hidden-delta-downstream",
        r"\delta_j = o_j(1 - o_j) \sum_{k \in Downstream(j)} \delta_k w_{kj}",
        HOLDS,
        lambda net, b: (delta(net, b["j"]), _slope(net, b["j"]) * _back(net, b["j"])),
        JH,
    ),
    case(
        "mitchell-weight-update",
        r"\Delta w_{ji} = \eta \delta_j x_{ji}",
        HOLDS,
        _update_rule,
        JI,
    ),
    case(
        "mitchell-weight-update-hidden-output",
        r"\Delta w_{kh} = \eta \delta_k o_h",
        HOLDS,
        lambda net, b: (
            -ETA * dE_dw(net, b["k"], b["h"]),
            ETA * delta(net, b["k"]) * o(net, b["h"]),
        ),
        {"k": "output units", "h": "hidden units"},
    ),
    case(
        "mitchell-weight-update-output-letters",
        r"\Delta w_{kh} = \eta \delta_k x_{kh}",
        HOLDS,
        lambda net, b: (
            -ETA * dE_dw(net, b["k"], b["h"]),
            ETA * delta(net, b["k"]) * x(net, b["k"], b["h"]),
        ),
        {"k": "output units", "h": "hidden units"},
    ),
    case(
        "mitchell-weight-update-threshold",
        r"\Delta w_{ji} = \eta \delta_j x_{ji}",
        HOLDS,
        _update_rule,
        JI,
        network=THRESHOLDS,
    ),
    case(
        "mitchell-output-unit-rule-threshold",
        r"\Delta w_{ji} = \eta (t_j - o_j) o_j (1 - o_j) x_{ji}",
        HOLDS,
        _output_rule,
        {"j": "output units", "i": "units feeding j"},
        network=THRESHOLDS,
    ),
    case(
        "mitchell-new-weight",
        r"w_{ji} \leftarrow w_{ji} + \Delta w_{ji}",
        HOLDS,
        lambda net, b: (
            w(net, b["j"], b["i"]) - ETA * dE_dw(net, b["j"], b["i"]),
            w(net, b["j"], b["i"]) + ETA * delta(net, b["j"]) * x(net, b["j"], b["i"]),
        ),
        JI,
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "mitchell-output-delta-sign",
        r"\delta_k = o_k(1 - o_k)(o_k - t_k)",
        FAILS,
        lambda net, b: (
            delta(net, b["k"]),
            _slope(net, b["k"]) * (o(net, b["k"]) - t(net, b["k"])),
        ),
        K,
        "sign flip",
    ),
    case(
        "mitchell-output-delta-missing-slope",
        r"\delta_k = t_k - o_k",
        FAILS,
        lambda net, b: (delta(net, b["k"]), t(net, b["k"]) - o(net, b["k"])),
        K,
        "missing activation derivative",
    ),
    case(
        "mitchell-hidden-delta-transposed",
        r"\delta_h = o_h(1 - o_h) \sum_{k \in outputs} w_{hk} \delta_k",
        FAILS,
        lambda net, b: (delta(net, b["h"]), _slope(net, b["h"]) * _back(net, b["h"], True)),
        H,
        "transposed indices",
    ),
    case(
        "mitchell-hidden-delta-wrong-unit",
        r"\delta_h = \sum_{k \in outputs} o_k(1 - o_k) w_{kh} \delta_k",
        FAILS,
        lambda net, b: (
            delta(net, b["h"]),
            sum(
                _slope(net, k) * w(net, k, b["h"]) * delta(net, k) for k in layer_units(net, net.L)
            ),
        ),
        H,
        "wrong unit's activation derivative",
    ),
    case(
        "mitchell-weight-update-sign",
        r"\Delta w_{ji} = -\eta \delta_j x_{ji}",
        FAILS,
        lambda net, b: (
            -ETA * dE_dw(net, b["j"], b["i"]),
            -ETA * delta(net, b["j"]) * x(net, b["j"], b["i"]),
        ),
        JI,
        "learning-rate sign error",
    ),
    case(
        "mitchell-output-unit-rule-missing-slope",
        r"\Delta w_{kh} = \eta (t_k - o_k) x_{kh}",
        FAILS,
        lambda net, b: (
            -ETA * dE_dw(net, b["k"], b["h"]),
            ETA * (t(net, b["k"]) - o(net, b["k"])) * x(net, b["k"], b["h"]),
        ),
        {"k": "output units", "h": "hidden units"},
        "missing activation derivative",
    ),
    case(
        "mitchell-output-delta-net-for-o",
        r"\delta_k = net_k(1 - net_k)(t_k - o_k)",
        FAILS,
        lambda net, b: (
            delta(net, b["k"]),
            net_in(net, b["k"]) * (1 - net_in(net, b["k"])) * (t(net, b["k"]) - o(net, b["k"])),
        ),
        K,
        "z for a",
    ),
]
