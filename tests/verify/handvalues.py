"""Network values computed by hand from the symbolic network's closed forms, at a point: the
independent side of the verifier's reader and diagnosis tests."""

from __future__ import annotations

import mpmath
import sympy as sp

from symbackprop.model.network import Network
from tests.helpers import value


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
