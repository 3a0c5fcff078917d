"""Hagan, Demuth, Beale & De Jesus, *Neural Network Design* (2nd ed.), ch. 11 (backpropagation).

Layers m = 1..M (the input a^0 = p is layer 0, as in the oracle), S^m neurons in layer m,
``n^m = W^m a^{m-1} + b^m``, ``a^m = f^m(n^m)``; ``w^m_{i,j}`` goes to neuron i of layer m
from neuron j of layer m-1. The performance index is the squared error of ONE example, not
halved: ``F^ = (t - a)^T (t - a)``; the sensitivity is ``s^m_i = dF^/dn^m_i``. Every layer
is log-sigmoid, so ``f'(n) = (1 - a) a``. Steepest descent uses the learning rate alpha and
the iteration argument (k).
"""

from __future__ import annotations

from typing import Any

from mpmath import mpf

from ..cases import case
from ..oracle import FAILS, HOLDS, Point, diag, matvec, outer, transpose

B = dict[str, Any]

NETWORK: dict[str, Any] = {
    "sizes": [2, 3, 3, 2],
    "activations": ["sigmoid", "sigmoid", "sigmoid"],
    "biases": True,
    "loss": "sse",
    "reduce": "sum",
    "l2": "0",
    "cases": 1,
    "seed": 1996,
    "first_layer": 0,
    "weight_orientation": "w^m_{i,j}: i in layer m (row), j in layer m-1 (column)",
    "batch_columns": False,
}

NOTATION: dict[str, str] = {
    "weight": "w^m_{i,j}, W^m (S^m x S^{m-1})",
    "bias": "b^m_i, b^m",
    "net_input": "n^m_i, n^m",
    "activation": "a^m_i = f^m(n^m_i); a^0 = p",
    "delta": "s^m_i = \\partial \\hat{F} / \\partial n^m_i (sensitivity)",
    "error": "\\hat{F}(x) = (t - a)^T (t - a) = e^T e, one example, not halved",
    "learning_rate": "\\alpha",
    "target": "t",
    "output": "a = a^M",
    "layer_index": "superscript m = 1..M, 0 = input",
    "W_orientation": "rows = neurons of layer m, columns = neurons of layer m-1",
    "slope": "\\dot{f}^m(n), \\dot{F}^m(n^m) = diag of the slopes",
    "iteration": "(k) after a parameter: its value at iteration k",
}

ALPHA = mpf("0.1")
N = 0  # the one example


def _layers(net: Point, b: B) -> range:
    return range(1, net.L + 1)


RANGES = {
    "layers 1..M": _layers,
    "layers 1..M-1": lambda net, b: range(1, net.L),
    "neurons of layer m": lambda net, b: range(net.sizes[b["m"]]),
    "neurons of layer m-1": lambda net, b: range(net.sizes[b["m"] - 1]),
    "output neurons": lambda net, b: range(net.sizes[net.L]),
    "neurons of layer m+1": lambda net, b: range(net.sizes[b["m"] + 1]),
    "neurons of layers m and m-1": lambda net, b: range(min(net.sizes[b["m"] - 1 : b["m"] + 1])),
}
MIJ = {"m": "layers 1..M", "i": "neurons of layer m", "j": "neurons of layer m-1"}
MI = {"m": "layers 1..M", "i": "neurons of layer m"}
M = {"m": "layers 1..M"}
HM = {"m": "layers 1..M-1"}
HMI = {"m": "layers 1..M-1", "i": "neurons of layer m"}


def s(net: Point, m: int) -> list[Any]:
    """The sensitivities s^m = dF^/dn^m (by perturbing each net input)."""
    return [net.dz(m, i, N) for i in range(net.sizes[m])]


def slopes(net: Point, m: int) -> list[Any]:
    return [net.dact(m, v) for v in net.zv(m, N)]


def residual(net: Point) -> list[Any]:
    """t - a."""
    return [t - a for t, a in zip(net.Y[N], net.av(net.L, N))]


def wab(net: Point, m: int) -> list[Any]:
    return [v + c for v, c in zip(matvec(net.W[m], net.av(m - 1, N)), net.b[m])]


