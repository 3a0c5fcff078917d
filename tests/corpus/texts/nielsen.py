"""Nielsen, *Neural Networks and Deep Learning*, ch. 2 (BP1-BP4, index and vector forms).

Nielsen's layer 1 is the input layer, so his layer ``l`` is the oracle's layer ``l - 1``.
BP1-BP4 are stated for the cost ``C = C_x`` of one training example ``x``; the network's
objective is ``C = (1/n) sum_x C_x`` over the n = 3 examples (his eq. 26).
"""

from __future__ import annotations

from typing import Any

from mpmath import mp, mpf

from ..cases import case
from ..oracle import FAILS, HOLDS, Point, Undefined, diag, hadamard, matvec, outer, transpose
from ..oracle import sigmoid as sigma

B = dict[str, Any]

NETWORK: dict[str, Any] = {
    "sizes": [2, 3, 3, 2],
    "activations": ["sigmoid", "sigmoid", "sigmoid"],
    "biases": True,
    "loss": "half_sse",
    "reduce": "mean",
    "l2": "0",
    "cases": 3,
    "seed": 1101,
    "first_layer": 1,
    "weight_orientation": "w^l_{jk}: j in layer l (row), k in layer l-1 (column)",
    "batch_columns": False,
}

NOTATION: dict[str, str] = {
    "weight": "w^l_{jk}",
    "bias": "b^l_j",
    "net_input": "z^l_j (weighted input)",
    "activation": "a^l_j = \\sigma(z^l_j)",
    "delta": "\\delta^l_j = \\partial C / \\partial z^l_j (per example C_x)",
    "error": "\\delta^l (called the error)",
    "learning_rate": "\\eta",
    "target": "y (y(x))",
    "output": "a^L",
    "cost": "C = \\frac{1}{2n}\\sum_x \\|y(x) - a^L(x)\\|^2",
    "layer_index": "superscript, layer 1 = input, L = output",
    "W_orientation": "rows = units of layer l, columns = units of layer l-1",
    "example_index": "x (superscript x, l on delta and a in the update rule)",
    "batch_size": "m (mini-batch; here the whole set, m = n = 3)",
}

ETA = mpf("0.7")
# chapter 3's softmax output layer with the log-likelihood cost
SOFTMAX = {
    **NETWORK,
    "activations": ["sigmoid", "sigmoid", "softmax"],
    "loss": "ce",
    "targets": "probability",
    "seed": 1103,
}


def _l(net: Point, b: B) -> range:
    return range(2, net.L + 2)


RANGES = {
    "layers 2..L": _l,
    "layers 3..L": lambda net, b: range(3, net.L + 2),
    "layers 2..L-1": lambda net, b: range(2, net.L + 1),
    "units of layer l": lambda net, b: range(net.sizes[b["l"] - 1]),
    "units of layer l+1": lambda net, b: range(net.sizes[b["l"]]),
    "units of layer l-1": lambda net, b: range(net.sizes[b["l"] - 2]),
    "output units": lambda net, b: range(net.sizes[net.L]),
    "training examples": lambda net, b: range(net.N),
}
LJX = {"l": "layers 2..L", "j": "units of layer l", "x": "training examples"}
HJX = {"l": "layers 2..L-1", "j": "units of layer l", "x": "training examples"}
OUT = {"j": "output units", "x": "training examples"}
X = {"x": "training examples"}


def w(net: Point, l: int) -> list[list[Any]]:
    return net.W[l - 1]


def a(net: Point, l: int, x: int) -> list[Any]:
    return net.av(l - 1, x)


def z(net: Point, l: int, x: int) -> list[Any]:
    return net.zv(l - 1, x)


def delta(net: Point, l: int, x: int) -> list[Any]:
    return [net.dz(l - 1, j, x) for j in range(net.sizes[l - 1])]


def sp(net: Point, l: int, x: int) -> list[Any]:
    return [net.dact(l - 1, v) for v in z(net, l, x)]


def grad_a(net: Point, x: int) -> list[Any]:
    return [net.da(net.L, j, x) for j in range(net.sizes[net.L])]


def res(net: Point, x: int) -> list[Any]:
    """a^L - y for example x."""
    return [av - yv for av, yv in zip(net.av(net.L, x), net.Y[x])]


