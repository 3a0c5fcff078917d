"""Haykin, *Neural Networks and Learning Machines*, ch. 4 (the back-propagation algorithm).

One hidden layer, logistic neurons everywhere (slope ``a = 1``). The bias is the weight
``w_{j0} = b_j`` on a fixed input ``y_0 = +1``, so ``i = 0`` in a free range means the bias.
``E(n) = 1/2 sum_{j in C} e_j^2(n)`` with ``e_j(n) = d_j(n) - y_j(n)``; the network's
objective is the average ``E_av = (1/N) sum_n E(n)`` over N = 3 examples. A neuron is bound
to (oracle layer, index); ``w_{kj}`` between non-adjacent layers is zero.
"""

from __future__ import annotations

from typing import Any

from mpmath import mp, mpf

from ..cases import case
from ..oracle import FAILS, HOLDS, Point

B = dict[str, Any]
U = tuple[int, int]

NETWORK: dict[str, Any] = {
    "sizes": [3, 3, 2],
    "activations": ["sigmoid", "sigmoid"],
    "biases": True,
    "loss": "half_sse",
    "reduce": "mean",
    "l2": "0",
    "cases": 3,
    "seed": 2009,
    "first_layer": 0,
    "weight_orientation": "w_{ji}: to neuron j from neuron i",
    "batch_columns": False,
}

NOTATION: dict[str, str] = {
    "weight": "w_{ji}(n)",
    "bias": "b_j = w_{j0} with y_0 = +1",
    "net_input": "v_j(n) (induced local field)",
    "activation": "y_j(n) = \\varphi_j(v_j(n)); o_j(n) for output neurons",
    "delta": "\\delta_j(n) = -\\partial \\mathcal{E}(n) / \\partial v_j(n) (local gradient)",
    "error": "e_j(n) = d_j(n) - y_j(n), \\mathcal{E}(n) = \\frac{1}{2}\\sum_{j \\in C} e_j^2(n)",
    "average_error": "\\mathcal{E}_{av}(N) = \\frac{1}{N}\\sum_n \\mathcal{E}(n)",
    "learning_rate": "\\eta",
    "target": "d_j(n)",
    "output": "y_j(n), o_j(n)",
    "example_index": "n in parentheses (iteration = example)",
    "layer_index": "none: neurons i (left), j, k (right); C = output layer",
    "W_orientation": "receiving neuron first",
    "logistic_slope": "a = 1",
}

ETA = mpf("0.35")
SLOPE = mpf(1)


def hidden(net: Point) -> list[U]:
    return [(1, j) for j in range(net.sizes[1])]


def outputs(net: Point) -> list[U]:
    return [(net.L, k) for k in range(net.sizes[net.L])]


def y_in(net: Point, l: int, i: int, n: int) -> Any:
    return mpf(1) if i == 0 else net.a(l - 1, i - 1, n)


def w_in(net: Point, j: U, i: int) -> Any:
    return net.b[j[0]][j[1]] if i == 0 else net.W[j[0]][j[1]][i - 1]


def w(net: Point, k: U, j: U) -> Any:
    return net.W[k[0]][k[1]][j[1]] if k[0] == j[0] + 1 else mpf(0)


def p_in(j: U, i: int) -> tuple[Any, ...]:
    return ("b", *j) if i == 0 else ("W", *j, i - 1)


def dEn_dw(net: Point, j: U, i: int, n: int) -> Any:
    return net.d(("case", n), p_in(j, i))


def e(net: Point, j: U, n: int) -> Any:
    return net.Y[n][j[1]] - net.a(*j, n)


def delta(net: Point, j: U, n: int) -> Any:
    return -net.dz(*j, n)


def phip(net: Point, j: U, n: int) -> Any:
    return net.dact(j[0], net.z(*j, n))


def yv(net: Point, j: U, n: int) -> Any:
    return net.a(*j, n)


def zu(net: Point, u: U, n: int) -> Any:
    return net.z(u[0], u[1], n)


def dau(net: Point, u: U, n: int) -> Any:
    return net.da(u[0], u[1], n)


