"""A generic course handout: one tanh (or ReLU) hidden layer, softmax + cross-entropy output.

Indices: i input, j hidden, k output; layers (1), (2) as parenthesised superscripts. One
example per loss ``L`` unless stated; the L2 section uses ``J = (1/N) sum_n L_n +
(lambda/2) sum W^2`` over N = 3 examples (biases not penalised). Softmax targets are
probability vectors that sum to 1 (one-hot in the ``ONEHOT`` network).
"""

from __future__ import annotations

from typing import Any

from mpmath import mp, mpf

from ..cases import case
from ..oracle import FAILS, HOLDS, Point, Undefined, hadamard, matvec, outer, transpose

B = dict[str, Any]

NETWORK: dict[str, Any] = {
    "sizes": [3, 4, 3],
    "activations": ["tanh", "softmax"],
    "biases": True,
    "loss": "ce",
    "reduce": "sum",
    "l2": "0",
    "cases": 1,
    "targets": "probability",
    "seed": 101,
    "first_layer": 0,
    "weight_orientation": "W^{(l)}_{kj}: row = unit of layer l, column = unit of layer l-1",
    "batch_columns": False,
}
ONEHOT = {**NETWORK, "targets": "onehot", "seed": 102}
RELU = {**NETWORK, "activations": ["relu", "softmax"], "seed": 103}
L2 = {**NETWORK, "cases": 3, "reduce": "mean", "l2": "0.2", "seed": 104}
BINARY = {
    **NETWORK,
    "sizes": [3, 4, 1],
    "activations": ["tanh", "sigmoid"],
    "targets": "auto",
    "seed": 105,
}
MSE = {**BINARY, "loss": "half_sse", "seed": 106}

NOTATION: dict[str, str] = {
    "weight": "W^{(l)}_{kj}",
    "bias": "b^{(l)}_k",
    "net_input": "z^{(l)}",
    "activation": "a^{(l)}",
    "delta": "\\partial L / \\partial z^{(l)} (written out, no delta symbol)",
    "error": "L = -\\sum_k y_k \\log a^{(2)}_k; J with L2 penalty",
    "learning_rate": "\\eta",
    "regulariser": "\\frac{\\lambda}{2}\\sum W^2 (weights only)",
    "target": "y_k (y_{k,n} for example n)",
    "output": "a^{(2)}",
    "input": "x_i",
    "layer_index": "parenthesised superscript (1), (2)",
    "W_orientation": "rows = receiving units",
    "indicator": "\\mathbb{1}(z > 0)",
}

ETA = mpf("0.4")


def err(net: Point, n: int = 0) -> list[Any]:
    return [a - y for a, y in zip(net.av(2, n), net.Y[n])]


def back(net: Point, j: int, n: int = 0) -> Any:
    return sum(net.W[2][k][j] * e for k, e in enumerate(err(net, n)))


def tanhp(net: Point, n: int = 0) -> list[Any]:
    return [1 - a**2 for a in net.av(1, n)]


RANGES = {
    "hidden units": lambda net, b: range(net.sizes[1]),
    "output units": lambda net, b: range(net.sizes[2]),
    "inputs": lambda net, b: range(net.sizes[0]),
}
K = {"k": "output units"}
J = {"j": "hidden units"}
KJ = {"k": "output units", "j": "hidden units"}
JI = {"j": "hidden units", "i": "inputs"}


def _dW1(net: Point, b: B) -> tuple[Any, Any]:
    j, i = b["j"], b["i"]
    rhs = (1 - mp.tanh(net.z(1, j, 0)) ** 2) * back(net, j) * net.X[0][i]
    return net.dW(1, j, i), rhs


def _dW1_vector(net: Point, b: B) -> tuple[Any, Any]:
    lhs = [[net.dW(1, j, i) for i in range(net.sizes[0])] for j in range(net.sizes[1])]
    g = hadamard(matvec(transpose(net.W[2]), err(net)), tanhp(net))
    return lhs, outer(g, net.X[0])


def _l2_dW2(net: Point, b: B) -> tuple[Any, Any]:
    k, j = b["k"], b["j"]
    s = sum(err(net, n)[k] * net.a(1, j, n) for n in range(net.N)) / net.N
    return net.dW(2, k, j), s + net.lam * net.W[2][k][j]


def _l2_db2(penalised: bool) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        k = b["k"]
        s = sum(err(net, n)[k] for n in range(net.N)) / net.N
        return net.db(2, k), s + (net.lam * net.b[2][k] if penalised else 0)

    return sides


