"""Andrew Ng's vectorised notes (CS229 / deeplearning.ai): columns are examples.

``dZ^{[l]}`` is ``m * dJ/dZ^{[l]}`` (column i = derivative of example i's loss), ``dA^{[l]}``
likewise, while ``dW^{[l]} = dJ/dW^{[l]}`` and ``db^{[l]} = dJ/db^{[l]}`` (a column).
``J = (1/m) sum_i L(a^{(i)}, y^{(i)})`` with sigmoid cross-entropy at the output. Three
networks: the two-layer tanh/sigmoid net of the shallow-network notes, an L-layer ReLU net,
and the same with ``(lambda / 2m) sum ||W||_F^2``. Ng's layers are the oracle's (input = 0).
"""

from __future__ import annotations

from typing import Any

from mpmath import mp, mpf

from ..cases import case
from ..oracle import FAILS, HOLDS, Point, Undefined, matmul, sigmoid, transpose

B = dict[str, Any]
M = list[list[Any]]

NETWORK: dict[str, Any] = {
    "sizes": [3, 4, 1],
    "activations": ["tanh", "sigmoid"],
    "biases": True,
    "loss": "ce",
    "reduce": "mean",
    "l2": "0",
    "cases": 4,
    "seed": 229,
    "first_layer": 0,
    "weight_orientation": "W^{[l]} has shape (n^{[l]}, n^{[l-1]})",
    "batch_columns": True,
}
DEEP: dict[str, Any] = {
    **NETWORK,
    "sizes": [3, 3, 3, 2],
    "activations": ["relu", "relu", "sigmoid"],
    "seed": 230,
}
DEEP_L2: dict[str, Any] = {**DEEP, "l2": "0.7", "l2_mean": True, "seed": 231}

NOTATION: dict[str, str] = {
    "weight": "W^{[l]}",
    "bias": "b^{[l]} (column, broadcast over examples)",
    "net_input": "Z^{[l]} (z^{[l](i)} for one example)",
    "activation": "A^{[l]} = g^{[l]}(Z^{[l]})",
    "delta": "dZ^{[l]} = m \\partial J / \\partial Z^{[l]}",
    "error": "J = \\frac{1}{m}\\sum_i \\mathcal{L}(a^{(i)}, y^{(i)}), sigmoid cross-entropy",
    "learning_rate": "\\alpha",
    "target": "Y, y^{(i)}",
    "output": "A^{[L]}",
    "input": "X = A^{[0]}",
    "example_index": "superscript (i), columns of X, Z, A",
    "layer_index": "superscript [l], [0] = input",
    "W_orientation": "rows = units of layer l",
    "elementwise": "* (or \\odot)",
    "regulariser": "\\frac{\\lambda}{2m}\\sum_l \\|W^{[l]}\\|_F^2",
}

ALPHA = mpf("0.6")


def cols(net: Point, f: Any, n: int) -> M:
    return [[f(j, i) for i in range(net.N)] for j in range(n)]


def Z(net: Point, l: int) -> M:
    return cols(net, lambda j, i: net.z(l, j, i), net.sizes[l])


def A(net: Point, l: int) -> M:
    return cols(net, lambda j, i: net.a(l, j, i), net.sizes[l])


def Y(net: Point) -> M:
    return cols(net, lambda j, i: net.Y[i][j], net.sizes[net.L])


def dZ(net: Point, l: int) -> M:
    return cols(net, lambda j, i: net.N * net.dz(l, j, i, per_case=False), net.sizes[l])


def dA(net: Point, l: int) -> M:
    return cols(net, lambda j, i: net.N * net.da(l, j, i, per_case=False), net.sizes[l])


def gprime(net: Point, l: int) -> M:
    return [[net.dact(l, v) for v in row] for row in Z(net, l)]


def dW(net: Point, l: int) -> M:
    return [[net.dW(l, j, k) for k in range(net.sizes[l - 1])] for j in range(net.sizes[l])]


def db(net: Point, l: int) -> M:
    return [[net.db(l, j)] for j in range(net.sizes[l])]


def ew(p: M, q: M, f: Any) -> M:
    if len(p) != len(q) or any(len(a) != len(b) for a, b in zip(p, q)):
        raise Undefined("elementwise operands differ in shape")
    return [[f(x, y) for x, y in zip(rp, rq)] for rp, rq in zip(p, q)]


def scale(p: M, c: Any) -> M:
    return [[c * x for x in row] for row in p]


def add_b(p: M, b: list[Any]) -> M:
    return [[x + c for x in row] for row, c in zip(p, b)]


def row_sums(p: M) -> M:
    return [[sum(row)] for row in p]


