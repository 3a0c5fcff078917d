"""Bishop, *Pattern Recognition and Machine Learning*, section 5.3 (error backpropagation).

Two-layer network: tanh hidden units, linear outputs, sum-of-squares error summed over three
data points. Biases are the weights ``w_{j0}`` from an extra unit ``z_0 = 1`` (``x_0 = 1``),
so index ``i = 0`` in a free range means the bias. A generic unit ``j`` is bound to a pair
(oracle layer, index); ``w_{kj}`` between units of non-adjacent layers is zero.
"""

from __future__ import annotations

from typing import Any

from mpmath import mp, mpf

from ..cases import case
from ..oracle import FAILS, HOLDS, Point

B = dict[str, Any]
U = tuple[int, int]

NETWORK: dict[str, Any] = {
    "sizes": [3, 4, 2],
    "activations": ["tanh", "linear"],
    "biases": True,
    "loss": "half_sse",
    "reduce": "sum",
    "l2": "0",
    "cases": 3,
    "seed": 2006,
    "first_layer": 0,
    "weight_orientation": "w_{ji}: to unit j from unit i; w^{(1)}, w^{(2)} by layer",
    "batch_columns": False,
}

NOTATION: dict[str, str] = {
    "weight": "w_{ji}, w^{(1)}_{ji}, w^{(2)}_{kj}",
    "bias": "w_{j0} with z_0 = 1 (x_0 = 1)",
    "net_input": "a_j (activation)",
    "activation": "z_j = h(a_j)",
    "delta": "\\delta_j \\equiv \\partial E_n / \\partial a_j",
    "error": "E_n = \\frac{1}{2}\\sum_k (y_{nk} - t_{nk})^2, E = \\sum_n E_n",
    "learning_rate": "\\eta (not used in 5.3)",
    "target": "t_k, t_{nk}",
    "output": "y_k",
    "input": "x_i",
    "data_index": "n (often dropped)",
    "layer_index": (
        "superscript (1), (2) on weights; unit letters i (input), j (hidden), k (output)"
    ),
    "W_orientation": "receiving unit first",
}


def h_units(net: Point) -> list[U]:
    return [(1, j) for j in range(net.sizes[1])]


def out_units(net: Point) -> list[U]:
    return [(net.L, k) for k in range(net.sizes[net.L])]


def z_in(net: Point, l: int, i: int, n: int) -> Any:
    """Bishop's z_i feeding layer l: z_0 = 1, else the activation of unit i-1 of layer l-1."""
    return mpf(1) if i == 0 else net.a(l - 1, i - 1, n)


def w_in(net: Point, j: U, i: int) -> Any:
    l, jj = j
    return net.b[l][jj] if i == 0 else net.W[l][jj][i - 1]


def w(net: Point, k: U, j: U) -> Any:
    return net.W[k[0]][k[1]][j[1]] if k[0] == j[0] + 1 else mpf(0)


def p_in(j: U, i: int) -> tuple[Any, ...]:
    return ("b", *j) if i == 0 else ("W", *j, i - 1)


def dE_dw(net: Point, j: U, i: int, n: int | None) -> Any:
    l, jj = j
    return net.db(l, jj, case=n) if i == 0 else net.dW(l, jj, i - 1, case=n)


def delta(net: Point, j: U, n: int) -> Any:
    return net.dz(j[0], j[1], n)


def hprime(net: Point, j: U, n: int) -> Any:
    return net.dact(j[0], net.z(j[0], j[1], n))


def zu(net: Point, u: U, n: int) -> Any:
    return net.z(u[0], u[1], n)


def au(net: Point, u: U, n: int) -> Any:
    return net.a(u[0], u[1], n)


