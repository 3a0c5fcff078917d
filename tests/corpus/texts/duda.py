"""Duda, Hart & Stork, *Pattern Classification* (2nd ed., 2001), ch. 6: backpropagation in a
three-layer network, the training error of one pattern.

Input units i (x_i), hidden units j (net_j, y_j = f(net_j)), output units k (net_k,
z_k = f(net_k)), targets t_k; ``w_{ji}`` is the weight into hidden unit j from input i,
``w_{kj}`` into output unit k from hidden unit j. Units are numbered through the net (inputs
1-2, hidden 3-5, outputs 6-7 on the 2-3-2 network); the bias is the weight ``w_{j0}`` from an
always-on unit, x_0 = y_0 = 1. J = 1/2 sum_k (t_k - z_k)^2 and the sensitivity is
delta = -dJ/dnet. f is the logistic sigmoid here, so f'(net) is its slope at net.
"""

from __future__ import annotations

from typing import Any

from mpmath import mpf

from ..cases import case
from ..oracle import FAILS, HOLDS, Point, layer_units, unit

B = dict[str, Any]

NETWORK: dict[str, Any] = {
    "sizes": [2, 3, 2],
    "activations": ["sigmoid", "sigmoid"],
    "biases": True,
    "loss": "half_sse",
    "reduce": "sum",
    "l2": "0",
    "cases": 1,
    "seed": 2001,
    "first_layer": 0,
    "weight_orientation": "w_{kj}, w_{ji}: receiving unit first (global unit numbers)",
    "batch_columns": False,
}

PATTERNS: dict[str, Any] = {**NETWORK, "cases": 2, "seed": 6}  # J = sum_p J_p over n patterns

NOTATION: dict[str, str] = {
    "weight": "w_{ji} (input i to hidden j), w_{kj} (hidden j to output k)",
    "bias": "w_{j0}, w_{k0}: the weight from x_0 = 1 or y_0 = 1",
    "net_input": "net_j = \\sum_{i=1}^{d} x_i w_{ji} + w_{j0}",
    "activation": "y_j = f(net_j) (hidden), z_k = f(net_k) (output)",
    "delta": "\\delta = -\\partial J / \\partial net (sensitivity)",
    "error": "J(\\mathbf{w}) = \\frac{1}{2}\\sum_{k=1}^{c} (t_k - z_k)^2",
    "learning_rate": "\\eta",
    "target": "t_k",
    "output": "z_k",
    "input": "x_i",
    "layer_index": "none: letters i, j, k for input, hidden and output units",
    "W_orientation": "w_{kj}, receiving unit first",
    "update": "\\Delta w_{kj} = \\eta \\delta_k y_j, \\Delta w_{ji} = \\eta \\delta_j x_i",
}

ETA = mpf("0.1")
P = 0  # the one pattern


def w(net: Point, j: int, i: int) -> Any:
    """w_{ji} into unit j from unit i; i = 0 is the bias; 0 between unconnected units."""
    lj, jj = unit(net, j)
    if i == 0:
        return net.b[lj][jj]
    li, ii = unit(net, i)
    return net.W[lj][jj][ii] if li == lj - 1 else mpf(0)


def out(net: Point, u: int) -> Any:
    """x_u, y_u or z_u: the output of unit u; unit 0 is the always-on 1."""
    return mpf(1) if u == 0 else net.a(*unit(net, u), P)


def net_in(net: Point, u: int) -> Any:
    return net.z(*unit(net, u), P)


def fprime(net: Point, u: int) -> Any:
    """f'(net_u)."""
    lu = unit(net, u)[0]
    return net.dact(lu, net_in(net, u))


def delta(net: Point, u: int) -> Any:
    return -net.dz(*unit(net, u), P)


def t(net: Point, k: int) -> Any:
    return net.Y[P][unit(net, k)[1]]


def dJ(net: Point, j: int, i: int) -> Any:
    """dJ/dw_{ji}."""
    lj, jj = unit(net, j)
    return net.db(lj, jj, case=P) if i == 0 else net.dW(lj, jj, unit(net, i)[1], case=P)


def param(net: Point, j: int, i: int) -> tuple[Any, ...]:
    lj, jj = unit(net, j)
    return ("b", lj, jj) if i == 0 else ("W", lj, jj, unit(net, i)[1])


def z_of(net: Point, u: int) -> tuple[Any, ...]:
    return ("z", *unit(net, u), P)


