"""Goodfellow, Bengio & Courville, *Deep Learning*: ch. 6 (algorithms 6.3/6.4, chain rule
6.44-6.46, softmax) with the weight-decay update of ch. 7 and minibatch SGD of algorithm 8.1.

Algorithm 6.4 is for one example: ``J = L(y_hat, y) + lambda Omega(theta)`` with
``Omega = 1/2 sum ||W^{(k)}||^2`` (weights only). Layers: ``h^{(0)} = x``, k = 1..l, which is
the oracle's numbering. Hidden layers are rectified linear, the output is sigmoid with
cross-entropy.
"""

from __future__ import annotations

from typing import Any

from mpmath import mp, mpf

from ..cases import case
from ..oracle import FAILS, HOLDS, Point, Undefined, hadamard, matvec, outer, sigmoid, transpose

B = dict[str, Any]

NETWORK: dict[str, Any] = {
    "sizes": [3, 3, 3, 2],
    "activations": ["relu", "relu", "sigmoid"],
    "biases": True,
    "loss": "ce",
    "reduce": "sum",
    "l2": "0.25",
    "l2_biases": False,
    "cases": 1,
    "seed": 2016,
    "first_layer": 0,
    "weight_orientation": "W^{(k)}: rows = units of layer k, columns = layer k-1",
    "batch_columns": False,
}
MINIBATCH: dict[str, Any] = {**NETWORK, "l2": "0", "cases": 3, "reduce": "mean", "seed": 2017}
SOFTMAX: dict[str, Any] = {
    **NETWORK,
    "activations": ["relu", "relu", "softmax"],
    "sizes": [3, 3, 3, 3],
    "seed": 2018,
}

NOTATION: dict[str, str] = {
    "weight": "W^{(k)}",
    "bias": "b^{(k)}",
    "net_input": "a^{(k)}",
    "activation": "h^{(k)} = f(a^{(k)})",
    "delta": "g (running gradient: \\nabla_{a^{(k)}} J after the f' step)",
    "error": "J = L(\\hat{y}, y) + \\lambda \\Omega(\\theta)",
    "penalty": (
        "\\Omega(\\theta) = \\frac{1}{2}\\sum_k \\|W^{(k)}\\|^2 (weights only); alpha in ch. 7"
    ),
    "learning_rate": "\\epsilon",
    "target": "y",
    "output": "\\hat{y} = h^{(l)}",
    "input": "x = h^{(0)}",
    "layer_index": "parenthesised superscript (k), k = 1..l",
    "W_orientation": "rows = receiving units",
    "gradient": "\\nabla_{W^{(k)}} J, \\nabla_{b^{(k)}} J",
    "ch7": "J unregularised, \\tilde{J} = J + \\frac{\\alpha}{2} w^\\top w, alpha = lambda",
}

EPS = mpf("0.3")


def g_a(net: Point, k: int) -> list[Any]:
    return [net.dz(k, j, 0, per_case=False) for j in range(net.sizes[k])]


def g_h(net: Point, k: int) -> list[Any]:
    return [net.da(k, j, 0, per_case=False) for j in range(net.sizes[k])]


def fprime(net: Point, k: int) -> list[Any]:
    return [net.dact(k, v) for v in net.zv(k, 0)]


def grad_W(net: Point, k: int, of: tuple[Any, ...] = ("loss",)) -> list[list[Any]]:
    return [
        [net.d(of, ("W", k, j, i)) for i in range(net.sizes[k - 1])] for j in range(net.sizes[k])
    ]


def all_w(net: Point) -> list[Any]:
    return [v for k in range(1, net.L + 1) for row in net.W[k] for v in row]


def all_grad(net: Point, of: tuple[Any, ...]) -> list[Any]:
    return [v for k in range(1, net.L + 1) for row in grad_W(net, k, of) for v in row]


def madd(p: list[list[Any]], q: list[list[Any]], c: Any = 1) -> list[list[Any]]:
    return [[x + c * y for x, y in zip(rp, rq)] for rp, rq in zip(p, q)]