RANGES = {
    "hidden and output units": lambda net, b: h_units(net) + out_units(net),
    "hidden units": lambda net, b: h_units(net),
    "output units": lambda net, b: out_units(net),
    "inputs of j (0 = bias)": lambda net, b: range(net.sizes[b["j"][0] - 1] + 1),
    "inputs of k (0 = bias)": lambda net, b: range(net.sizes[net.L - 1] + 1),
    "input units x_1..x_D": lambda net, b: range(net.sizes[0]),
    "output indices": lambda net, b: range(net.sizes[net.L]),
    "data points": lambda net, b: range(net.N),
}
JN = {"j": "hidden and output units", "n": "data points"}
JIN = {"j": "hidden and output units", "i": "inputs of j (0 = bias)", "n": "data points"}
HN = {"j": "hidden units", "n": "data points"}
KN = {"k": "output units", "n": "data points"}


def _back(net: Point, j: U, n: int, transposed: bool = False) -> Any:
    return sum(
        (w(net, j, k) if transposed else w(net, k, j)) * delta(net, k, n) for k in out_units(net)
    )


def _y(net: Point, k: U, n: int) -> Any:
    return net.a(k[0], k[1], n)


def _t(net: Point, k: U, n: int) -> Any:
    return net.Y[n][k[1]]


def _jacobian(net: Point, b: B) -> tuple[Any, Any]:
    k, i, n = b["k"], b["i"], b["n"]
    lhs = net.d(("a", net.L, k, n), ("a", 0, i, n))
    rhs = sum(
        net.W[1][j][i] * net.d(("a", net.L, k, n), ("z", 1, j, n)) for j in range(net.sizes[1])
    )
    return lhs, rhs


def _jacobian_back(net: Point, b: B) -> tuple[Any, Any]:
    k, j, n = b["k"], b["j"], b["n"]
    lhs = net.d(("a", net.L, k, n), ("z", *j, n))
    s = sum(w(net, u, j) * net.d(("a", net.L, k, n), ("z", *u, n)) for u in out_units(net))
    return lhs, hprime(net, j, n) * s