RANGES = {
    "neurons": lambda net, b: hidden(net) + outputs(net),
    "hidden neurons": lambda net, b: hidden(net),
    "output neurons": lambda net, b: outputs(net),
    "inputs of j (0 = bias)": lambda net, b: range(net.sizes[b["j"][0] - 1] + 1),
    "neurons of the next layer": lambda net, b: outputs(net),
    "hidden inputs of j": lambda net, b: range(1, net.sizes[b["j"][0] - 1] + 1),
    "examples": lambda net, b: range(net.N),
}
JN = {"j": "neurons", "n": "examples"}
ON = {"j": "output neurons", "n": "examples"}
HN = {"j": "hidden neurons", "n": "examples"}
JIN = {"j": "neurons", "i": "inputs of j (0 = bias)", "n": "examples"}
OIN = {"j": "output neurons", "i": "inputs of j (0 = bias)", "n": "examples"}


def _back(net: Point, j: U, n: int, transposed: bool = False) -> Any:
    return sum(
        delta(net, k, n) * (w(net, j, k) if transposed else w(net, k, j)) for k in outputs(net)
    )


def _four_factor(net: Point, b: B) -> tuple[Any, Any]:
    j, i, n = b["j"], b["i"], b["n"]
    dE_de = net.dt(j[1], n)  # e_j = d_j - y_j: moving d_j moves e_j one for one
    de_dy = mpf(-1)
    dy_dv = net.d(("a", *j, n), ("z", *j, n))
    dv_dw = net.d(("z", *j, n), p_in(j, i))
    return dEn_dw(net, j, i, n), dE_de * de_dy * dy_dv * dv_dw


def _batch(net: Point, b: B) -> tuple[Any, Any]:
    j, i = b["j"], b["i"]
    lhs = -ETA * net.d(("loss",), p_in(j, i))
    s = sum(e(net, j, n) * -net.d(("a", *j, n), p_in(j, i)) for n in range(net.N))
    return lhs, -ETA / net.N * s


def _online(net: Point, b: B, sign: int) -> tuple[Any, Any]:
    """w_{ji}(n+1): the weight after the update for example n alone (the online rule)."""
    j, i, n = b["j"], b["i"], b["n"]
    new = w_in(net, j, i) - ETA * dEn_dw(net, j, i, n)
    return new, w_in(net, j, i) + sign * ETA * delta(net, j, n) * y_in(net, j[0], i, n)


