"""Rumelhart, Hinton & Williams (1986), *Learning internal representations by error
propagation* (PDP vol. 1, ch. 8): the generalised delta rule.

Units are numbered through the whole net (inputs 1-2, hidden 3-5, outputs 6-7); ``w_{ji}``
is the weight to unit j from unit i and is zero where there is no connection. Biases are
left out (the text treats them as weights from an always-on unit), so ``net_{pj}`` has no
extra term. ``E = sum_p E_p`` over three patterns.
"""

from __future__ import annotations

from typing import Any

from mpmath import mpf

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
    "cases": 3,
    "seed": 1986,
    "first_layer": 0,
    "weight_orientation": "w_{ji}: to unit j from unit i (global unit numbers)",
    "batch_columns": False,
}

NOTATION: dict[str, str] = {
    "weight": "w_{ji} (to j from i)",
    "bias": "none here (theta_j, a weight from a unit that is always on)",
    "net_input": "net_{pj}",
    "activation": "o_{pj} = f_j(net_{pj})",
    "delta": "\\delta_{pj} = -\\partial E_p / \\partial net_{pj}",
    "error": "E_p = \\frac{1}{2}\\sum_j (t_{pj} - o_{pj})^2, E = \\sum_p E_p",
    "learning_rate": "\\eta",
    "target": "t_{pj}",
    "output": "o_{pj}",
    "pattern_index": "p (first subscript)",
    "layer_index": "none: units numbered through the whole net",
    "W_orientation": "w_{ji}, receiving unit first",
    "update": "\\Delta_p w_{ji} = \\eta \\delta_{pj} o_{pi}",
}

ETA = mpf("0.45")


def w(net: Point, j: int, i: int) -> Any:
    (lj, jj), (li, ii) = unit(net, j), unit(net, i)
    return net.W[lj][jj][ii] if li == lj - 1 else mpf(0)


def o(net: Point, p: int, j: int) -> Any:
    return net.a(*unit(net, j), p)


def net_in(net: Point, p: int, j: int) -> Any:
    return net.z(*unit(net, j), p)


def delta(net: Point, p: int, j: int) -> Any:
    return -net.dz(*unit(net, j), p)


def fprime(net: Point, p: int, j: int) -> Any:
    l, _ = unit(net, j)
    return net.dact(l, net_in(net, p, j))


def t(net: Point, p: int, j: int) -> Any:
    return net.Y[p][unit(net, j)[1]]


def dE_dw(net: Point, j: int, i: int, p: int | None) -> Any:
    (lj, jj), (_, ii) = unit(net, j), unit(net, i)
    return net.dW(lj, jj, ii, case=p)


def below(net: Point, b: B) -> range:
    return layer_units(net, unit(net, b["j"])[0] - 1)


def above(net: Point, b: B) -> range:
    return layer_units(net, unit(net, b["j"])[0] + 1)


RANGES = {
    "output units": lambda net, b: layer_units(net, net.L),
    "hidden units": lambda net, b: range(first(net, 1), first(net, net.L)),
    "non-input units": lambda net, b: range(first(net, 1), first(net, net.L + 1)),
    "units feeding j": below,
    "patterns": lambda net, b: range(net.N),
}
JP = {"j": "non-input units", "p": "patterns"}
OP = {"j": "output units", "p": "patterns"}
HP = {"j": "hidden units", "p": "patterns"}
JIP = {"j": "non-input units", "i": "units feeding j", "p": "patterns"}


def _sum_back(net: Point, p: int, j: int, transposed: bool = False) -> Any:
    return sum(
        delta(net, p, k) * (w(net, j, k) if transposed else w(net, k, j))
        for k in above(net, {"j": j})
    )


def _hidden_chain(net: Point, b: B) -> tuple[Any, Any]:
    p, j = b["p"], b["j"]
    lj, jj = unit(net, j)
    lhs = sum(
        net.dz(*unit(net, k), p) * net.d(("z", *unit(net, k), p), ("a", lj, jj, p))
        for k in above(net, b)
    )
    return lhs, -_sum_back(net, p, j)


