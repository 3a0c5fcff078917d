"""Shared by the tests of E's reduction over cases and its L2 penalty: the variants, their specs,
and an independent reference point from the corpus oracle (mpmath only, never symbackprop)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symbackprop.model.network import Network
from symbackprop.model.spec import LossTerms, NetworkSpec, inline
from tests.corpus.oracle import Point, points

SIZES = (2, 2, 2)
ACTIVATIONS = ("tanh", "sigmoid")
L2 = "0.3"


@dataclass(frozen=True)
class Variant:
    """One way of forming E: 'mean', 'sum' or 'none' (one case), a penalty, on biases or not."""

    reduce: str
    l2: str
    l2_biases: bool
    l2_mean: bool = False  # the penalty divided by the number of cases

    @property
    def label(self) -> str:
        pen = "no penalty" if self.l2 == "0" else f"l2 {self.l2}"
        per = " over n" if self.l2_mean else ""
        return f"{self.reduce}, {pen}{per}{', biases too' if self.l2_biases else ''}"

    @property
    def cases(self) -> int:
        return 1 if self.reduce == "none" else 3

    def spec(self, loss: str = "half_sse") -> NetworkSpec:
        terms = LossTerms(
            summed=self.reduce == "sum", l2=self.l2, l2_biases=self.l2_biases,
            l2_mean=self.l2_mean,
        )  # fmt: skip
        text = "-".join(map(str, SIZES))
        return inline(
            text, activation=list(ACTIVATIONS), loss=loss, mean=self.reduce == "mean",
            loss_terms=terms,
        )  # fmt: skip

    def point(self, loss: str = "half_sse", seed: int = 7) -> Point:
        """The oracle's random point: parameters, cases and targets, at 50 digits."""
        network: dict[str, Any] = {
            "sizes": list(SIZES),
            "activations": list(ACTIVATIONS),
            "loss": loss,
            "reduce": "sum" if self.reduce == "none" else self.reduce,
            "l2": self.l2,
            "l2_biases": self.l2_biases,
            "l2_mean": self.l2_mean,
            "cases": self.cases,
            "seed": seed,
            "points": 1,
        }
        return points(network)[0]


VARIANTS = [
    Variant(reduce, l2, biases)
    for reduce in ("mean", "sum", "none")
    for l2, biases in (("0", False), (L2, False), (L2, True))
] + [Variant("mean", L2, False, l2_mean=True), Variant("sum", L2, True, l2_mean=True)]


def exact(v: Any) -> sp.Rational:
    """An oracle value (an mpf of a binary float) as the exact rational it is."""
    return sp.Rational(float(v))


def param_values(net: Network, pt: Point) -> dict[str, sp.Rational]:
    out = {}
    for p in net.params:
        if p.kind == "weight":
            assert p.from_unit is not None
            out[p.id] = exact(pt.W[p.layer][p.to_unit - 1][p.from_unit - 1])
        else:
            out[p.id] = exact(pt.b[p.layer][p.to_unit - 1])
    return out


def oracle_gradient(net: Network, pt: Point) -> dict[str, Any]:
    """dE/dp of the oracle's full objective (reduction and penalty), by 50-digit differences."""
    out = {}
    for p in net.params:
        if p.kind == "weight":
            assert p.from_unit is not None
            out[p.id] = pt.dW(p.layer, p.to_unit - 1, p.from_unit - 1)
        else:
            out[p.id] = pt.db(p.layer, p.to_unit - 1)
    return out


def point_substitution(net: Network, pt: Point) -> dict[sp.Expr, sp.Expr]:
    """Every leaf of the network's expressions at the oracle's point: parameters, lambda, and
    each case's inputs and targets (x1[c] for case c with a case index)."""
    subs: dict[sp.Expr, sp.Expr] = {
        net.param(pid).symbol: v for pid, v in param_values(net, pt).items()
    }
    if net.penalty is not None:
        subs[net.penalty] = sp.Rational(net.spec.l2)
    for c in range(pt.N):
        for k, x in enumerate(net.inputs):
            key = x if net.case is None else x.base[c + 1]
            subs[key] = exact(pt.X[c][k])
        for j, y in enumerate(net.targets):
            key = y if net.case is None else y.base[c + 1]
            subs[key] = exact(pt.Y[c][j])
    return subs


def data_arrays(pt: Point) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[float(v) for v in row] for row in pt.X])
    y = np.array([[float(v) for v in row] for row in pt.Y])
    return x, y


def close(a: Any, b: Any, rel: str = "1e-25") -> bool:
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    return bool(abs(a - b) <= mpmath.mpf(rel) * max(abs(a), abs(b), mpmath.mpf(1)))