def wab(net: Point, l: int, x: int) -> list[Any]:
    """w^l a^{l-1} + b^l computed from the parameters (not read from the forward pass)."""
    return [v + c for v, c in zip(matvec(w(net, l), a(net, l - 1, x)), net.b[l - 1])]


def _bp2_index(net: Point, b: B) -> tuple[Any, Any]:
    l, j, x = b["l"], b["j"], b["x"]
    s = sum(w(net, l + 1)[k][j] * delta(net, l + 1, x)[k] for k in range(net.sizes[l]))
    return delta(net, l, x)[j], s * sp(net, l, x)[j]


def _db(net: Point, b: B) -> list[Any]:
    """dC_x/db^l of example x."""
    return [net.db(b["l"] - 1, j, case=b["x"]) for j in range(net.sizes[b["l"] - 1])]


def _bp3_vector(net: Point, b: B) -> tuple[Any, Any]:
    return _db(net, b), delta(net, b["l"], b["x"])


def _bp2_vector(net: Point, b: B) -> tuple[Any, Any]:
    l, x = b["l"], b["x"]
    back = matvec(transpose(w(net, l + 1)), delta(net, l + 1, x))
    return delta(net, l, x), hadamard(back, sp(net, l, x))


def _bp2_sigma_prime(net: Point, b: B) -> tuple[Any, Any]:
    l, x = b["l"], b["x"]
    back = matvec(transpose(w(net, l + 1)), delta(net, l + 1, x))
    return delta(net, l, x), matvec(diag(sp(net, l, x)), back)


def _chain(net: Point, b: B) -> tuple[Any, Any]:
    l, x = b["l"], b["x"]
    top = net.L + 1
    v = matvec(diag(sp(net, top, x)), grad_a(net, x))
    for m in range(top, l, -1):
        v = matvec(diag(sp(net, m - 1, x)), matvec(transpose(w(net, m)), v))
    return delta(net, l, x), v


def _update_w(sign: int) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        l, m, rows = b["l"], net.N, enumerate(w(net, b["l"]))
        outers = [outer(delta(net, l, x), a(net, l - 1, x)) for x in range(m)]
        new = [
            [wv - sign * ETA / m * sum(o[j][k] for o in outers) for k, wv in enumerate(r)]
            for j, r in rows
        ]
        true = [
            [wv - ETA * net.dW(l - 1, j, k) for k, wv in enumerate(r)]
            for j, r in enumerate(w(net, l))
        ]
        return new, true

    return sides


def _update_b(sign: int) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        l, m = b["l"], net.N
        new = [
            bj - sign * ETA / m * sum(delta(net, l, x)[j] for x in range(m))
            for j, bj in enumerate(net.b[l - 1])
        ]
        return new, [bj - ETA * net.db(l - 1, j) for j, bj in enumerate(net.b[l - 1])]

    return sides


def _bp4_z(net: Point, b: B) -> tuple[Any, Any]:
    l, j, k, x = b["l"], b["j"], b["k"], b["x"]
    return net.dW(l - 1, j, k, case=x), z(net, l - 1, x)[k] * delta(net, l, x)[j]


def _bp2_transposed(net: Point, b: B) -> tuple[Any, Any]:
    l, x = b["l"], b["x"]
    wn = w(net, l + 1)
    if len(wn) != len(wn[0]):
        raise Undefined("w^{l+1} delta^{l+1} does not conform")
    return delta(net, l, x), hadamard(matvec(wn, delta(net, l + 1, x)), sp(net, l, x))


def _forgotten_sum(net: Point, b: B) -> tuple[Any, Any]:
    l, j, k, x = b["l"], b["j"], b["k"], b["x"]
    rhs = w(net, l + 1)[k][j] * delta(net, l + 1, x)[k] * sp(net, l, x)[j]
    return delta(net, l, x)[j], rhs


def _wrong_unit(net: Point, b: B) -> tuple[Any, Any]:
    l, j, x = b["l"], b["j"], b["x"]
    s = sum(
        w(net, l + 1)[k][j] * delta(net, l + 1, x)[k] * sp(net, l + 1, x)[k]
        for k in range(net.sizes[l])
    )
    return delta(net, l, x)[j], s