CASES = [
    case(
        "haykin-instantaneous-error",
        r"\mathcal{E}(n) = \frac{1}{2} \sum_{j \in C} e_j^2(n)",
        HOLDS,
        lambda net, b: (
            net.case_loss(b["n"]),
            sum(e(net, j, b["n"]) ** 2 for j in outputs(net)) / 2,
        ),
        {"n": "examples"},
    ),
    case(
        "haykin-average-error",
        r"\mathcal{E}_{av}(N) = \frac{1}{N} \sum_{n=1}^{N} \mathcal{E}(n)",
        HOLDS,
        lambda net, b: (net.loss(), sum(net.case_loss(n) for n in range(net.N)) / net.N),
    ),
    case(
        "haykin-induced-field",
        r"v_j(n) = \sum_{i=0}^{m} w_{ji}(n) y_i(n)",
        HOLDS,
        lambda net, b: (
            zu(net, b["j"], b["n"]),
            sum(
                w_in(net, b["j"], i) * y_in(net, b["j"][0], i, b["n"])
                for i in range(net.sizes[b["j"][0] - 1] + 1)
            ),
        ),
        JN,
    ),
    case(
        "haykin-induced-field-bias",
        r"v_j(n) = \sum_{i=1}^{m} w_{ji}(n) y_i(n) + b_j",
        HOLDS,
        lambda net, b: (
            zu(net, b["j"], b["n"]),
            sum(
                w_in(net, b["j"], i) * y_in(net, b["j"][0], i, b["n"])
                for i in range(1, net.sizes[b["j"][0] - 1] + 1)
            )
            + net.b[b["j"][0]][b["j"][1]],
        ),
        JN,
    ),
    case(
        "haykin-function-signal",
        r"y_j(n) = \varphi_j(v_j(n))",
        HOLDS,
        lambda net, b: (yv(net, b["j"], b["n"]), net.act(b["j"][0], zu(net, b["j"], b["n"]))),
        JN,
    ),
    case(
        "haykin-logistic",
        r"\varphi_j(v_j(n)) = \frac{1}{1 + \exp(-a v_j(n))}",
        HOLDS,
        lambda net, b: (
            yv(net, b["j"], b["n"]),
            1 / (1 + mp.exp(-SLOPE * zu(net, b["j"], b["n"]))),
        ),
        JN,
    ),
    case(
        "haykin-four-factor-chain",
        r"\frac{\partial \mathcal{E}(n)}{\partial w_{ji}(n)} = \frac{\partial \mathcal{E}(n)}"
        r"{\partial e_j(n)} \frac{\partial e_j(n)}{\partial y_j(n)} \frac{\partial y_j(n)}"
        r"{\partial v_j(n)} \frac{\partial v_j(n)}{\partial w_{ji}(n)}",
        HOLDS,
        _four_factor,
        OIN,
    ),
    case(
        "haykin-dE-de",
        r"\frac{\partial \mathcal{E}(n)}{\partial e_j(n)} = e_j(n)",
        HOLDS,
        lambda net, b: (net.dt(b["j"][1], b["n"]), e(net, b["j"], b["n"])),
        ON,
    ),
    case(
        "haykin-dy-dv",
        r"\frac{\partial y_j(n)}{\partial v_j(n)} = \varphi_j'(v_j(n))",
        HOLDS,
        lambda net, b: (
            net.d(("a", *b["j"], b["n"]), ("z", *b["j"], b["n"])),
            phip(net, b["j"], b["n"]),
        ),
        JN,
    ),
    case(
        "haykin-dv-dw",
        r"\frac{\partial v_j(n)}{\partial w_{ji}(n)} = y_i(n)",
        HOLDS,
        lambda net, b: (
            net.d(("z", *b["j"], b["n"]), p_in(b["j"], b["i"])),
            y_in(net, b["j"][0], b["i"], b["n"]),
        ),
        JIN,
    ),
    case(
        "haykin-output-gradient",
        r"\frac{\partial \mathcal{E}(n)}{\partial w_{ji}(n)} = -e_j(n) \varphi_j'(v_j(n)) y_i(n)",
        HOLDS,
        lambda net, b: (
            dEn_dw(net, b["j"], b["i"], b["n"]),
            -e(net, b["j"], b["n"]) * phip(net, b["j"], b["n"]) * y_in(net, net.L, b["i"], b["n"]),
        ),
        OIN,
    ),
    case(
        "haykin-output-local-gradient",
        r"\delta_j(n) = e_j(n) \varphi_j'(v_j(n))",
        HOLDS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            e(net, b["j"], b["n"]) * phip(net, b["j"], b["n"]),
        ),
        ON,
    ),
    case(
        "haykin-delta-rule",
        r"\Delta w_{ji}(n) = \eta \delta_j(n) y_i(n)",
        HOLDS,
        lambda net, b: (
            ETA * delta(net, b["j"], b["n"]) * y_in(net, b["j"][0], b["i"], b["n"]),
            -ETA * dEn_dw(net, b["j"], b["i"], b["n"]),
        ),
        JIN,
    ),
    case(
        "haykin-hidden-local-gradient-chain",
        r"\delta_j(n) = -\frac{\partial \mathcal{E}(n)}{\partial y_j(n)} \varphi_j'(v_j(n))",
        HOLDS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            -dau(net, b["j"], b["n"]) * phip(net, b["j"], b["n"]),
        ),
        HN,
    ),
    case(
        "haykin-dE-dy-errors",
        r"\frac{\partial \mathcal{E}(n)}{\partial y_j(n)} = -\sum_k e_k(n) \varphi_k'(v_k(n))"
        r" w_{kj}(n)",
        HOLDS,
        lambda net, b: (
            dau(net, b["j"], b["n"]),
            -sum(
                e(net, k, b["n"]) * phip(net, k, b["n"]) * w(net, k, b["j"]) for k in outputs(net)
            ),
        ),
        HN,
    ),
    case(
        "haykin-dE-dy-deltas",
        r"\frac{\partial \mathcal{E}(n)}{\partial y_j(n)} = -\sum_k \delta_k(n) w_{kj}(n)",
        HOLDS,
        lambda net, b: (dau(net, b["j"], b["n"]), -_back(net, b["j"], b["n"])),
        HN,
    ),
    case(
        "haykin-backprop",
        r"\delta_j(n) = \varphi_j'(v_j(n)) \sum_k \delta_k(n) w_{kj}(n)",
        HOLDS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            phip(net, b["j"], b["n"]) * _back(net, b["j"], b["n"]),
        ),
        HN,
    ),
    case(
        "haykin-logistic-derivative",
        r"\varphi_j'(v_j(n)) = a y_j(n) [1 - y_j(n)]",
        HOLDS,
        lambda net, b: (
            phip(net, b["j"], b["n"]),
            SLOPE * yv(net, b["j"], b["n"]) * (1 - yv(net, b["j"], b["n"])),
        ),
        JN,
    ),
    case(
        "haykin-output-logistic",
        r"\delta_j(n) = a [d_j(n) - o_j(n)] o_j(n) [1 - o_j(n)]",
        HOLDS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            SLOPE
            * e(net, b["j"], b["n"])
            * yv(net, b["j"], b["n"])
            * (1 - yv(net, b["j"], b["n"])),
        ),
        ON,
    ),
    case(
        "haykin-hidden-logistic",
        r"\delta_j(n) = a y_j(n) [1 - y_j(n)] \sum_k \delta_k(n) w_{kj}(n)",
        HOLDS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            SLOPE
            * yv(net, b["j"], b["n"])
            * (1 - yv(net, b["j"], b["n"]))
            * _back(net, b["j"], b["n"]),
        ),
        HN,
    ),
    case(
        "haykin-online-update",
        r"w_{ji}(n+1) = w_{ji}(n) + \eta \delta_j(n) y_i(n)",
        HOLDS,
        lambda net, b: _online(net, b, 1),
        JIN,
    ),
    case(
        "haykin-batch-update",
        r"\Delta w_{ji} = -\frac{\eta}{N} \sum_{n=1}^{N} e_j(n) \frac{\partial e_j(n)}{\partial"
        r" w_{ji}}",
        HOLDS,
        _batch,
        {"j": "output neurons", "i": "inputs of j (0 = bias)"},
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "haykin-output-local-gradient-sign",
        r"\delta_j(n) = -e_j(n) \varphi_j'(v_j(n))",
        FAILS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            -e(net, b["j"], b["n"]) * phip(net, b["j"], b["n"]),
        ),
        ON,
        "sign flip",
    ),
    case(
        "haykin-backprop-missing-phiprime",
        r"\delta_j(n) = \sum_k \delta_k(n) w_{kj}(n)",
        FAILS,
        lambda net, b: (delta(net, b["j"], b["n"]), _back(net, b["j"], b["n"])),
        HN,
        "missing activation derivative",
    ),
    case(
        "haykin-backprop-transposed",
        r"\delta_j(n) = \varphi_j'(v_j(n)) \sum_k \delta_k(n) w_{jk}(n)",
        FAILS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            phip(net, b["j"], b["n"]) * _back(net, b["j"], b["n"], transposed=True),
        ),
        HN,
        "transposed indices",
    ),
    case(
        "haykin-delta-rule-sign",
        r"\Delta w_{ji}(n) = -\eta \delta_j(n) y_i(n)",
        FAILS,
        lambda net, b: (
            -ETA * delta(net, b["j"], b["n"]) * y_in(net, b["j"][0], b["i"], b["n"]),
            -ETA * dEn_dw(net, b["j"], b["i"], b["n"]),
        ),
        JIN,
        "learning-rate sign error",
    ),
    case(
        "haykin-backprop-wrong-unit",
        r"\delta_j(n) = \sum_k \varphi_k'(v_k(n)) \delta_k(n) w_{kj}(n)",
        FAILS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            sum(
                phip(net, k, b["n"]) * delta(net, k, b["n"]) * w(net, k, b["j"])
                for k in outputs(net)
            ),
        ),
        HN,
        "wrong unit's activation derivative",
    ),
    case(
        "haykin-backprop-forgotten-sum",
        r"\delta_j(n) = \varphi_j'(v_j(n)) \delta_k(n) w_{kj}(n)",
        FAILS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            phip(net, b["j"], b["n"]) * delta(net, b["k"], b["n"]) * w(net, b["k"], b["j"]),
        ),
        {"j": "hidden neurons", "k": "neurons of the next layer", "n": "examples"},
        "forgotten sum",
    ),
    case(
        "haykin-online-update-sign",
        r"w_{ji}(n+1) = w_{ji}(n) - \eta \delta_j(n) y_i(n)",
        FAILS,
        lambda net, b: _online(net, b, -1),
        JIN,
        "learning-rate sign error",
    ),
    case(
        "haykin-delta-rule-field",
        r"\Delta w_{ji}(n) = \eta \delta_j(n) v_i(n)",
        FAILS,
        lambda net, b: (
            ETA * delta(net, b["j"], b["n"]) * net.z(1, b["i"] - 1, b["n"]),
            -ETA * dEn_dw(net, b["j"], b["i"], b["n"]),
        ),
        {"j": "output neurons", "i": "hidden inputs of j", "n": "examples"},
        "z for a",
    ),
]
