"""Shared helpers of the codegen tests: generated modules and mpmath references."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType

import mpmath
import numpy as np
import sympy as sp

from symbackprop.backprop.forms import gradients
from symbackprop.codegen.common import code_spec
from symbackprop.codegen.output import generate
from symbackprop.model.activations import to_elementary
from symbackprop.model.network import Network, build
from symbackprop.model.spec import NetworkSpec
from symbackprop.train.runs import import_path

# The repository root on sys.path, for the modules of generated/ (symbackprop is installed).
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DPS = 50
RTOL = 1e-9


def _heaviside(x: object, h0: object = 0) -> object:
    return mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else h0)


MP_MODULES = [{"Heaviside": _heaviside, "Max": lambda *a: max(a)}, "mpmath"]


def load_module(spec: NetworkSpec, folder: Path, gain_value: float = 1.0) -> ModuleType:
    (path,) = generate(spec, folder, gain_value)
    return import_path(path)


@dataclass(frozen=True)
class Reference:
    """Independent high-precision references for one spec: closed-form E and sympy.diff."""

    spec: NetworkSpec
    gain: float = 1.0  # the value of the sigmoid gain alpha, if the spec has one

    @cached_property
    def net(self) -> Network:
        return build(code_spec(self.spec))

    @cached_property
    def args(self) -> list[sp.Symbol]:
        net = self.net
        syms = [*net.inputs, *net.targets, *(p.symbol for p in net.params)]
        return syms + ([net.gain] if net.gain is not None else [])

    def _mp(self, expr: sp.Expr) -> Callable[..., object]:
        return sp.lambdify(self.args, to_elementary(expr), modules=MP_MODULES)

    @cached_property
    def error(self) -> Callable[..., object]:
        return self._mp(self.net.error)

    @cached_property
    def exact(self) -> list[Callable[..., object]]:
        return [self._mp(g.exact) for g in gradients(self.net)]

    @cached_property
    def outputs(self) -> list[Callable[..., object]]:
        return [self._mp(self.net.closed[o]) for o in self.net.outputs]

    @cached_property
    def nets(self) -> list[Callable[..., object]]:
        return [self._mp(self.net.closed[z]) for layer in self.net.z[1:] for z in layer]

    def values(self, x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> list[object]:
        vals = [mpmath.mpf(float(v)) for v in (*x, *y, *theta)]
        return vals + ([mpmath.mpf(self.gain)] if self.net.gain is not None else [])

    def central_differences(
        self, x: np.ndarray, y: np.ndarray, theta: np.ndarray, h: str = "1e-20"
    ) -> list[float]:
        with mpmath.workdps(DPS):
            base = self.values(x, y, theta)
            off = len(x) + len(y)
            step = mpmath.mpf(h)
            out = []
            for i in range(len(theta)):
                up, down = list(base), list(base)
                up[off + i] += step
                down[off + i] -= step
                out.append(float((self.error(*up) - self.error(*down)) / (2 * step)))
            return out

    def exact_gradient(self, x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> list[float]:
        with mpmath.workdps(DPS):
            vals = self.values(x, y, theta)
            return [float(f(*vals)) for f in self.exact]

    def error_value(self, x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
        with mpmath.workdps(DPS):
            return float(self.error(*self.values(x, y, theta)))

    def output_values(self, x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> list[float]:
        with mpmath.workdps(DPS):
            vals = self.values(x, y, theta)
            return [float(f(*vals)) for f in self.outputs]

    def min_abs_net(self, x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> float:
        with mpmath.workdps(DPS):
            vals = self.values(x, y, theta)
            return min(abs(float(f(*vals))) for f in self.nets)


def assert_close(actual: np.ndarray | list[float], expected: list[float], what: str) -> None:
    """Every component to RTOL relative, against the scale of the whole vector for near-zero
    ones."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.max(np.abs(e))), 1e-300)
    tol = RTOL * np.maximum(np.abs(e), 1e-6 * scale)
    bad = np.abs(a - e) > tol
    assert not bad.any(), (
        f"{what}: components {np.flatnonzero(bad).tolist()} differ: {a[bad]} vs {e[bad]}"
    )