def _softmax(net: Point, b: B, exp: bool) -> tuple[Any, Any]:
    zs = z(net, net.L + 1, b["x"])
    below = sum(mp.exp(v) if exp else v for v in zs)
    return a(net, net.L + 1, b["x"])[b["j"]], mp.exp(zs[b["j"]]) / below


CASES = [
    case(
        "nielsen-forward-index",
        r"a^{l}_j = \sigma\left( \sum_k w^{l}_{jk} a^{l-1}_k + b^l_j \right)",
        HOLDS,
        lambda net, b: (
            a(net, b["l"], b["x"])[b["j"]],
            sigma(wab(net, b["l"], b["x"])[b["j"]]),
        ),
        LJX,
    ),
    case(
        "nielsen-forward-vector",
        r"a^{l} = \sigma(w^l a^{l-1}+b^l)",
        HOLDS,
        lambda net, b: (
            a(net, b["l"], b["x"]),
            [sigma(v) for v in wab(net, b["l"], b["x"])],
        ),
        {"l": "layers 2..L", "x": "training examples"},
    ),
    case(
        "nielsen-weighted-input-vector",
        r"z^l \equiv w^l a^{l-1}+b^l",
        HOLDS,
        lambda net, b: (
            z(net, b["l"], b["x"]),
            wab(net, b["l"], b["x"]),
        ),
        {"l": "layers 2..L", "x": "training examples"},
    ),
    case(
        "nielsen-weighted-input-index",
        r"z^l_j = \sum_k w^l_{jk} a^{l-1}_k + b^l_j",
        HOLDS,
        lambda net, b: (
            z(net, b["l"], b["x"])[b["j"]],
            wab(net, b["l"], b["x"])[b["j"]],
        ),
        LJX,
    ),
    case(
        "nielsen-quadratic-cost",
        r"C = \frac{1}{2n} \sum_x \|y(x)-a^L(x)\|^2",
        HOLDS,
        lambda net, b: (
            net.loss(),
            sum(sum(r**2 for r in res(net, x)) for x in range(net.N)) / (2 * net.N),
        ),
    ),
    case(
        "nielsen-cost-average",
        r"C = \frac{1}{n} \sum_x C_x",
        HOLDS,
        lambda net, b: (net.loss(), sum(net.case_loss(x) for x in range(net.N)) / net.N),
    ),
    case(
        "nielsen-cost-single",
        r"C = \frac{1}{2} \sum_j (y_j-a^L_j)^2",
        HOLDS,
        lambda net, b: (
            net.case_loss(b["x"]),
            sum(r**2 for r in res(net, b["x"])) / 2,
        ),
        X,
    ),
    case(
        "nielsen-bp1-index",
        r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)",
        HOLDS,
        lambda net, b: (
            net.dz(net.L, b["j"], b["x"]),
            net.da(net.L, b["j"], b["x"]) * sp(net, net.L + 1, b["x"])[b["j"]],
        ),
        OUT,
    ),
    case(
        "nielsen-bp1-vector",
        r"\delta^L = \nabla_a C \odot \sigma'(z^L)",
        HOLDS,
        lambda net, b: (
            delta(net, net.L + 1, b["x"]),
            hadamard(grad_a(net, b["x"]), sp(net, net.L + 1, b["x"])),
        ),
        X,
    ),
    case(
        "nielsen-bp1-quadratic",
        r"\delta^L = (a^L-y) \odot \sigma'(z^L)",
        HOLDS,
        lambda net, b: (
            delta(net, net.L + 1, b["x"]),
            hadamard(
                res(net, b["x"]),
                sp(net, net.L + 1, b["x"]),
            ),
        ),
        X,
    ),
    case(
        "nielsen-grad-a-quadratic",
        r"\nabla_a C = (a^L - y)",
        HOLDS,
        lambda net, b: (
            grad_a(net, b["x"]),
            res(net, b["x"]),
        ),
        X,
    ),
    case(
        "nielsen-bp1-sigma-prime-matrix",
        r"\delta^L = \Sigma'(z^L) \nabla_a C",
        HOLDS,
        lambda net, b: (
            delta(net, net.L + 1, b["x"]),
            matvec(diag(sp(net, net.L + 1, b["x"])), grad_a(net, b["x"])),
        ),
        X,
    ),
    case(
        "nielsen-bp2-index",
        r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)",
        HOLDS,
        _bp2_index,
        HJX,
    ),
    case(
        "nielsen-bp2-vector",
        r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)",
        HOLDS,
        _bp2_vector,
        {"l": "layers 2..L-1", "x": "training examples"},
    ),
    case(
        "nielsen-bp2-sigma-prime-matrix",
        r"\delta^l = \Sigma'(z^l) (w^{l+1})^T \delta^{l+1}",
        HOLDS,
        _bp2_sigma_prime,
        {"l": "layers 2..L-1", "x": "training examples"},
    ),
    case(
        "nielsen-bp1-bp2-combined",
        r"\delta^l = \Sigma'(z^l) (w^{l+1})^T \ldots \Sigma'(z^{L-1}) (w^L)^T \Sigma'(z^L)"
        r" \nabla_a C",
        HOLDS,
        _chain,
        {"l": "layers 2..L-1", "x": "training examples"},
    ),
    case(
        "nielsen-bp3-index",
        r"\frac{\partial C}{\partial b^l_j} = \delta^l_j",
        HOLDS,
        lambda net, b: (
            net.db(b["l"] - 1, b["j"], case=b["x"]),
            delta(net, b["l"], b["x"])[b["j"]],
        ),
        LJX,
    ),
    case(
        "nielsen-bp3-vector",
        r"\frac{\partial C}{\partial b^l} = \delta^l",
        HOLDS,
        _bp3_vector,
        {"l": "layers 2..L", "x": "training examples"},
    ),
    case(
        "nielsen-bp3-vector-missing-sigma-prime",
        r"\frac{\partial C}{\partial b^l} = (w^{l+1})^T \delta^{l+1}",
        FAILS,
        lambda net, b: (
            _db(net, b),
            matvec(transpose(w(net, b["l"] + 1)), delta(net, b["l"] + 1, b["x"])),
        ),
        {"l": "layers 2..L-1", "x": "training examples"},
        "missing activation derivative",
    ),
    case(
        "nielsen-bp3-shorthand",
        r"\frac{\partial C}{\partial b} = \delta",
        HOLDS,
        _bp3_vector,
        {"l": "layers 2..L", "x": "training examples"},
    ),
    case(
        "nielsen-bp4-index",
        r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j",
        HOLDS,
        lambda net, b: (
            net.dW(b["l"] - 1, b["j"], b["k"], case=b["x"]),
            a(net, b["l"] - 1, b["x"])[b["k"]] * delta(net, b["l"], b["x"])[b["j"]],
        ),
        {**LJX, "k": "units of layer l-1"},
    ),
    case(
        "nielsen-bp4-matrix",
        r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T",
        HOLDS,
        lambda net, b: (
            [
                [net.dW(b["l"] - 1, j, k, case=b["x"]) for k in range(net.sizes[b["l"] - 2])]
                for j in range(net.sizes[b["l"] - 1])
            ],
            outer(delta(net, b["l"], b["x"]), a(net, b["l"] - 1, b["x"])),
        ),
        {"l": "layers 2..L", "x": "training examples"},
    ),
    case(
        "nielsen-bp2-chain-rule",
        r"\delta^l_j = \sum_k \frac{\partial C}{\partial z^{l+1}_k} \frac{\partial z^{l+1}_k}"
        r"{\partial z^l_j}",
        HOLDS,
        lambda net, b: (
            delta(net, b["l"], b["x"])[b["j"]],
            sum(
                net.dz(b["l"], k, b["x"])
                * net.d(("z", b["l"], k, b["x"]), ("z", b["l"] - 1, b["j"], b["x"]))
                for k in range(net.sizes[b["l"]])
            ),
        ),
        HJX,
    ),
    case(
        "nielsen-dz-dz",
        r"\frac{\partial z^{l+1}_k}{\partial z^l_j} = w^{l+1}_{kj} \sigma'(z^l_j)",
        HOLDS,
        lambda net, b: (
            net.d(("z", b["l"], b["k"], b["x"]), ("z", b["l"] - 1, b["j"], b["x"])),
            w(net, b["l"] + 1)[b["k"]][b["j"]] * sp(net, b["l"], b["x"])[b["j"]],
        ),
        {**HJX, "k": "units of layer l+1"},
    ),
    case(
        "nielsen-bp1-chain-rule",
        r"\delta^L_j = \sum_k \frac{\partial C}{\partial a^L_k} \frac{\partial a^L_k}{\partial"
        r" z^L_j}",
        HOLDS,
        lambda net, b: (
            net.dz(net.L, b["j"], b["x"]),
            sum(
                net.da(net.L, k, b["x"])
                * net.d(("a", net.L, k, b["x"]), ("z", net.L, b["j"], b["x"]))
                for k in range(net.sizes[net.L])
            ),
        ),
        OUT,
    ),
    case(
        "nielsen-sgd-weights",
        r"w^l \rightarrow w^l-\frac{\eta}{m} \sum_x \delta^{x,l} (a^{x,l-1})^T",
        HOLDS,
        _update_w(1),
        {"l": "layers 2..L"},
    ),
    case(
        "nielsen-sgd-biases",
        r"b^l \rightarrow b^l-\frac{\eta}{m} \sum_x \delta^{x,l}",
        HOLDS,
        _update_b(1),
        {"l": "layers 2..L"},
    ),
    case(
        "nielsen-sigmoid-prime",
        r"\sigma'(z^l_j) = \sigma(z^l_j)(1-\sigma(z^l_j))",
        HOLDS,
        lambda net, b: (
            sp(net, b["l"], b["x"])[b["j"]],
            sigma(z(net, b["l"], b["x"])[b["j"]]) * (1 - sigma(z(net, b["l"], b["x"])[b["j"]])),
        ),
        LJX,
    ),
    case(
        "nielsen-softmax",
        r"a^L_j = \frac{e^{z^L_j}}{\sum_k e^{z^L_k}}",
        HOLDS,
        lambda net, b: _softmax(net, b, True),
        OUT,
        network=SOFTMAX,
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "nielsen-softmax-z-for-exp",
        r"a^L_j = \frac{e^{z^L_j}}{\sum_k z^L_k}",
        FAILS,
        lambda net, b: _softmax(net, b, False),
        OUT,
        "z for a",
        network=SOFTMAX,
    ),
    case(
        "nielsen-bp2-missing-sigma-prime",
        r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k",
        FAILS,
        lambda net, b: (
            delta(net, b["l"], b["x"])[b["j"]],
            sum(
                w(net, b["l"] + 1)[k][b["j"]] * delta(net, b["l"] + 1, b["x"])[k]
                for k in range(net.sizes[b["l"]])
            ),
        ),
        HJX,
        "missing activation derivative",
    ),
    case(
        "nielsen-bp2-transposed",
        r"\delta^l = (w^{l+1} \delta^{l+1}) \odot \sigma'(z^l)",
        FAILS,
        _bp2_transposed,
        {"l": "layers 2..L-1", "x": "training examples"},
        "transposed indices",
    ),
    case(
        "nielsen-bp4-z-for-a",
        r"\frac{\partial C}{\partial w^l_{jk}} = z^{l-1}_k \delta^l_j",
        FAILS,
        _bp4_z,
        {
            "l": "layers 3..L",
            "j": "units of layer l",
            "x": "training examples",
            "k": "units of layer l-1",
        },
        "z for a",
    ),
    case(
        "nielsen-bp2-forgotten-sum",
        r"\delta^l_j = w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)",
        FAILS,
        _forgotten_sum,
        {**HJX, "k": "units of layer l+1"},
        "forgotten sum",
    ),
    case(
        "nielsen-bp2-wrong-unit-sigma-prime",
        r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^{l+1}_k)",
        FAILS,
        _wrong_unit,
        HJX,
        "wrong unit's activation derivative",
    ),
    case(
        "nielsen-sgd-biases-sign",
        r"b^l \rightarrow b^l+\frac{\eta}{m} \sum_x \delta^{x,l}",
        FAILS,
        _update_b(-1),
        {"l": "layers 2..L"},
        "learning-rate sign error",
    ),
    case(
        "nielsen-bp1-sign-flip",
        r"\delta^L = (y-a^L) \odot \sigma'(z^L)",
        FAILS,
        lambda net, b: (
            delta(net, net.L + 1, b["x"]),
            hadamard(
                [-r for r in res(net, b["x"])],
                sp(net, net.L + 1, b["x"]),
            ),
        ),
        X,
        "sign flip",
    ),
]