def _output_s(factor: Any) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        back = matvec(diag(slopes(net, net.L)), residual(net))
        return s(net, net.L), [factor * v for v in back]

    return sides


def _backprop(transposed: bool = True, slope: bool = True) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        m = b["m"]
        w = transpose(net.W[m + 1]) if transposed else net.W[m + 1]
        back = matvec(w, s(net, m + 1))
        return s(net, m), matvec(diag(slopes(net, m)), back) if slope else back

    return sides


def _update_w(sign: int) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        m = b["m"]
        step = outer(s(net, m), net.av(m - 1, N))
        new = [
            [w - sign * ALPHA * d for w, d in zip(row, drow)] for row, drow in zip(net.W[m], step)
        ]
        true = [
            [w - ALPHA * net.dW(m, i, j) for j, w in enumerate(row)]
            for i, row in enumerate(net.W[m])
        ]
        return new, true

    return sides


def _update_b(net: Point, b: B) -> tuple[Any, Any]:
    m = b["m"]
    new = [v - ALPHA * d for v, d in zip(net.b[m], s(net, m))]
    return new, [v - ALPHA * net.db(m, i) for i, v in enumerate(net.b[m])]


def _grad_w(prev: bool) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        m, i, j = b["m"], b["i"], b["j"]
        a = net.a(m - 1, j, N) if prev else net.a(m, j, N)
        return net.dW(m, i, j), net.dz(m, i, N) * a

    return sides


JACOBIAN = {"m": "layers 1..M-1", "i": "neurons of layer m+1", "j": "neurons of layer m"}
LINEAR_OUTPUT = {**NETWORK, "sizes": [2, 3, 2], "activations": ["sigmoid", "linear"]}


def _jacobian(unit: str) -> Any:
    """dn^{m+1}_i/dn^m_j against w^{m+1}_{i,j} times the slope of neuron ``unit`` of layer m."""

    def sides(net: Point, b: B) -> tuple[Any, Any]:
        m, i, j = b["m"], b["i"], b["j"]
        lhs = net.d(("z", m + 1, i, N), ("z", m, j, N))
        return lhs, net.W[m + 1][i][j] * slopes(net, m)[b[unit]]

    return sides


MJ_SAME = {"m": "layers 1..M", "i": "neurons of layer m", "j": "neurons of layers m and m-1"}