def _update(decay_sign: int, step_sign: int) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        total = [[mpf(0)] * net.sizes[1] for _ in range(net.sizes[2])]
        for n in range(net.N):
            o = outer(err(net, n), net.av(1, n))
            total = [[t + v for t, v in zip(tr, orow)] for tr, orow in zip(total, o)]
        new = [
            [
                (1 - decay_sign * ETA * net.lam) * w - step_sign * ETA / net.N * t
                for w, t in zip(wr, tr)
            ]
            for wr, tr in zip(net.W[2], total)
        ]
        true = [
            [w - ETA * net.dW(2, k, j) for j, w in enumerate(wr)] for k, wr in enumerate(net.W[2])
        ]
        return new, true

    return sides


def _l2_objective(net: Point, b: B) -> tuple[Any, Any]:
    data = sum(-sum(y * mp.log(a) for y, a in zip(net.Y[n], net.av(2, n))) for n in range(net.N))
    pen = net.lam / 2 * sum(w**2 for l in (1, 2) for r in net.W[l] for w in r)
    return net.loss(), data / net.N + pen


def _transposed(net: Point, b: B) -> tuple[Any, Any]:
    j = b["j"]
    if j >= len(net.W[2]):
        raise Undefined("W^{(2)}_{jk}: no row j")
    return net.da(1, j, 0), sum(net.W[2][j][k] * e for k, e in enumerate(err(net)))


def _binary_loss(net: Point, b: B) -> tuple[Any, Any]:
    a, y = net.a(2, 0, 0), net.Y[0][0]
    return net.loss(), -(y * mp.log(a) + (1 - y) * mp.log(1 - a))


