"""Independent references for the tests: high-precision numbers and central differences."""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from symbackprop.model.activations import to_elementary
from symbackprop.model.network import Network

REPO = Path(__file__).resolve().parents[1]
# The four source documents sit in shared/seeds beside the repository (never inside it).
SEEDS = REPO.parent / "shared" / "seeds"


def seeds() -> Path:
    """The source documents' folder: skipped where they are absent, a failure in CI (CI=true)."""
    if SEEDS.is_dir() and any(SEEDS.glob("00*_*.txt")):
        return SEEDS
    where = f"the source documents are not in {SEEDS} (shared/seeds beside the repository)"
    if os.environ.get("CI"):
        pytest.fail(where + "; CI must run with them")
    pytest.skip(where)


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


def central_difference(
    net: Network, param: sp.Symbol, point: Mapping[sp.Expr, sp.Expr]
) -> mpmath.mpf:
    """(E(p + h) - E(p - h)) / 2h with h = 1e-20 at 60 digits: error ~ 1e-40."""
    e = to_elementary(net.error)
    h = sp.Rational(1, 10**20)
    at = dict(point)
    base = at.pop(param)
    plus = e.xreplace(at | {param: base + h})
    minus = e.xreplace(at | {param: base - h})
    with mpmath.workdps(DPS):
        return (mpmath.mpf(sp.N(plus, DPS)) - mpmath.mpf(sp.N(minus, DPS))) / (
            2 * mpmath.mpf(sp.N(h, DPS))
        )


def close(a: mpmath.mpf, b: mpmath.mpf, rel: float = 1e-25) -> bool:
    with mpmath.workdps(DPS):
        return abs(a - b) <= rel * max(abs(a), abs(b), mpmath.mpf(1) / 10**10)
