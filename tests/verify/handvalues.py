"""Network values computed by hand from the symbolic network's closed forms, at a point: the
independent side of the verifier's reader and diagnosis tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import sympy as sp

from symbackprop.model.network import Network, build
from symbackprop.model.spec import NetworkSpec, inline, preset
from tests.helpers import central_difference, close, random_point, value

HOLDS, FAILS = "holds", "does not hold"


def S(x: mpmath.mpf) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-x))


def dS(x: mpmath.mpf) -> mpmath.mpf:
    return S(x) * (1 - S(x))


def dT(x: mpmath.mpf) -> mpmath.mpf:
    return 1 - mpmath.tanh(x) ** 2


class Q:
    """The network's values at a point, by hand: z(l, j), a(l, j), x(k), y(j), w(pid), lr, gain."""

    def __init__(self, net: Network, point: dict[sp.Expr, sp.Expr]) -> None:
        self.net, self.point = net, point

    def z(self, l: int, j: int) -> mpmath.mpf:
        return value(self.net.closed[self.net.z[l][j - 1]], self.point)

    def a(self, l: int, j: int) -> mpmath.mpf:
        return value(self.net.closed[self.net.a[l][j - 1]], self.point)

    def x(self, k: int) -> mpmath.mpf:
        return value(self.net.inputs[k - 1], self.point)

    def y(self, j: int) -> mpmath.mpf:
        return value(self.net.targets[j - 1], self.point)

    def w(self, pid: str) -> mpmath.mpf:
        return value(self.net.param(pid).symbol, self.point)

    @property
    def lr(self) -> mpmath.mpf:
        return value(self.net.lr, self.point)

    @property
    def gain(self) -> mpmath.mpf:
        assert self.net.gain is not None
        return value(self.net.gain, self.point)


@dataclass(frozen=True)
class Case:
    spec: str  # a preset, or inline sizes with activations after a colon: 2-3-2:tanh
    pid: str
    latex: str
    kind: str  # gradient | update | new (a left-hand side, if any, must agree)
    claim: Callable[[Q], mpmath.mpf]  # the claim's value, written by hand


def spec_of(text: str) -> NetworkSpec:
    sizes, _, acts = text.partition(":")
    if sizes[0].isdigit():
        return inline(sizes, activation=acts.split(",") if acts else None)
    return preset(sizes)


def expected(case: Case) -> str:
    """The verdict the numbers give: the claim against -η dE/dp (or p - η dE/dp, or dE/dp)."""
    net = build(spec_of(case.spec))
    param = net.param(case.pid).symbol
    for seed in range(2):
        point = random_point(net, seed)
        point[net.lr] = sp.Rational(3, 10)
        grad = central_difference(net, param, point)
        q = Q(net, point)
        truth = {"gradient": grad, "update": -q.lr * grad, "new": q.w(case.pid) - q.lr * grad}[
            case.kind
        ]
        if not close(mpmath.mpf(case.claim(q)), truth, rel=1e-15):
            return FAILS
    return HOLDS