RANGES = {
    "layers 1..L": lambda net, b: range(1, net.L + 1),
    "layers 2..L": lambda net, b: range(2, net.L + 1),
    "hidden layers": lambda net, b: range(1, net.L),
    "examples": lambda net, b: range(net.N),
}
LAYERS = {"l": "layers 1..L"}


def _cost(net: Point, b: B) -> tuple[Any, Any]:
    aL, y = A(net, net.L), Y(net)
    total = sum(
        t * mp.log(a) + (1 - t) * mp.log(1 - a) for ra, ry in zip(aL, y) for a, t in zip(ra, ry)
    )
    pen = (
        net.lam / (2 * net.N) * sum(w**2 for l in range(1, net.L + 1) for r in net.W[l] for w in r)
    )
    return net.loss(), -total / net.N + pen


def _update_w2(sign: int) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        step = scale(matmul(dZ(net, 2), transpose(A(net, 1))), ALPHA / net.N)
        new = ew(net.W[2], step, lambda w, s: w - sign * s)
        return new, ew(net.W[2], dW(net, 2), lambda w, g: w - ALPHA * g)

    return sides


def _decay_update(net: Point, b: B) -> tuple[Any, Any]:
    l, m = b["l"], net.N
    step = scale(matmul(dZ(net, l), transpose(A(net, l - 1))), ALPHA / m)
    new = ew(scale(net.W[l], 1 - ALPHA * net.lam / m), step, lambda w, s: w - s)
    return new, ew(net.W[l], dW(net, l), lambda w, g: w - ALPHA * g)


def _dA_prev(transposed: bool) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        l = b["l"]
        w = net.W[l] if transposed else transpose(net.W[l])
        return dA(net, l - 1), matmul(w, dZ(net, l))

    return sides


def _per_example(f: Any) -> Any:
    return lambda net, b: f(net, b["i"])


def _dz_example(net: Point, i: int) -> tuple[Any, Any]:
    return net.dz(2, 0, i), net.a(2, 0, i) - net.Y[i][0]


def _dw_example(net: Point, i: int) -> tuple[Any, Any]:
    lhs = [[net.dW(2, 0, k, case=i) for k in range(net.sizes[1])]]
    return lhs, [[net.dz(2, 0, i) * a for a in net.av(1, i)]]


def _da_example(net: Point, i: int) -> tuple[Any, Any]:
    a, y = net.a(2, 0, i), net.Y[i][0]
    return net.da(2, 0, i), -y / a + (1 - y) / (1 - a)


def _relu_prime(net: Point, b: B) -> tuple[Any, Any]:
    z = Z(net, b["l"])
    return gprime(net, b["l"]), [[mpf(0) if v < 0 else mpf(1) for v in row] for row in z]


def _dW_formula(net: Point, l: int, pre: bool = False) -> M:
    prev = Z(net, l - 1) if pre else A(net, l - 1)
    return scale(matmul(dZ(net, l), transpose(prev)), mpf(1) / net.N)