RANGES = {
    "layers 1..l": lambda net, b: range(1, net.L + 1),
    "layers 2..l": lambda net, b: range(2, net.L + 1),
    "hidden layers": lambda net, b: range(1, net.L),
    "units of layer k-1": lambda net, b: range(net.sizes[b["k"] - 1]),
    "output units": lambda net, b: range(net.sizes[net.L]),
}
K = {"k": "layers 1..l"}


def _weight_grad(transposed: bool, penalty: bool, pre: bool = False) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        k = b["k"]
        h = net.zv(k - 1, 0) if pre else net.av(k - 1, 0)
        if transposed:
            if net.sizes[k] != net.sizes[k - 1]:
                raise Undefined("h g^T has the transposed shape")
            prod = outer(h, g_a(net, k))
        else:
            prod = outer(g_a(net, k), h)
        rhs = madd(prod, net.W[k], net.lam) if penalty else prod
        return grad_W(net, k), rhs

    return sides


def _propagate(transposed: bool) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        k = b["k"]
        m = net.W[k] if transposed else transpose(net.W[k])
        return g_h(net, k - 1), matvec(m, g_a(net, k))

    return sides


def _chain(net: Point, b: B) -> tuple[Any, Any]:
    k, i = b["k"], b["i"]
    rhs = sum(
        net.da(k, j, 0, per_case=False) * net.d(("a", k, j, 0), ("a", k - 1, i, 0))
        for j in range(net.sizes[k])
    )
    return net.da(k - 1, i, 0, per_case=False), rhs


def _chain_vector(net: Point, b: B) -> tuple[Any, Any]:
    k = b["k"]
    jac = [
        [net.d(("z", k, j, 0), ("a", k - 1, i, 0)) for i in range(net.sizes[k - 1])]
        for j in range(net.sizes[k])
    ]
    return g_h(net, k - 1), matvec(transpose(jac), g_a(net, k))


def _decay(shrink_sign: int, step_sign: int) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        data = all_grad(net, ("data",))
        new = [
            (1 - shrink_sign * EPS * net.lam) * w - step_sign * EPS * g
            for w, g in zip(all_w(net), data)
        ]
        return new, [w - EPS * g for w, g in zip(all_w(net), all_grad(net, ("loss",)))]

    return sides


def _objective(net: Point, b: B) -> tuple[Any, Any]:
    y, yh = net.Y[0], net.av(net.L, 0)
    ce = -sum(t * mp.log(p) + (1 - t) * mp.log(1 - p) for t, p in zip(y, yh))
    return net.loss(), ce + net.lam * sum(w**2 for w in all_w(net)) / 2


def _sgd(net: Point, b: B, mean: bool = True) -> tuple[Any, Any]:
    k, m = b["k"], net.N if mean else 1
    total = [[mpf(0)] * net.sizes[k - 1] for _ in range(net.sizes[k])]
    for i in range(m):
        per = [
            [net.dW(k, j, c, case=i) for c in range(net.sizes[k - 1])] for j in range(net.sizes[k])
        ]
        total = madd(total, per)
    new = madd(net.W[k], total, -EPS / m)
    return new, madd(net.W[k], grad_W(net, k), -EPS)