def a_of(net: Point, u: int) -> tuple[Any, ...]:
    return ("a", *unit(net, u), P)


def outputs(net: Point) -> range:
    return layer_units(net, net.L)


RANGES = {
    "input units": lambda net, b: layer_units(net, 0),
    "hidden units": lambda net, b: layer_units(net, 1),
    "output units": lambda net, b: outputs(net),
    "input units and 0": lambda net, b: [0, *layer_units(net, 0)],
    "hidden units and 0": lambda net, b: [0, *layer_units(net, 1)],
}
JH = {"j": "hidden units"}
KO = {"k": "output units"}
KJ = {"k": "output units", "j": "hidden units and 0"}
JI = {"j": "hidden units", "i": "input units and 0"}


def _back(net: Point, j: int, transposed: bool = False) -> Any:
    """sum_k w_{kj} delta_k (transposed: w_{jk}, zero for every k)."""
    return sum((w(net, j, k) if transposed else w(net, k, j)) * delta(net, k) for k in outputs(net))


def _hidden_net(net: Point, b: B, lo: int) -> tuple[Any, Any]:
    j = b["j"]
    rhs = sum(out(net, i) * w(net, j, i) for i in [0, *layer_units(net, 0)][lo:])
    return net_in(net, j), rhs + (w(net, j, 0) if lo else 0)


def _output_net(net: Point, b: B, lo: int, bias: bool = True) -> tuple[Any, Any]:
    """net_k, and sum_{j=lo}^{n_H} y_j w_{kj} (+ w_{k0} when the sum starts at 1)."""
    k = b["k"]
    rhs = sum(out(net, j) * w(net, k, j) for j in [0, *layer_units(net, 1)][lo:])
    return net_in(net, k), rhs + (w(net, k, 0) if lo and bias else 0)


def _error(net: Point, b: B) -> tuple[Any, Any]:
    return net.case_loss(P), sum((t(net, k) - out(net, k)) ** 2 for k in outputs(net)) / 2


def _output_delta(net: Point, k: int) -> Any:
    return (t(net, k) - out(net, k)) * fprime(net, k)


def _dJ_dy(net: Point, j: int) -> Any:
    return -sum((t(net, k) - out(net, k)) * fprime(net, k) * w(net, k, j) for k in outputs(net))


def _change(net: Point, j: int, i: int) -> Any:
    """Delta w_{ji}: the change gradient descent makes."""
    return -ETA * dJ(net, j, i)


def _stochastic(net: Point, to: int, frm: int) -> tuple[Any, Any]:
    """w_{to,frm} <- w_{to,frm} + eta delta_to (output of frm): the new weight both ways."""
    now = w(net, to, frm)
    return now + _change(net, to, frm), now + ETA * delta(net, to) * out(net, frm)