CASES = [
    case(
        "hagan-net-input-vector",
        r"n^m = W^m a^{m-1} + b^m",
        HOLDS,
        lambda net, b: (net.zv(b["m"], N), wab(net, b["m"])),
        M,
    ),
    case(
        "hagan-net-input-index",
        r"n^m_i = \sum_{j=1}^{S^{m-1}} w^m_{i,j} a^{m-1}_j + b^m_i",
        HOLDS,
        lambda net, b: (net.z(b["m"], b["i"], N), wab(net, b["m"])[b["i"]]),
        MI,
    ),
    case(
        "hagan-transfer-vector",
        r"a^m = f^m(n^m)",
        HOLDS,
        lambda net, b: (net.av(b["m"], N), [net.act(b["m"], v) for v in net.zv(b["m"], N)]),
        M,
    ),
    case(
        "hagan-transfer-index",
        r"a^m_i = f^m(n^m_i)",
        HOLDS,
        lambda net, b: (net.a(b["m"], b["i"], N), net.act(b["m"], net.z(b["m"], b["i"], N))),
        MI,
    ),
    case(
        "hagan-performance-index",
        r"\hat{F}(x) = (t - a)^T (t - a)",
        HOLDS,
        lambda net, b: (net.loss(), sum(r**2 for r in residual(net))),
    ),
    case(
        "hagan-performance-index-sum",
        r"\hat{F} = \sum_{i=1}^{S^M} (t_i - a_i)^2",
        HOLDS,
        lambda net, b: (net.loss(), sum(r**2 for r in residual(net))),
    ),
    case(
        "hagan-sensitivity",
        r"s^m_i \equiv \frac{\partial \hat{F}}{\partial n^m_i}",
        HOLDS,
        lambda net, b: (s(net, b["m"])[b["i"]], net.d(("loss",), ("z", b["m"], b["i"], N))),
        MI,
    ),
    case(
        "hagan-chain-weight",
        r"\frac{\partial \hat{F}}{\partial w^m_{i,j}} = \frac{\partial \hat{F}}{\partial n^m_i}"
        r" \frac{\partial n^m_i}{\partial w^m_{i,j}}",
        HOLDS,
        lambda net, b: (
            net.dW(b["m"], b["i"], b["j"]),
            net.dz(b["m"], b["i"], N)
            * net.d(("z", b["m"], b["i"], N), ("W", b["m"], b["i"], b["j"])),
        ),
        MIJ,
    ),
    case(
        "hagan-dn-dw",
        r"\frac{\partial n^m_i}{\partial w^m_{i,j}} = a^{m-1}_j",
        HOLDS,
        lambda net, b: (
            net.d(("z", b["m"], b["i"], N), ("W", b["m"], b["i"], b["j"])),
            net.a(b["m"] - 1, b["j"], N),
        ),
        MIJ,
    ),
    case(
        "hagan-weight-gradient",
        r"\frac{\partial \hat{F}}{\partial w^m_{i,j}} = s^m_i a^{m-1}_j",
        HOLDS,
        _grad_w(prev=True),
        MIJ,
    ),
    case(
        "hagan-bias-gradient",
        r"\frac{\partial \hat{F}}{\partial b^m_i} = s^m_i",
        HOLDS,
        lambda net, b: (net.db(b["m"], b["i"]), net.dz(b["m"], b["i"], N)),
        MI,
    ),
    case(
        "hagan-logsig-slope",
        r"\dot{f}^m(n^m_i) = (1 - a^m_i) a^m_i",
        HOLDS,
        lambda net, b: (
            slopes(net, b["m"])[b["i"]],
            (1 - net.a(b["m"], b["i"], N)) * net.a(b["m"], b["i"], N),
        ),
        MI,
    ),
    case(
        "hagan-output-sensitivity",
        r"s^M = -2 \dot{F}^M(n^M)(t - a)",
        HOLDS,
        _output_s(-2),
    ),
    case(
        "hagan-output-sensitivity-index",
        r"s^M_i = -2 (t_i - a_i) \dot{f}^M(n^M_i)",
        HOLDS,
        lambda net, b: (
            net.dz(net.L, b["i"], N),
            -2 * residual(net)[b["i"]] * slopes(net, net.L)[b["i"]],
        ),
        {"i": "output neurons"},
    ),
    case(
        "hagan-backprop",
        r"s^m = \dot{F}^m(n^m) (W^{m+1})^T s^{m+1}",
        HOLDS,
        _backprop(),
        HM,
    ),
    case(
        "hagan-backprop-index",
        r"s^m_i = \dot{f}^m(n^m_i) \sum_{k=1}^{S^{m+1}} w^{m+1}_{k,i} s^{m+1}_k",
        HOLDS,
        lambda net, b: (
            s(net, b["m"])[b["i"]],
            slopes(net, b["m"])[b["i"]]
            * sum(
                net.W[b["m"] + 1][k][b["i"]] * s(net, b["m"] + 1)[k]
                for k in range(net.sizes[b["m"] + 1])
            ),
        ),
        HMI,
    ),
    case(
        "hagan-weight-update",
        r"W^m(k+1) = W^m(k) - \alpha s^m (a^{m-1})^T",
        HOLDS,
        _update_w(+1),
        M,
    ),
    case(
        "hagan-bias-update",
        r"b^m(k+1) = b^m(k) - \alpha s^m",
        HOLDS,
        _update_b,
        M,
    ),
    case(
        "hagan-weight-update-scalar",
        r"w^m_{i,j}(k+1) = w^m_{i,j}(k) - \alpha \frac{\partial \hat{F}}{\partial w^m_{i,j}}",
        HOLDS,
        lambda net, b: (
            net.W[b["m"]][b["i"]][b["j"]] - ALPHA * net.dW(b["m"], b["i"], b["j"]),
            net.W[b["m"]][b["i"]][b["j"]] - ALPHA * net.dW(b["m"], b["i"], b["j"]),
        ),
        MIJ,
    ),
    case(
        "hagan-weight-update-sensitivity",
        r"w^m_{i,j}(k+1) = w^m_{i,j}(k) - \alpha s^m_i a^{m-1}_j",
        HOLDS,
        lambda net, b: (
            net.W[b["m"]][b["i"]][b["j"]]
            - ALPHA * net.dz(b["m"], b["i"], N) * net.a(b["m"] - 1, b["j"], N),
            net.W[b["m"]][b["i"]][b["j"]] - ALPHA * net.dW(b["m"], b["i"], b["j"]),
        ),
        MIJ,
    ),
    case(
        "hagan-bias-update-scalar",
        r"b^m_i(k+1) = b^m_i(k) - \alpha s^m_i",
        HOLDS,
        lambda net, b: (
            net.b[b["m"]][b["i"]] - ALPHA * net.dz(b["m"], b["i"], N),
            net.b[b["m"]][b["i"]] - ALPHA * net.db(b["m"], b["i"]),
        ),
        MI,
    ),
    case(
        "hagan-jacobian-entry",
        r"\frac{\partial n^{m+1}_i}{\partial n^m_j} = w^{m+1}_{i,j} \dot{f}^m(n^m_j)",
        HOLDS,
        _jacobian("j"),
        JACOBIAN,
    ),
    case(
        "hagan-sensitivity-chain",
        r"s^m_i = \sum_{k=1}^{S^{m+1}} \frac{\partial \hat{F}}{\partial n^{m+1}_k}"
        r" \frac{\partial n^{m+1}_k}{\partial n^m_i}",
        HOLDS,
        lambda net, b: (
            s(net, b["m"])[b["i"]],
            sum(
                s(net, b["m"] + 1)[k] * net.d(("z", b["m"] + 1, k, N), ("z", b["m"], b["i"], N))
                for k in range(net.sizes[b["m"] + 1])
            ),
        ),
        HMI,
    ),
    case(
        "hagan-weight-gradient-matrix",
        r"\frac{\partial \hat{F}}{\partial W^m} = s^m (a^{m-1})^T",
        HOLDS,
        lambda net, b: (
            [
                [net.dW(b["m"], i, j) for j in range(net.sizes[b["m"] - 1])]
                for i in range(net.sizes[b["m"]])
            ],
            outer(s(net, b["m"]), net.av(b["m"] - 1, N)),
        ),
        M,
    ),
    case(
        "hagan-output-sensitivity-linear",
        r"s^M = -2 (t - a)",
        HOLDS,
        lambda net, b: (s(net, net.L), [-2 * r for r in residual(net)]),
        network=LINEAR_OUTPUT,
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "hagan-jacobian-wrong-unit",
        r"\frac{\partial n^{m+1}_i}{\partial n^m_j} = w^{m+1}_{i,j} \dot{f}^m(n^m_i)",
        FAILS,
        _jacobian("i"),
        JACOBIAN,
        "wrong unit's activation derivative",
    ),
    case(
        "hagan-output-sensitivity-without-2",
        r"s^M = -\dot{F}^M(n^M)(t - a)",
        FAILS,
        _output_s(-1),
        variant="forgotten factor 2",
    ),
    case(
        "hagan-output-sensitivity-sign",
        r"s^M = 2 \dot{F}^M(n^M)(t - a)",
        FAILS,
        _output_s(2),
        variant="sign flip",
    ),
    case(
        "hagan-backprop-untransposed",
        r"s^m = \dot{F}^m(n^m) W^{m+1} s^{m+1}",
        FAILS,
        _backprop(transposed=False),
        HM,
        "transposed indices",
    ),
    case(
        "hagan-backprop-without-slope",
        r"s^m = (W^{m+1})^T s^{m+1}",
        FAILS,
        _backprop(slope=False),
        HM,
        "missing activation derivative",
    ),
    case(
        "hagan-weight-gradient-same-layer",
        r"\frac{\partial \hat{F}}{\partial w^m_{i,j}} = s^m_i a^m_j",
        FAILS,
        _grad_w(prev=False),
        MJ_SAME,
        "activation of the wrong layer",
    ),
    case(
        "hagan-weight-update-sign",
        r"W^m(k+1) = W^m(k) + \alpha s^m (a^{m-1})^T",
        FAILS,
        _update_w(-1),
        M,
        "learning-rate sign error",
    ),
]
