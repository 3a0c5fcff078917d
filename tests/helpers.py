"""Independent references for the tests: high-precision numbers and central differences."""

from __future__ import annotations

import random
from typing import Mapping

import mpmath
import sympy as sp

from symbackprop.activations import to_elementary
from symbackprop.network import Network

DPS = 60
mpmath.mp.dps = DPS  # all test arithmetic on mpf values runs at this precision


def random_point(net: Network, seed: int) -> dict[sp.Expr, sp.Rational]:
    """Random rational values for every input, target, parameter and the gain."""
    rng = random.Random(seed)

    def r() -> sp.Rational:
        return sp.Rational(rng.randint(-900, 900), rng.randint(300, 700))

    point: dict[sp.Expr, sp.Rational] = {p.symbol: r() for p in net.params}
    point |= {s: r() for s in net.inputs}
    point |= {s: r() for s in net.targets}
    if net.gain is not None:
        point[net.gain] = sp.Rational(rng.randint(5, 20), 10)
    return point


def value(expr: sp.Expr, point: Mapping[sp.Expr, sp.Expr]) -> mpmath.mpf:
    """expr at a point, via the elementary rewrite, in 60 significant digits."""
    closed = to_elementary(expr).xreplace(dict(point))
    with mpmath.workdps(DPS):
        return mpmath.mpf(sp.N(closed, DPS))


def central_difference(net: Network, param: sp.Symbol, point: Mapping[sp.Expr, sp.Expr]) -> mpmath.mpf:
    """(E(p + h) - E(p - h)) / 2h with h = 1e-20 at 60 digits: error ~ 1e-40."""
    e = to_elementary(net.error)
    h = sp.Rational(1, 10**20)
    at = dict(point)
    base = at.pop(param)
    plus = e.xreplace(at | {param: base + h})
    minus = e.xreplace(at | {param: base - h})
    with mpmath.workdps(DPS):
        return (mpmath.mpf(sp.N(plus, DPS)) - mpmath.mpf(sp.N(minus, DPS))) / (2 * mpmath.mpf(sp.N(h, DPS)))


def close(a: mpmath.mpf, b: mpmath.mpf, rel: float = 1e-25) -> bool:
    with mpmath.workdps(DPS):
        return abs(a - b) <= rel * max(abs(a), abs(b), mpmath.mpf(1) / 10**10)