CASES = [
    case(
        "ng-z1",
        r"Z^{[1]} = W^{[1]} X + b^{[1]}",
        HOLDS,
        lambda net, b: (Z(net, 1), add_b(matmul(net.W[1], A(net, 0)), net.b[1])),
    ),
    case(
        "ng-a1-tanh",
        r"A^{[1]} = \tanh(Z^{[1]})",
        HOLDS,
        lambda net, b: (A(net, 1), [[mp.tanh(v) for v in row] for row in Z(net, 1)]),
    ),
    case(
        "ng-z2",
        r"Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]}",
        HOLDS,
        lambda net, b: (Z(net, 2), add_b(matmul(net.W[2], A(net, 1)), net.b[2])),
    ),
    case(
        "ng-a2-sigmoid",
        r"A^{[2]} = \sigma(Z^{[2]})",
        HOLDS,
        lambda net, b: (A(net, 2), [[sigmoid(v) for v in row] for row in Z(net, 2)]),
    ),
    case(
        "ng-cost",
        r"J = -\frac{1}{m} \sum_{i=1}^{m} \left( y^{(i)} \log a^{[2](i)} + (1 - y^{(i)})"
        r" \log(1 - a^{[2](i)}) \right)",
        HOLDS,
        _cost,
    ),
    case(
        "ng-dz2",
        r"dZ^{[2]} = A^{[2]} - Y",
        HOLDS,
        lambda net, b: (dZ(net, 2), ew(A(net, 2), Y(net), lambda a, y: a - y)),
    ),
    case(
        "ng-dw2",
        r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}",
        HOLDS,
        lambda net, b: (dW(net, 2), _dW_formula(net, 2)),
    ),
    case(
        "ng-db2",
        r"db^{[2]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[2](i)}",
        HOLDS,
        lambda net, b: (db(net, 2), scale(row_sums(dZ(net, 2)), mpf(1) / net.N)),
    ),
    case(
        "ng-dz1",
        r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]'}(Z^{[1]})",
        HOLDS,
        lambda net, b: (
            dZ(net, 1),
            ew(matmul(transpose(net.W[2]), dZ(net, 2)), gprime(net, 1), lambda p, q: p * q),
        ),
    ),
    case(
        "ng-dz1-tanh",
        r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * (1 - (A^{[1]})^2)",
        HOLDS,
        lambda net, b: (
            dZ(net, 1),
            ew(matmul(transpose(net.W[2]), dZ(net, 2)), A(net, 1), lambda p, a: p * (1 - a**2)),
        ),
    ),
    case(
        "ng-dw1",
        r"dW^{[1]} = \frac{1}{m} dZ^{[1]} X^T",
        HOLDS,
        lambda net, b: (dW(net, 1), _dW_formula(net, 1)),
    ),
    case(
        "ng-db1",
        r"db^{[1]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[1](i)}",
        HOLDS,
        lambda net, b: (db(net, 1), scale(row_sums(dZ(net, 1)), mpf(1) / net.N)),
    ),
    case(
        "ng-update-w2",
        r"W^{[2]} := W^{[2]} - \alpha \frac{1}{m} dZ^{[2]} A^{[1]T}",
        HOLDS,
        _update_w2(1),
    ),
    case(
        "ng-update-b1",
        r"b^{[1]} := b^{[1]} - \alpha \frac{1}{m} \sum_{i=1}^{m} dZ^{[1](i)}",
        HOLDS,
        lambda net, b: (
            ew(db(net, 1), [[c] for c in net.b[1]], lambda g, c: c - ALPHA * g),
            [[c - ALPHA / net.N * s[0]] for c, s in zip(net.b[1], row_sums(dZ(net, 1)))],
        ),
    ),
    case(
        "ng-sigmoid-derivative",
        r"g'(z) = a(1 - a)",
        HOLDS,
        lambda net, b: (gprime(net, 2), [[a * (1 - a) for a in row] for row in A(net, 2)]),
    ),
    case(
        "ng-tanh-derivative",
        r"g'(z) = 1 - a^2",
        HOLDS,
        lambda net, b: (gprime(net, 1), [[1 - a**2 for a in row] for row in A(net, 1)]),
    ),
    case(
        "ng-dz2-example",
        r"dz^{[2]} = a^{[2]} - y",
        HOLDS,
        _per_example(_dz_example),
        {"i": "examples"},
    ),
    case(
        "ng-dw2-example",
        r"dW^{[2]} = dz^{[2]} a^{[1]T}",
        HOLDS,
        _per_example(_dw_example),
        {"i": "examples"},
    ),
    case(
        "ng-da2-example",
        r"da^{[2]} = -\frac{y}{a} + \frac{1-y}{1-a}",
        HOLDS,
        _per_example(_da_example),
        {"i": "examples"},
    ),
    case(
        "ng-deep-forward",
        r"Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}",
        HOLDS,
        lambda net, b: (
            Z(net, b["l"]),
            add_b(matmul(net.W[b["l"]], A(net, b["l"] - 1)), net.b[b["l"]]),
        ),
        LAYERS,
        network=DEEP,
    ),
    case(
        "ng-deep-dZ",
        r"dZ^{[l]} = dA^{[l]} * g^{[l]'}(Z^{[l]})",
        HOLDS,
        lambda net, b: (
            dZ(net, b["l"]),
            ew(dA(net, b["l"]), gprime(net, b["l"]), lambda p, q: p * q),
        ),
        LAYERS,
        network=DEEP,
    ),
    case(
        "ng-deep-dW",
        r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}",
        HOLDS,
        lambda net, b: (dW(net, b["l"]), _dW_formula(net, b["l"])),
        LAYERS,
        network=DEEP,
    ),
    case(
        "ng-deep-db",
        r"db^{[l]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[l](i)}",
        HOLDS,
        lambda net, b: (db(net, b["l"]), scale(row_sums(dZ(net, b["l"])), mpf(1) / net.N)),
        LAYERS,
        network=DEEP,
    ),
    case(
        "ng-deep-dA-prev",
        r"dA^{[l-1]} = W^{[l]T} dZ^{[l]}",
        HOLDS,
        _dA_prev(False),
        {"l": "layers 2..L"},
        network=DEEP,
    ),
    case(
        "ng-deep-dAL",
        r"dA^{[L]} = -\left(\frac{Y}{A^{[L]}} - \frac{1 - Y}{1 - A^{[L]}}\right)",
        HOLDS,
        lambda net, b: (
            dA(net, net.L),
            ew(Y(net), A(net, net.L), lambda y, a: -(y / a - (1 - y) / (1 - a))),
        ),
        network=DEEP,
    ),
    case(
        "ng-deep-dZL",
        r"dZ^{[L]} = A^{[L]} - Y",
        HOLDS,
        lambda net, b: (dZ(net, net.L), ew(A(net, net.L), Y(net), lambda a, y: a - y)),
        network=DEEP,
    ),
    case(
        "ng-relu-derivative",
        r"g'(z) = \begin{cases} 0 & \text{if } z < 0 \\ 1 & \text{if } z \geq 0 \end{cases}",
        HOLDS,
        _relu_prime,
        {"l": "hidden layers"},
        network=DEEP,
    ),
    case(
        "ng-l2-cost",
        r"J = -\frac{1}{m} \sum_{i=1}^{m} \sum_{k} \left( y_k^{(i)} \log a_k^{[L](i)} + (1 -"
        r" y_k^{(i)})"
        r" \log(1 - a_k^{[L](i)}) \right) + \frac{\lambda}{2m} \sum_{l} \|W^{[l]}\|_F^2",
        HOLDS,
        _cost,
        network=DEEP_L2,
    ),
    case(
        "ng-l2-dW",
        r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T} + \frac{\lambda}{m} W^{[l]}",
        HOLDS,
        lambda net, b: (
            dW(net, b["l"]),
            ew(_dW_formula(net, b["l"]), net.W[b["l"]], lambda g, w: g + net.lam / net.N * w),
        ),
        LAYERS,
        network=DEEP_L2,
    ),
    case(
        "ng-l2-update",
        r"W^{[l]} := \left(1 - \frac{\alpha \lambda}{m}\right) W^{[l]} - \frac{\alpha}{m} dZ^{[l]}"
        r" A^{[l-1]T}",
        HOLDS,
        _decay_update,
        LAYERS,
        network=DEEP_L2,
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "ng-dz1-missing-gprime",
        r"dZ^{[1]} = W^{[2]T} dZ^{[2]}",
        FAILS,
        lambda net, b: (dZ(net, 1), matmul(transpose(net.W[2]), dZ(net, 2))),
        None,
        "missing activation derivative",
    ),
    case(
        "ng-dw2-no-average",
        r"dW^{[2]} = dZ^{[2]} A^{[1]T}",
        FAILS,
        lambda net, b: (dW(net, 2), matmul(dZ(net, 2), transpose(A(net, 1)))),
        None,
        "forgotten 1/m",
    ),
    case(
        "ng-deep-dA-prev-transposed",
        r"dA^{[l-1]} = W^{[l]} dZ^{[l]}",
        FAILS,
        _dA_prev(True),
        {"l": "layers 2..L"},
        "transposed indices",
        network=DEEP,
    ),
    case(
        "ng-dz2-sign",
        r"dZ^{[2]} = Y - A^{[2]}",
        FAILS,
        lambda net, b: (dZ(net, 2), ew(Y(net), A(net, 2), lambda y, a: y - a)),
        None,
        "sign flip",
    ),
    case(
        "ng-update-w2-ascent",
        r"W^{[2]} := W^{[2]} + \alpha \frac{1}{m} dZ^{[2]} A^{[1]T}",
        FAILS,
        _update_w2(-1),
        None,
        "learning-rate sign error",
    ),
    case(
        "ng-deep-dW-preactivation",
        r"dW^{[l]} = \frac{1}{m} dZ^{[l]} Z^{[l-1]T}",
        FAILS,
        lambda net, b: (dW(net, b["l"]), _dW_formula(net, b["l"], pre=True)),
        {"l": "layers 2..L"},
        "z for a",
        network=DEEP,
    ),
    case(
        "ng-deep-dZ1-wrong-layer",
        r"dZ^{[1]} = dA^{[1]} * g^{[2]'}(Z^{[2]})",
        FAILS,
        lambda net, b: (dZ(net, 1), ew(dA(net, 1), gprime(net, 2), lambda p, q: p * q)),
        None,
        "wrong unit's activation derivative",
        network=DEEP,
    ),
    case(
        "ng-l2-dW-no-penalty",
        r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}",
        FAILS,
        lambda net, b: (dW(net, b["l"]), _dW_formula(net, b["l"])),
        LAYERS,
        "forgotten penalty term",
        network=DEEP_L2,
    ),
]