CASES = [
    case(
        "duda-hidden-net",
        r"net_j = \sum_{i=1}^{d} x_i w_{ji} + w_{j0}",
        HOLDS,
        lambda net, b: _hidden_net(net, b, 1),
        JH,
    ),
    case(
        "duda-hidden-net-from-0",
        r"net_j = \sum_{i=0}^{d} x_i w_{ji}",
        HOLDS,
        lambda net, b: _hidden_net(net, b, 0),
        JH,
    ),
    case(
        "duda-hidden-output",
        r"y_j = f(net_j)",
        HOLDS,
        lambda net, b: (out(net, b["j"]), net.act(1, net_in(net, b["j"]))),
        JH,
    ),
    case(
        "duda-output-net",
        r"net_k = \sum_{j=1}^{n_H} y_j w_{kj} + w_{k0}",
        HOLDS,
        lambda net, b: _output_net(net, b, 1),
        KO,
    ),
    case(
        "duda-output-net-from-0",
        r"net_k = \sum_{j=0}^{n_H} y_j w_{kj}",
        HOLDS,
        lambda net, b: _output_net(net, b, 0),
        KO,
    ),
    case(
        "duda-output",
        r"z_k = f(net_k)",
        HOLDS,
        lambda net, b: (out(net, b["k"]), net.act(2, net_in(net, b["k"]))),
        KO,
    ),
    case(
        "duda-training-error",
        r"J(\mathbf{w}) = \frac{1}{2} \sum_{k=1}^{c} (t_k - z_k)^2",
        HOLDS,
        _error,
    ),
    case(
        "duda-training-error-norm",
        r"J(\mathbf{w}) = \frac{1}{2} \sum_{k=1}^{c} (t_k - z_k)^2"
        r" = \frac{1}{2} \| \mathbf{t} - \mathbf{z} \|^2",
        HOLDS,
        _error,
    ),
    case(
        "duda-total-error",
        r"J = \sum_{p=1}^{n} J_p",
        HOLDS,
        lambda net, b: (net.loss(), sum(net.case_loss(p) for p in range(net.N))),
        network=PATTERNS,
    ),
    case(
        "duda-gradient-descent",
        r"\Delta w_{kj} = -\eta \frac{\partial J}{\partial w_{kj}}",
        HOLDS,
        lambda net, b: (_change(net, b["k"], b["j"]), -ETA * dJ(net, b["k"], b["j"])),
        KJ,
    ),
    case(
        "duda-output-weight-chain",
        r"\frac{\partial J}{\partial w_{kj}} = \frac{\partial J}{\partial net_k}"
        r" \frac{\partial net_k}{\partial w_{kj}}"
        r" = -\delta_k \frac{\partial net_k}{\partial w_{kj}}",
        HOLDS,
        lambda net, b: (
            dJ(net, b["k"], b["j"]),
            -delta(net, b["k"]) * net.d(z_of(net, b["k"]), param(net, b["k"], b["j"])),
        ),
        KJ,
    ),
    case(
        "duda-sensitivity",
        r"\delta_k = -\frac{\partial J}{\partial net_k}",
        HOLDS,
        lambda net, b: (delta(net, b["k"]), -net.dz(*unit(net, b["k"]), P)),
        KO,
    ),
    case(
        "duda-output-sensitivity",
        r"\delta_k = -\frac{\partial J}{\partial net_k} = -\frac{\partial J}{\partial z_k}"
        r" \frac{\partial z_k}{\partial net_k} = (t_k - z_k) f'(net_k)",
        HOLDS,
        lambda net, b: (delta(net, b["k"]), _output_delta(net, b["k"])),
        KO,
    ),
    case(
        "duda-dnet-dw",
        r"\frac{\partial net_k}{\partial w_{kj}} = y_j",
        HOLDS,
        lambda net, b: (
            net.d(z_of(net, b["k"]), param(net, b["k"], b["j"])),
            out(net, b["j"]),
        ),
        KJ,
    ),
    case(
        "duda-output-update",
        r"\Delta w_{kj} = \eta \delta_k y_j = \eta (t_k - z_k) f'(net_k) y_j",
        HOLDS,
        lambda net, b: (
            _change(net, b["k"], b["j"]),
            ETA * _output_delta(net, b["k"]) * out(net, b["j"]),
        ),
        KJ,
    ),
    case(
        "duda-hidden-weight-chain",
        r"\frac{\partial J}{\partial w_{ji}} = \frac{\partial J}{\partial y_j}"
        r" \frac{\partial y_j}{\partial net_j} \frac{\partial net_j}{\partial w_{ji}}",
        HOLDS,
        lambda net, b: (
            dJ(net, b["j"], b["i"]),
            net.da(*unit(net, b["j"]), P)
            * net.d(a_of(net, b["j"]), z_of(net, b["j"]))
            * net.d(z_of(net, b["j"]), param(net, b["j"], b["i"])),
        ),
        JI,
    ),
    case(
        "duda-dJ-dy",
        r"\frac{\partial J}{\partial y_j} = -\sum_{k=1}^{c} (t_k - z_k)"
        r" \frac{\partial z_k}{\partial y_j} = -\sum_{k=1}^{c} (t_k - z_k)"
        r" \frac{\partial z_k}{\partial net_k} \frac{\partial net_k}{\partial y_j}"
        r" = -\sum_{k=1}^{c} (t_k - z_k) f'(net_k) w_{kj}",
        HOLDS,
        lambda net, b: (net.da(*unit(net, b["j"]), P), _dJ_dy(net, b["j"])),
        JH,
    ),
    case(
        "duda-dJ-dy-squared-error",
        r"\frac{\partial J}{\partial y_j} = \frac{\partial}{\partial y_j}"
        r" \left[ \frac{1}{2} \sum_{k=1}^{c} (t_k - z_k)^2 \right]",
        HOLDS,
        lambda net, b: (net.da(*unit(net, b["j"]), P), _dJ_dy(net, b["j"])),
        JH,
    ),
    case(
        "duda-hidden-sensitivity",
        r"\delta_j \equiv f'(net_j) \sum_{k=1}^{c} w_{kj} \delta_k",
        HOLDS,
        lambda net, b: (delta(net, b["j"]), fprime(net, b["j"]) * _back(net, b["j"])),
        JH,
    ),
    case(
        "duda-hidden-update",
        r"\Delta w_{ji} = \eta x_i \delta_j = \eta \left[ \sum_{k=1}^{c} w_{kj} \delta_k \right]"
        r" f'(net_j) x_i",
        HOLDS,
        lambda net, b: (
            _change(net, b["j"], b["i"]),
            ETA * _back(net, b["j"]) * fprime(net, b["j"]) * out(net, b["i"]),
        ),
        JI,
    ),
    case(
        "duda-stochastic-hidden",
        r"w_{ji} \leftarrow w_{ji} + \eta \delta_j x_i",
        HOLDS,
        lambda net, b: _stochastic(net, b["j"], b["i"]),
        JI,
    ),
    case(
        "duda-stochastic-output",
        r"w_{kj} \leftarrow w_{kj} + \eta \delta_k y_j",
        HOLDS,
        lambda net, b: _stochastic(net, b["k"], b["j"]),
        KJ,
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "duda-output-net-no-bias",
        r"net_k = \sum_{j=1}^{n_H} y_j w_{kj}",
        FAILS,
        lambda net, b: _output_net(net, b, 1, bias=False),
        KO,
        "forgotten bias",
    ),
    case(
        "duda-output-sensitivity-missing-slope",
        r"\delta_k = t_k - z_k",
        FAILS,
        lambda net, b: (delta(net, b["k"]), t(net, b["k"]) - out(net, b["k"])),
        KO,
        "missing activation derivative",
    ),
    case(
        "duda-output-sensitivity-sign",
        r"\delta_k = (z_k - t_k) f'(net_k)",
        FAILS,
        lambda net, b: (delta(net, b["k"]), -_output_delta(net, b["k"])),
        KO,
        "sign flip",
    ),
    case(
        "duda-hidden-sensitivity-transposed",
        r"\delta_j = f'(net_j) \sum_{k=1}^{c} w_{jk} \delta_k",
        FAILS,
        lambda net, b: (delta(net, b["j"]), fprime(net, b["j"]) * _back(net, b["j"], True)),
        JH,
        "transposed indices",
    ),
    case(
        "duda-output-update-net-for-y",
        r"\Delta w_{kj} = \eta \delta_k net_j",
        FAILS,
        lambda net, b: (
            _change(net, b["k"], b["j"]),
            ETA * delta(net, b["k"]) * net_in(net, b["j"]),
        ),
        {"k": "output units", "j": "hidden units"},
        "z for a",
    ),
    case(
        "duda-hidden-sensitivity-no-sum",
        r"\delta_j = f'(net_j) w_{kj} \delta_k",
        FAILS,
        lambda net, b: (
            delta(net, b["j"]),
            fprime(net, b["j"]) * w(net, b["k"], b["j"]) * delta(net, b["k"]),
        ),
        {"j": "hidden units", "k": "output units"},
        "forgotten sum",
    ),
    case(
        "duda-hidden-sensitivity-wrong-unit",
        r"\delta_j = \sum_{k=1}^{c} w_{kj} \delta_k f'(net_k)",
        FAILS,
        lambda net, b: (
            delta(net, b["j"]),
            sum(w(net, k, b["j"]) * delta(net, k) * fprime(net, k) for k in outputs(net)),
        ),
        JH,
        "wrong unit's activation derivative",
    ),
    case(
        "duda-hidden-update-sign",
        r"\Delta w_{ji} = -\eta x_i \delta_j",
        FAILS,
        lambda net, b: (
            _change(net, b["j"], b["i"]),
            -ETA * out(net, b["i"]) * delta(net, b["j"]),
        ),
        JI,
        "learning-rate sign error",
    ),
    case(
        "duda-hidden-update-missing-slope",
        r"\Delta w_{ji} = \eta \left[ \sum_{k=1}^{c} w_{kj} \delta_k \right] x_i",
        FAILS,
        lambda net, b: (
            _change(net, b["j"], b["i"]),
            ETA * _back(net, b["j"]) * out(net, b["i"]),
        ),
        JI,
        "missing activation derivative",
    ),
]