CASES = [
    case(
        "bishop-net-input",
        r"a_j = \sum_i w_{ji} z_i",
        HOLDS,
        lambda net, b: (
            zu(net, b["j"], b["n"]),
            sum(
                w_in(net, b["j"], i) * z_in(net, b["j"][0], i, b["n"])
                for i in range(net.sizes[b["j"][0] - 1] + 1)
            ),
        ),
        JN,
    ),
    case(
        "bishop-unit-output",
        r"z_j = h(a_j)",
        HOLDS,
        lambda net, b: (au(net, b["j"], b["n"]), net.act(b["j"][0], zu(net, b["j"], b["n"]))),
        JN,
    ),
    case(
        "bishop-error-sum",
        r"E(\mathbf{w}) = \sum_{n=1}^{N} E_n(\mathbf{w})",
        HOLDS,
        lambda net, b: (net.loss(), sum(net.case_loss(n) for n in range(net.N))),
    ),
    case(
        "bishop-error-per-point",
        r"E_n = \frac{1}{2} \sum_k (y_{nk} - t_{nk})^2",
        HOLDS,
        lambda net, b: (
            net.case_loss(b["n"]),
            sum((_y(net, k, b["n"]) - _t(net, k, b["n"])) ** 2 for k in out_units(net)) / 2,
        ),
        {"n": "data points"},
    ),
    case(
        "bishop-linear-model-gradient",
        r"\frac{\partial E_n}{\partial w_{ji}} = (y_{nj} - t_{nj}) x_{ni}",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"], b["n"]),
            (_y(net, b["j"], b["n"]) - _t(net, b["j"], b["n"])) * z_in(net, net.L, b["i"], b["n"]),
        ),
        {"j": "output units", "i": "inputs of j (0 = bias)", "n": "data points"},
    ),
    case(
        "bishop-chain-rule",
        r"\frac{\partial E_n}{\partial w_{ji}} = \frac{\partial E_n}{\partial a_j}"
        r"\frac{\partial a_j}{\partial w_{ji}}",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"], b["n"]),
            delta(net, b["j"], b["n"]) * net.d(("z", *b["j"], b["n"]), p_in(b["j"], b["i"])),
        ),
        JIN,
    ),
    case(
        "bishop-da-dw",
        r"\frac{\partial a_j}{\partial w_{ji}} = z_i",
        HOLDS,
        lambda net, b: (
            net.d(("z", *b["j"], b["n"]), p_in(b["j"], b["i"])),
            z_in(net, b["j"][0], b["i"], b["n"]),
        ),
        JIN,
    ),
    case(
        "bishop-gradient",
        r"\frac{\partial E_n}{\partial w_{ji}} = \delta_j z_i",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"], b["n"]),
            delta(net, b["j"], b["n"]) * z_in(net, b["j"][0], b["i"], b["n"]),
        ),
        JIN,
    ),
    case(
        "bishop-output-delta",
        r"\delta_k = y_k - t_k",
        HOLDS,
        lambda net, b: (
            delta(net, b["k"], b["n"]),
            _y(net, b["k"], b["n"]) - _t(net, b["k"], b["n"]),
        ),
        KN,
    ),
    case(
        "bishop-delta-chain",
        r"\delta_j \equiv \frac{\partial E_n}{\partial a_j} = \sum_k \frac{\partial E_n}{\partial"
        r" a_k}"
        r"\frac{\partial a_k}{\partial a_j}",
        HOLDS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            sum(
                delta(net, k, b["n"]) * net.d(("z", *k, b["n"]), ("z", *b["j"], b["n"]))
                for k in out_units(net)
            ),
        ),
        HN,
    ),
    case(
        "bishop-backprop",
        r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k",
        HOLDS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            hprime(net, b["j"], b["n"]) * _back(net, b["j"], b["n"]),
        ),
        HN,
    ),
    case(
        "bishop-sum-over-data",
        r"\frac{\partial E}{\partial w_{ji}} = \sum_n \frac{\partial E_n}{\partial w_{ji}}",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"], None),
            sum(dE_dw(net, b["j"], b["i"], n) for n in range(net.N)),
        ),
        {"j": "hidden and output units", "i": "inputs of j (0 = bias)"},
    ),
    case(
        "bishop-tanh-derivative",
        r"h'(a) = 1 - h(a)^2",
        HOLDS,
        lambda net, b: (hprime(net, b["j"], b["n"]), 1 - au(net, b["j"], b["n"]) ** 2),
        HN,
    ),
    case(
        "bishop-example-error",
        r"E_n = \frac{1}{2} \sum_{k=1}^{K} (y_k - t_k)^2",
        HOLDS,
        lambda net, b: (
            net.case_loss(b["n"]),
            sum((_y(net, k, b["n"]) - _t(net, k, b["n"])) ** 2 for k in out_units(net)) / 2,
        ),
        {"n": "data points"},
    ),
    case(
        "bishop-example-first-layer",
        r"a_j = \sum_{i=0}^{D} w^{(1)}_{ji} x_i",
        HOLDS,
        lambda net, b: (
            zu(net, b["j"], b["n"]),
            sum(w_in(net, b["j"], i) * z_in(net, 1, i, b["n"]) for i in range(net.sizes[0] + 1)),
        ),
        HN,
    ),
    case(
        "bishop-example-tanh",
        r"z_j = \tanh(a_j)",
        HOLDS,
        lambda net, b: (au(net, b["j"], b["n"]), mp.tanh(zu(net, b["j"], b["n"]))),
        HN,
    ),
    case(
        "bishop-example-outputs",
        r"y_k = \sum_{j=0}^{M} w^{(2)}_{kj} z_j",
        HOLDS,
        lambda net, b: (
            _y(net, b["k"], b["n"]),
            sum(
                w_in(net, b["k"], j) * z_in(net, net.L, j, b["n"]) for j in range(net.sizes[1] + 1)
            ),
        ),
        KN,
    ),
    case(
        "bishop-example-hidden-delta",
        r"\delta_j = (1 - z_j^2) \sum_{k=1}^{K} w_{kj} \delta_k",
        HOLDS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            (1 - au(net, b["j"], b["n"]) ** 2) * _back(net, b["j"], b["n"]),
        ),
        HN,
    ),
    case(
        "bishop-example-grad-first-layer",
        r"\frac{\partial E_n}{\partial w^{(1)}_{ji}} = \delta_j x_i",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"], b["n"]),
            delta(net, b["j"], b["n"]) * z_in(net, 1, b["i"], b["n"]),
        ),
        {"j": "hidden units", "i": "inputs of j (0 = bias)", "n": "data points"},
    ),
    case(
        "bishop-example-grad-second-layer",
        r"\frac{\partial E_n}{\partial w^{(2)}_{kj}} = \delta_k z_j",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["k"], b["j"], b["n"]),
            delta(net, b["k"], b["n"]) * z_in(net, net.L, b["j"], b["n"]),
        ),
        {"k": "output units", "j": "inputs of k (0 = bias)", "n": "data points"},
    ),
    case(
        "bishop-jacobian",
        r"J_{ki} = \frac{\partial y_k}{\partial x_i} = \sum_j w_{ji} \frac{\partial y_k}{\partial"
        r" a_j}",
        HOLDS,
        _jacobian,
        {"k": "output indices", "i": "input units x_1..x_D", "n": "data points"},
    ),
    case(
        "bishop-jacobian-backprop",
        r"\frac{\partial y_k}{\partial a_j} = h'(a_j) \sum_l w_{lj} \frac{\partial y_k}{\partial"
        r" a_l}",
        HOLDS,
        _jacobian_back,
        {"k": "output indices", "j": "hidden units", "n": "data points"},
    ),
    case(
        "bishop-jacobian-linear-outputs",
        r"\frac{\partial y_k}{\partial a_l} = \delta_{kl}",
        HOLDS,
        lambda net, b: (
            net.d(("a", net.L, b["k"], b["n"]), ("z", net.L, b["l"], b["n"])),
            mpf(1 if b["k"] == b["l"] else 0),
        ),
        {"k": "output indices", "l": "output indices", "n": "data points"},
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "bishop-output-delta-sign",
        r"\delta_k = t_k - y_k",
        FAILS,
        lambda net, b: (
            delta(net, b["k"], b["n"]),
            _t(net, b["k"], b["n"]) - _y(net, b["k"], b["n"]),
        ),
        KN,
        "sign flip",
    ),
    case(
        "bishop-backprop-missing-hprime",
        r"\delta_j = \sum_k w_{kj} \delta_k",
        FAILS,
        lambda net, b: (delta(net, b["j"], b["n"]), _back(net, b["j"], b["n"])),
        HN,
        "missing activation derivative",
    ),
    case(
        "bishop-backprop-transposed",
        r"\delta_j = h'(a_j) \sum_k w_{jk} \delta_k",
        FAILS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            hprime(net, b["j"], b["n"]) * _back(net, b["j"], b["n"], transposed=True),
        ),
        HN,
        "transposed indices",
    ),
    case(
        "bishop-backprop-h-of-z",
        r"\delta_j = h'(z_j) \sum_k w_{kj} \delta_k",
        FAILS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            net.dact(1, au(net, b["j"], b["n"])) * _back(net, b["j"], b["n"]),
        ),
        HN,
        "z for a",
    ),
    case(
        "bishop-total-gradient-forgotten-sum",
        r"\frac{\partial E}{\partial w_{ji}} = \delta_j z_i",
        FAILS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"], None),
            delta(net, b["j"], b["n"]) * z_in(net, b["j"][0], b["i"], b["n"]),
        ),
        JIN,
        "forgotten sum",
    ),
    case(
        "bishop-backprop-wrong-unit",
        r"\delta_j = \sum_k h'(a_k) w_{kj} \delta_k",
        FAILS,
        lambda net, b: (
            delta(net, b["j"], b["n"]),
            sum(
                hprime(net, k, b["n"]) * w(net, k, b["j"]) * delta(net, k, b["n"])
                for k in out_units(net)
            ),
        ),
        HN,
        "wrong unit's activation derivative",
    ),
]