CASES = [
    case(
        "rhw-pattern-error",
        r"E_p = \frac{1}{2} \sum_j (t_{pj} - o_{pj})^2",
        HOLDS,
        lambda net, b: (
            net.case_loss(b["p"]),
            sum((t(net, b["p"], j) - o(net, b["p"], j)) ** 2 for j in layer_units(net, net.L)) / 2,
        ),
        {"p": "patterns"},
    ),
    case(
        "rhw-total-error",
        r"E = \sum_p E_p",
        HOLDS,
        lambda net, b: (net.loss(), sum(net.case_loss(p) for p in range(net.N))),
    ),
    case(
        "rhw-net-input",
        r"net_{pj} = \sum_i w_{ji} o_{pi}",
        HOLDS,
        lambda net, b: (
            net_in(net, b["p"], b["j"]),
            sum(w(net, b["j"], i) * o(net, b["p"], i) for i in below(net, b)),
        ),
        JP,
    ),
    case(
        "rhw-output-function",
        r"o_{pj} = f_j(net_{pj})",
        HOLDS,
        lambda net, b: (
            o(net, b["p"], b["j"]),
            net.act(unit(net, b["j"])[0], net_in(net, b["p"], b["j"])),
        ),
        JP,
    ),
    case(
        "rhw-logistic",
        r"o_{pj} = \frac{1}{1 + e^{-net_{pj}}}",
        HOLDS,
        lambda net, b: (o(net, b["p"], b["j"]), sigmoid(net_in(net, b["p"], b["j"]))),
        JP,
    ),
    case(
        "rhw-gradient-chain",
        r"\frac{\partial E_p}{\partial w_{ji}} = \frac{\partial E_p}{\partial net_{pj}}"
        r" \frac{\partial net_{pj}}{\partial w_{ji}}",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"], b["p"]),
            net.dz(*unit(net, b["j"]), b["p"])
            * net.d(
                ("z", *unit(net, b["j"]), b["p"]), ("W", *unit(net, b["j"]), unit(net, b["i"])[1])
            ),
        ),
        JIP,
    ),
    case(
        "rhw-dnet-dw",
        r"\frac{\partial net_{pj}}{\partial w_{ji}} = o_{pi}",
        HOLDS,
        lambda net, b: (
            net.d(
                ("z", *unit(net, b["j"]), b["p"]), ("W", *unit(net, b["j"]), unit(net, b["i"])[1])
            ),
            o(net, b["p"], b["i"]),
        ),
        JIP,
    ),
    case(
        "rhw-minus-gradient",
        r"-\frac{\partial E_p}{\partial w_{ji}} = \delta_{pj} o_{pi}",
        HOLDS,
        lambda net, b: (
            -dE_dw(net, b["j"], b["i"], b["p"]),
            delta(net, b["p"], b["j"]) * o(net, b["p"], b["i"]),
        ),
        JIP,
    ),
    case(
        "rhw-delta-rule",
        r"\Delta_p w_{ji} = \eta \delta_{pj} o_{pi}",
        HOLDS,
        lambda net, b: (
            ETA * delta(net, b["p"], b["j"]) * o(net, b["p"], b["i"]),
            -ETA * dE_dw(net, b["j"], b["i"], b["p"]),
        ),
        JIP,
    ),
    case(
        "rhw-delta-chain",
        r"\delta_{pj} = -\frac{\partial E_p}{\partial o_{pj}} \frac{\partial o_{pj}}"
        r"{\partial net_{pj}}",
        HOLDS,
        lambda net, b: (
            delta(net, b["p"], b["j"]),
            -net.da(*unit(net, b["j"]), b["p"])
            * net.d(("a", *unit(net, b["j"]), b["p"]), ("z", *unit(net, b["j"]), b["p"])),
        ),
        JP,
    ),
    case(
        "rhw-do-dnet",
        r"\frac{\partial o_{pj}}{\partial net_{pj}} = f'_j(net_{pj})",
        HOLDS,
        lambda net, b: (
            net.d(("a", *unit(net, b["j"]), b["p"]), ("z", *unit(net, b["j"]), b["p"])),
            fprime(net, b["p"], b["j"]),
        ),
        JP,
    ),
    case(
        "rhw-output-dE-do",
        r"\frac{\partial E_p}{\partial o_{pj}} = -(t_{pj} - o_{pj})",
        HOLDS,
        lambda net, b: (
            net.da(*unit(net, b["j"]), b["p"]),
            -(t(net, b["p"], b["j"]) - o(net, b["p"], b["j"])),
        ),
        OP,
    ),
    case(
        "rhw-output-delta",
        r"\delta_{pj} = (t_{pj} - o_{pj}) f'_j(net_{pj})",
        HOLDS,
        lambda net, b: (
            delta(net, b["p"], b["j"]),
            (t(net, b["p"], b["j"]) - o(net, b["p"], b["j"])) * fprime(net, b["p"], b["j"]),
        ),
        OP,
    ),
    case(
        "rhw-hidden-dE-do",
        r"-\frac{\partial E_p}{\partial o_{pj}} = \sum_k \delta_{pk} w_{kj}",
        HOLDS,
        lambda net, b: (-net.da(*unit(net, b["j"]), b["p"]), _sum_back(net, b["p"], b["j"])),
        HP,
    ),
    case(
        "rhw-hidden-delta",
        r"\delta_{pj} = f'_j(net_{pj}) \sum_k \delta_{pk} w_{kj}",
        HOLDS,
        lambda net, b: (
            delta(net, b["p"], b["j"]),
            fprime(net, b["p"], b["j"]) * _sum_back(net, b["p"], b["j"]),
        ),
        HP,
    ),
    case(
        "rhw-logistic-derivative",
        r"\frac{\partial o_{pj}}{\partial net_{pj}} = o_{pj}(1 - o_{pj})",
        HOLDS,
        lambda net, b: (
            net.d(("a", *unit(net, b["j"]), b["p"]), ("z", *unit(net, b["j"]), b["p"])),
            o(net, b["p"], b["j"]) * (1 - o(net, b["p"], b["j"])),
        ),
        JP,
    ),
    case(
        "rhw-output-delta-logistic",
        r"\delta_{pj} = (t_{pj} - o_{pj}) o_{pj} (1 - o_{pj})",
        HOLDS,
        lambda net, b: (
            delta(net, b["p"], b["j"]),
            (t(net, b["p"], b["j"]) - o(net, b["p"], b["j"]))
            * o(net, b["p"], b["j"])
            * (1 - o(net, b["p"], b["j"])),
        ),
        OP,
    ),
    case(
        "rhw-hidden-delta-logistic",
        r"\delta_{pj} = o_{pj} (1 - o_{pj}) \sum_k \delta_{pk} w_{kj}",
        HOLDS,
        lambda net, b: (
            delta(net, b["p"], b["j"]),
            o(net, b["p"], b["j"]) * (1 - o(net, b["p"], b["j"])) * _sum_back(net, b["p"], b["j"]),
        ),
        HP,
    ),
    case(
        "rhw-total-gradient",
        r"-\frac{\partial E}{\partial w_{ji}} = \sum_p \delta_{pj} o_{pi}",
        HOLDS,
        lambda net, b: (
            -dE_dw(net, b["j"], b["i"], None),
            sum(delta(net, p, b["j"]) * o(net, p, b["i"]) for p in range(net.N)),
        ),
        {"j": "non-input units", "i": "units feeding j"},
    ),
    case(
        "rhw-sum-of-gradients",
        r"\frac{\partial E}{\partial w_{ji}} = \sum_p \frac{\partial E_p}{\partial w_{ji}}",
        HOLDS,
        lambda net, b: (
            dE_dw(net, b["j"], b["i"], None),
            sum(dE_dw(net, b["j"], b["i"], p) for p in range(net.N)),
        ),
        {"j": "non-input units", "i": "units feeding j"},
    ),
    case(
        "rhw-hidden-chain",
        r"\sum_k \frac{\partial E_p}{\partial net_{pk}} \frac{\partial net_{pk}}{\partial o_{pj}}"
        r" = -\sum_k \delta_{pk} w_{kj}",
        HOLDS,
        _hidden_chain,
        HP,
    ),
    # ----- wrong variants ------------------------------------------------------------------
    case(
        "rhw-output-delta-sign",
        r"\delta_{pj} = (o_{pj} - t_{pj}) f'_j(net_{pj})",
        FAILS,
        lambda net, b: (
            delta(net, b["p"], b["j"]),
            (o(net, b["p"], b["j"]) - t(net, b["p"], b["j"])) * fprime(net, b["p"], b["j"]),
        ),
        OP,
        "sign flip",
    ),
    case(
        "rhw-output-delta-missing-fprime",
        r"\delta_{pj} = t_{pj} - o_{pj}",
        FAILS,
        lambda net, b: (
            delta(net, b["p"], b["j"]),
            t(net, b["p"], b["j"]) - o(net, b["p"], b["j"]),
        ),
        OP,
        "missing activation derivative",
    ),
    case(
        "rhw-hidden-delta-transposed",
        r"\delta_{pj} = f'_j(net_{pj}) \sum_k \delta_{pk} w_{jk}",
        FAILS,
        lambda net, b: (
            delta(net, b["p"], b["j"]),
            fprime(net, b["p"], b["j"]) * _sum_back(net, b["p"], b["j"], transposed=True),
        ),
        HP,
        "transposed indices",
    ),
    case(
        "rhw-delta-rule-sign",
        r"\Delta_p w_{ji} = -\eta \delta_{pj} o_{pi}",
        FAILS,
        lambda net, b: (
            -ETA * delta(net, b["p"], b["j"]) * o(net, b["p"], b["i"]),
            -ETA * dE_dw(net, b["j"], b["i"], b["p"]),
        ),
        JIP,
        "learning-rate sign error",
    ),
    case(
        "rhw-hidden-delta-wrong-unit",
        r"\delta_{pj} = \sum_k f'_k(net_{pk}) \delta_{pk} w_{kj}",
        FAILS,
        lambda net, b: (
            delta(net, b["p"], b["j"]),
            sum(
                fprime(net, b["p"], k) * delta(net, b["p"], k) * w(net, k, b["j"])
                for k in above(net, b)
            ),
        ),
        HP,
        "wrong unit's activation derivative",
    ),
    case(
        "rhw-delta-rule-net-for-o",
        r"\Delta_p w_{ji} = \eta \delta_{pj} net_{pi}",
        FAILS,
        lambda net, b: (
            ETA * delta(net, b["p"], b["j"]) * net_in(net, b["p"], b["i"]),
            -ETA * dE_dw(net, b["j"], b["i"], b["p"]),
        ),
        {"j": "output units", "i": "units feeding j", "p": "patterns"},
        "z for a",
    ),
]