CASES = [
    case(
        "handout-z1",
        r"z^{(1)} = W^{(1)} x + b^{(1)}",
        HOLDS,
        lambda net, b: (
            net.zv(1, 0),
            [v + c for v, c in zip(matvec(net.W[1], net.X[0]), net.b[1])],
        ),
    ),
    case(
        "handout-a1-tanh",
        r"a^{(1)} = \tanh(z^{(1)})",
        HOLDS,
        lambda net, b: (net.av(1, 0), [mp.tanh(v) for v in net.zv(1, 0)]),
    ),
    case(
        "handout-z2",
        r"z^{(2)} = W^{(2)} a^{(1)} + b^{(2)}",
        HOLDS,
        lambda net, b: (
            net.zv(2, 0),
            [v + c for v, c in zip(matvec(net.W[2], net.av(1, 0)), net.b[2])],
        ),
    ),
    case(
        "handout-softmax",
        r"a^{(2)}_k = \frac{e^{z^{(2)}_k}}{\sum_{k'} e^{z^{(2)}_{k'}}}",
        HOLDS,
        lambda net, b: (
            net.a(2, b["k"], 0),
            mp.exp(net.z(2, b["k"], 0)) / sum(mp.exp(v) for v in net.zv(2, 0)),
        ),
        K,
    ),
    case(
        "handout-cross-entropy",
        r"L = -\sum_k y_k \log a^{(2)}_k",
        HOLDS,
        lambda net, b: (net.loss(), -sum(y * mp.log(a) for y, a in zip(net.Y[0], net.av(2, 0)))),
    ),
    case(
        "handout-dz2",
        r"\frac{\partial L}{\partial z^{(2)}_k} = a^{(2)}_k - y_k",
        HOLDS,
        lambda net, b: (net.dz(2, b["k"], 0), err(net)[b["k"]]),
        K,
    ),
    case(
        "handout-dz2-onehot",
        r"\frac{\partial L}{\partial z^{(2)}} = a^{(2)} - y",
        HOLDS,
        lambda net, b: ([net.dz(2, k, 0) for k in range(net.sizes[2])], err(net)),
        network=ONEHOT,
    ),
    case(
        "handout-softmax-jacobian",
        r"\frac{\partial a^{(2)}_k}{\partial z^{(2)}_i} = a^{(2)}_k (\delta_{ki} - a^{(2)}_i)",
        HOLDS,
        lambda net, b: (
            net.d(("a", 2, b["k"], 0), ("z", 2, b["i"], 0)),
            net.a(2, b["k"], 0) * ((1 if b["k"] == b["i"] else 0) - net.a(2, b["i"], 0)),
        ),
        {"k": "output units", "i": "output units"},
    ),
    case(
        "handout-dW2",
        r"\frac{\partial L}{\partial W^{(2)}_{kj}} = (a^{(2)}_k - y_k) a^{(1)}_j",
        HOLDS,
        lambda net, b: (net.dW(2, b["k"], b["j"]), err(net)[b["k"]] * net.a(1, b["j"], 0)),
        KJ,
    ),
    case(
        "handout-db2",
        r"\frac{\partial L}{\partial b^{(2)}_k} = a^{(2)}_k - y_k",
        HOLDS,
        lambda net, b: (net.db(2, b["k"]), err(net)[b["k"]]),
        K,
    ),
    case(
        "handout-da1",
        r"\frac{\partial L}{\partial a^{(1)}_j} = \sum_k W^{(2)}_{kj} (a^{(2)}_k - y_k)",
        HOLDS,
        lambda net, b: (net.da(1, b["j"], 0), back(net, b["j"])),
        J,
    ),
    case(
        "handout-dz1",
        r"\frac{\partial L}{\partial z^{(1)}_j} = (1 - (a^{(1)}_j)^2) \sum_k W^{(2)}_{kj}"
        r" (a^{(2)}_k - y_k)",
        HOLDS,
        lambda net, b: (net.dz(1, b["j"], 0), tanhp(net)[b["j"]] * back(net, b["j"])),
        J,
    ),
    case(
        "handout-dW1",
        r"\frac{\partial L}{\partial W^{(1)}_{ji}} = (1 - \tanh^2(z^{(1)}_j)) \sum_k W^{(2)}_{kj}"
        r" (a^{(2)}_k - y_k) \, x_i",
        HOLDS,
        _dW1,
        JI,
    ),
    case(
        "handout-dW1-vector",
        r"\frac{\partial L}{\partial W^{(1)}} = \left[ (W^{(2)\top} (a^{(2)} - y)) \odot"
        r" (1 - a^{(1)} \odot a^{(1)}) \right] x^\top",
        HOLDS,
        _dW1_vector,
    ),
    case(
        "handout-db1",
        r"\frac{\partial L}{\partial b^{(1)}} = (W^{(2)\top} (a^{(2)} - y)) \odot"
        r" (1 - a^{(1)} \odot a^{(1)})",
        HOLDS,
        lambda net, b: (
            [net.db(1, j) for j in range(net.sizes[1])],
            hadamard(matvec(transpose(net.W[2]), err(net)), tanhp(net)),
        ),
    ),
    case(
        "handout-tanh-derivative",
        r"\frac{d}{dz} \tanh z = 1 - \tanh^2 z",
        HOLDS,
        lambda net, b: (net.dact(1, net.z(1, b["j"], 0)), 1 - mp.tanh(net.z(1, b["j"], 0)) ** 2),
        J,
    ),
    case(
        "handout-relu",
        r"a^{(1)} = \max(0, z^{(1)})",
        HOLDS,
        lambda net, b: (net.av(1, 0), [max(mpf(0), v) for v in net.zv(1, 0)]),
        network=RELU,
    ),
    case(
        "handout-relu-dz1",
        r"\frac{\partial L}{\partial z^{(1)}_j} = \mathbb{1}(z^{(1)}_j > 0) \sum_k W^{(2)}_{kj}"
        r" (a^{(2)}_k - y_k)",
        HOLDS,
        lambda net, b: (
            net.dz(1, b["j"], 0),
            (1 if net.z(1, b["j"], 0) > 0 else 0) * back(net, b["j"]),
        ),
        J,
        network=RELU,
    ),
    case(
        "handout-relu-dW1",
        r"\frac{\partial L}{\partial W^{(1)}_{ji}} = \mathbb{1}(z^{(1)}_j > 0) \sum_k W^{(2)}_{kj}"
        r" (a^{(2)}_k - y_k) \, x_i",
        HOLDS,
        lambda net, b: (
            net.dW(1, b["j"], b["i"]),
            (1 if net.z(1, b["j"], 0) > 0 else 0) * back(net, b["j"]) * net.X[0][b["i"]],
        ),
        JI,
        network=RELU,
    ),
    case(
        "handout-l2-objective",
        r"J = \frac{1}{N} \sum_{n=1}^{N} L_n + \frac{\lambda}{2} \sum_{l} \sum_{i,j}"
        r" (W^{(l)}_{ij})^2",
        HOLDS,
        _l2_objective,
        network=L2,
    ),
    case(
        "handout-l2-dW2",
        r"\frac{\partial J}{\partial W^{(2)}_{kj}} = \frac{1}{N} \sum_{n=1}^{N} (a^{(2)}_{k,n} -"
        r" y_{k,n}) a^{(1)}_{j,n} + \lambda W^{(2)}_{kj}",
        HOLDS,
        _l2_dW2,
        KJ,
        network=L2,
    ),
    case(
        "handout-l2-db2",
        r"\frac{\partial J}{\partial b^{(2)}_k} = \frac{1}{N} \sum_{n=1}^{N} (a^{(2)}_{k,n} -"
        r" y_{k,n})",
        HOLDS,
        _l2_db2(False),
        K,
        network=L2,
    ),
    case(
        "handout-l2-update",
        r"W^{(2)} \leftarrow (1 - \eta \lambda) W^{(2)} - \frac{\eta}{N} \sum_{n=1}^{N}"
        r" (a^{(2)}_n - y_n) a^{(1)\top}_n",
        HOLDS,
        _update(1, 1),
        network=L2,
    ),
    case(
        "handout-binary-ce-loss",
        r"L = -[y \log a^{(2)} + (1 - y) \log(1 - a^{(2)})]",
        HOLDS,
        _binary_loss,
        network=BINARY,
    ),
    case(
        "handout-binary-ce-dz2",
        r"\frac{\partial L}{\partial z^{(2)}} = a^{(2)} - y",
        HOLDS,
        lambda net, b: (net.dz(2, 0, 0), err(net)[0]),
        network=BINARY,
    ),
    case(
        "handout-mse-sigmoid-dz2",
        r"\frac{\partial L}{\partial z^{(2)}} = (a^{(2)} - y) \, a^{(2)} (1 - a^{(2)})",
        HOLDS,
        lambda net, b: (net.dz(2, 0, 0), err(net)[0] * net.a(2, 0, 0) * (1 - net.a(2, 0, 0))),
        network=MSE,
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "handout-dz2-sign",
        r"\frac{\partial L}{\partial z^{(2)}_k} = y_k - a^{(2)}_k",
        FAILS,
        lambda net, b: (net.dz(2, b["k"], 0), -err(net)[b["k"]]),
        K,
        "sign flip",
    ),
    case(
        "handout-dz1-missing-tanh-prime",
        r"\frac{\partial L}{\partial z^{(1)}_j} = \sum_k W^{(2)}_{kj} (a^{(2)}_k - y_k)",
        FAILS,
        lambda net, b: (net.dz(1, b["j"], 0), back(net, b["j"])),
        J,
        "missing activation derivative",
    ),
    case(
        "handout-da1-transposed",
        r"\frac{\partial L}{\partial a^{(1)}_j} = \sum_k W^{(2)}_{jk} (a^{(2)}_k - y_k)",
        FAILS,
        _transposed,
        J,
        "transposed indices",
    ),
    case(
        "handout-dW2-z-for-a",
        r"\frac{\partial L}{\partial W^{(2)}_{kj}} = (a^{(2)}_k - y_k) z^{(1)}_j",
        FAILS,
        lambda net, b: (net.dW(2, b["k"], b["j"]), err(net)[b["k"]] * net.z(1, b["j"], 0)),
        KJ,
        "z for a",
    ),
    case(
        "handout-mse-sigmoid-missing-prime",
        r"\frac{\partial L}{\partial z^{(2)}} = a^{(2)} - y",
        FAILS,
        lambda net, b: (net.dz(2, 0, 0), err(net)[0]),
        None,
        "missing activation derivative",
        network=MSE,
    ),
    case(
        "handout-l2-db2-penalised",
        r"\frac{\partial J}{\partial b^{(2)}_k} = \frac{1}{N} \sum_{n=1}^{N} (a^{(2)}_{k,n} -"
        r" y_{k,n})"
        r" + \lambda b^{(2)}_k",
        FAILS,
        _l2_db2(True),
        K,
        "penalised bias",
        network=L2,
    ),
    case(
        "handout-l2-update-decay-sign",
        r"W^{(2)} \leftarrow (1 + \eta \lambda) W^{(2)} - \frac{\eta}{N} \sum_{n=1}^{N}"
        r" (a^{(2)}_n - y_n) a^{(1)\top}_n",
        FAILS,
        _update(-1, 1),
        None,
        "sign flip",
        network=L2,
    ),
    case(
        "handout-l2-update-ascent",
        r"W^{(2)} \leftarrow (1 - \eta \lambda) W^{(2)} + \frac{\eta}{N} \sum_{n=1}^{N}"
        r" (a^{(2)}_n - y_n) a^{(1)\top}_n",
        FAILS,
        _update(1, -1),
        None,
        "learning-rate sign error",
        network=L2,
    ),
    case(
        "handout-da1-forgotten-sum",
        r"\frac{\partial L}{\partial a^{(1)}_j} = W^{(2)}_{kj} (a^{(2)}_k - y_k)",
        FAILS,
        lambda net, b: (net.da(1, b["j"], 0), net.W[2][b["k"]][b["j"]] * err(net)[b["k"]]),
        KJ,
        "forgotten sum",
    ),
]