CASES = [
    case(
        "goodfellow-forward-preactivation",
        r"a^{(k)} = b^{(k)} + W^{(k)} h^{(k-1)}",
        HOLDS,
        lambda net, b: (
            net.zv(b["k"], 0),
            [c + v for c, v in zip(net.b[b["k"]], matvec(net.W[b["k"]], net.av(b["k"] - 1, 0)))],
        ),
        K,
    ),
    case(
        "goodfellow-forward-activation",
        r"h^{(k)} = f(a^{(k)})",
        HOLDS,
        lambda net, b: (net.av(b["k"], 0), [net.act(b["k"], v) for v in net.zv(b["k"], 0)]),
        K,
    ),
    case(
        "goodfellow-relu",
        r"h^{(k)} = \max\{0, a^{(k)}\}",
        HOLDS,
        lambda net, b: (net.av(b["k"], 0), [max(mpf(0), v) for v in net.zv(b["k"], 0)]),
        {"k": "hidden layers"},
    ),
    case(
        "goodfellow-sigmoid-output",
        r"\hat{y} = \sigma(\boldsymbol{w}^\top \boldsymbol{h} + b)",
        HOLDS,
        lambda net, b: (
            net.a(net.L, b["j"], 0),
            sigmoid(
                sum(w * h for w, h in zip(net.W[net.L][b["j"]], net.av(net.L - 1, 0)))
                + net.b[net.L][b["j"]]
            ),
        ),
        {"j": "output units"},
    ),
    case("goodfellow-objective", r"J = L(\hat{y}, y) + \lambda \Omega(\theta)", HOLDS, _objective),
    case(
        "goodfellow-preactivation-gradient",
        r"g \leftarrow \nabla_{a^{(k)}} J = g \odot f'(a^{(k)})",
        HOLDS,
        lambda net, b: (g_a(net, b["k"]), hadamard(g_h(net, b["k"]), fprime(net, b["k"]))),
        K,
    ),
    case(
        "goodfellow-bias-gradient",
        r"\nabla_{b^{(k)}} J = g + \lambda \nabla_{b^{(k)}} \Omega(\theta)",
        HOLDS,
        lambda net, b: ([net.db(b["k"], j) for j in range(net.sizes[b["k"]])], g_a(net, b["k"])),
        K,
    ),  # Omega has no biases: its b-gradient is 0
    case(
        "goodfellow-weight-gradient",
        r"\nabla_{W^{(k)}} J = g \, h^{(k-1)\top} + \lambda \nabla_{W^{(k)}} \Omega(\theta)",
        HOLDS,
        _weight_grad(False, True),
        K,
    ),
    case(
        "goodfellow-propagate",
        r"g \leftarrow \nabla_{h^{(k-1)}} J = W^{(k)\top} g",
        HOLDS,
        _propagate(False),
        K,
    ),
    case(
        "goodfellow-chain-rule-6.45",
        r"\frac{\partial z}{\partial x_i} = \sum_j \frac{\partial z}{\partial y_j}"
        r" \frac{\partial y_j}{\partial x_i}",
        HOLDS,
        _chain,
        {"k": "layers 1..l", "i": "units of layer k-1"},
    ),
    case(
        "goodfellow-chain-rule-6.46",
        r"\nabla_{\boldsymbol{x}} z = \left(\frac{\partial \boldsymbol{y}}{\partial \boldsymbol{x}}"
        r"\right)^\top \nabla_{\boldsymbol{y}} z",
        HOLDS,
        _chain_vector,
        K,
    ),
    case(
        "goodfellow-softmax",
        r"\mathrm{softmax}(\boldsymbol{z})_i = \frac{\exp(z_i)}{\sum_j \exp(z_j)}",
        HOLDS,
        lambda net, b: (
            net.a(net.L, b["j"], 0),
            mp.exp(net.z(net.L, b["j"], 0)) / sum(mp.exp(v) for v in net.zv(net.L, 0)),
        ),
        {"j": "output units"},
        network=SOFTMAX,
    ),
    case(
        "goodfellow-log-softmax",
        r"\log \mathrm{softmax}(\boldsymbol{z})_i = z_i - \log \sum_j \exp(z_j)",
        HOLDS,
        lambda net, b: (
            mp.log(net.a(net.L, b["j"], 0)),
            net.z(net.L, b["j"], 0) - mp.log(sum(mp.exp(v) for v in net.zv(net.L, 0))),
        ),
        {"j": "output units"},
        network=SOFTMAX,
    ),
    case(
        "goodfellow-regularised-objective",
        r"\tilde{J}(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y}) = \frac{\alpha}{2}"
        r" \boldsymbol{w}^\top \boldsymbol{w} + J(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y})",
        HOLDS,
        lambda net, b: (net.loss(), net.lam / 2 * sum(w**2 for w in all_w(net)) + net.data_loss()),
    ),
    case(
        "goodfellow-regularised-gradient",
        r"\nabla_{\boldsymbol{w}} \tilde{J}(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y}) ="
        r" \alpha"
        r" \boldsymbol{w} + \nabla_{\boldsymbol{w}} J(\boldsymbol{w}; \boldsymbol{X},"
        r" \boldsymbol{y})",
        HOLDS,
        lambda net, b: (
            all_grad(net, ("loss",)),
            [net.lam * w + g for w, g in zip(all_w(net), all_grad(net, ("data",)))],
        ),
    ),
    case(
        "goodfellow-weight-decay-step",
        r"\boldsymbol{w} \leftarrow \boldsymbol{w} - \epsilon (\alpha \boldsymbol{w} +"
        r" \nabla_{\boldsymbol{w}} J(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y}))",
        HOLDS,
        _decay(1, 1),
    ),
    case(
        "goodfellow-weight-decay-shrink",
        r"\boldsymbol{w} \leftarrow (1 - \epsilon \alpha) \boldsymbol{w} - \epsilon"
        r" \nabla_{\boldsymbol{w}} J(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y})",
        HOLDS,
        _decay(1, 1),
    ),
    case(
        "goodfellow-sgd-minibatch",
        r"\theta \leftarrow \theta - \epsilon \frac{1}{m} \nabla_{\theta} \sum_i"
        r" L(f(\boldsymbol{x}^{(i)}; \theta), \boldsymbol{y}^{(i)})",
        HOLDS,
        _sgd,
        K,
        network=MINIBATCH,
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "goodfellow-preactivation-missing-fprime",
        r"g \leftarrow \nabla_{a^{(k)}} J = g",
        FAILS,
        lambda net, b: (g_a(net, b["k"]), g_h(net, b["k"])),
        K,
        "missing activation derivative",
    ),
    case(
        "goodfellow-propagate-transposed",
        r"g \leftarrow \nabla_{h^{(k-1)}} J = W^{(k)} g",
        FAILS,
        _propagate(True),
        K,
        "transposed indices",
    ),
    case(
        "goodfellow-weight-gradient-transposed",
        r"\nabla_{W^{(k)}} J = h^{(k-1)} g^\top + \lambda \nabla_{W^{(k)}} \Omega(\theta)",
        FAILS,
        _weight_grad(True, True),
        K,
        "transposed indices",
    ),
    case(
        "goodfellow-weight-gradient-no-penalty",
        r"\nabla_{W^{(k)}} J = g \, h^{(k-1)\top}",
        FAILS,
        _weight_grad(False, False),
        K,
        "forgotten penalty term",
    ),
    case(
        "goodfellow-weight-gradient-preactivation",
        r"\nabla_{W^{(k)}} J = g \, a^{(k-1)\top} + \lambda \nabla_{W^{(k)}} \Omega(\theta)",
        FAILS,
        _weight_grad(False, True, pre=True),
        {"k": "layers 2..l"},
        "z for a",
    ),
    case(
        "goodfellow-weight-decay-ascent",
        r"\boldsymbol{w} \leftarrow (1 - \epsilon \alpha) \boldsymbol{w} + \epsilon"
        r" \nabla_{\boldsymbol{w}} J(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y})",
        FAILS,
        _decay(1, -1),
        None,
        "learning-rate sign error",
    ),
    case(
        "goodfellow-regularised-gradient-no-penalty",
        r"\nabla_{\boldsymbol{w}} \tilde{J}(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y}) ="
        r" \nabla_{\boldsymbol{w}} J(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y})",
        FAILS,
        lambda net, b: (all_grad(net, ("loss",)), all_grad(net, ("data",))),
        None,
        "forgotten penalty term",
    ),
    case(
        "goodfellow-sgd-minibatch-no-mean",
        r"\theta \leftarrow \theta - \epsilon \nabla_{\theta} \sum_i"
        r" L(f(\boldsymbol{x}^{(i)}; \theta), \boldsymbol{y}^{(i)})",
        FAILS,
        lambda net, b: _sgd(net, b, mean=False),
        K,
        "forgotten 1/m",
        network=MINIBATCH,
    ),
    case(
        "goodfellow-weight-decay-grows",
        r"\boldsymbol{w} \leftarrow (1 + \epsilon \alpha) \boldsymbol{w} - \epsilon"
        r" \nabla_{\boldsymbol{w}} J(\boldsymbol{w}; \boldsymbol{X}, \boldsymbol{y})",
        FAILS,
        _decay(-1, 1),
        None,
        "sign flip",
    ),
]
