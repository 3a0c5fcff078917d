"""Vector and matrix values of a reading: a SymPy matrix with the name it is shown by, and the
operations of the vector forms (products, Hadamard products, sums with broadcasting over a
batch, transposes) with their shape checks. A shape that does not conform raises
:class:`ShapeMismatch`, naming both shapes: the claim is wrong, the input is not bad."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import sympy as sp

from symbackprop.verify.scope import ResolveError


class ShapeMismatch(ResolveError):  # noqa: N818 - a public name, like UnknownName
    """Operands whose shapes do not conform (``W^{3} a^{3}`` with W 2×3 and a 2×1)."""


@dataclass(frozen=True)
class Arr:
    """A vector or matrix of scalar expressions, and how the claim writes it."""

    m: sp.ImmutableMatrix
    shown: str

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.m.shape
        return int(rows), int(cols)

    @property
    def dims(self) -> str:
        rows, cols = self.shape
        return f"{rows}×{cols}"


Val: TypeAlias = sp.Expr | Arr


def arr(rows: list[list[sp.Expr]], shown: str) -> Arr:
    return Arr(sp.ImmutableMatrix(rows), shown)


def shown_of(value: Val) -> str:
    return value.shown if isinstance(value, Arr) else str(value)


def mismatch(a: Arr, b: Arr, what: str = "") -> ShapeMismatch:
    lead = f"shape mismatch{' in ' + what if what else ''}"
    return ShapeMismatch(f"{lead}: {a.shown} is {a.dims}, {b.shown} is {b.dims}")


def each(value: Val, f: Callable[[sp.Expr], sp.Expr], shown: str = "") -> Val:
    """f applied to every entry (a function of the activation, a power)."""
    if not isinstance(value, Arr):
        return f(value)
    return Arr(value.m.applyfunc(f), shown or value.shown)


def norm(value: Val) -> sp.Expr:
    """The Euclidean length of a vector (of a number: its size)."""
    if not isinstance(value, Arr):
        return sp.sqrt(value**2)
    if 1 not in value.shape:
        shown = f"{value.shown}, a {value.dims} matrix"
        raise ResolveError(f"a norm is read of a vector, not of {shown}")
    return root_sum_of_squares(value)


def root_sum_of_squares(value: Arr) -> sp.Expr:
    """The square root of the sum of every entry squared (a vector's length, a matrix's
    Frobenius norm)."""
    return sp.sqrt(sp.Add(*[x**2 for x in value.m]))


def transpose(value: Val) -> Val:
    if not isinstance(value, Arr):
        return value
    return Arr(value.m.T, f"({value.shown})^T" if " " in value.shown else f"{value.shown}^T")


def scale(c: sp.Expr, a: Arr, shown: str) -> Arr:
    return Arr(a.m.applyfunc(lambda x: c * x), shown)


def product(a: Val, b: Val) -> Val:
    """A matrix product (a number scales): the inner dimensions must agree."""
    if not isinstance(a, Arr) or not isinstance(b, Arr):
        return _scaled(a, b, lambda x, y: x * y)
    if a.shape[1] != b.shape[0]:
        raise mismatch(a, b)
    return Arr(a.m * b.m, f"{a.shown} {b.shown}")


def hadamard(a: Val, b: Val) -> Val:
    """The element-wise product (``\\odot``, ``\\circ``, NumPy's ``*``): equal shapes."""
    if not isinstance(a, Arr) or not isinstance(b, Arr):
        return _scaled(a, b, lambda x, y: x * y)
    if a.shape != b.shape:
        raise mismatch(a, b, "an element-wise product")
    return Arr(a.m.multiply_elementwise(b.m), f"{a.shown} ⊙ {b.shown}")


def divide(a: Val, b: Val) -> Val:
    """Element-wise division (``\\frac{Y}{A}``); by a number, each entry."""
    if isinstance(a, Arr) and isinstance(b, Arr):
        if a.shape != b.shape:
            raise mismatch(a, b, "an element-wise division")
        rows, cols = a.shape
        out = [[a.m[r, c] / b.m[r, c] for c in range(cols)] for r in range(rows)]
        return arr(out, f"{a.shown}/{b.shown}")
    return _scaled(a, b, lambda x, y: x / y)


def add(a: Val, b: Val, sign: str, batch_axis: int | None = None) -> Val:
    """``a + b`` or ``a - b``: equal shapes, a number added to every entry, or a layer's vector
    broadcast over the examples of a batch (``W A + b`` with b a column and the examples as
    columns: ``batch_axis`` 1)."""
    s = 1 if sign == "+" else -1
    if not isinstance(a, Arr) or not isinstance(b, Arr):
        return _scaled(a, b, lambda x, y: x + s * y)
    if a.shape != b.shape:
        a, b = _broadcast(a, b, batch_axis)
    rows, cols = a.shape
    out = [[a.m[r, c] + s * b.m[r, c] for c in range(cols)] for r in range(rows)]
    return arr(out, f"{a.shown} {sign} {b.shown}")


def _broadcast(a: Arr, b: Arr, axis: int | None) -> tuple[Arr, Arr]:
    """One operand repeated along the batch axis, when its shape is the other's with one
    example."""
    if axis is not None:
        for big, small, first in ((a, b, False), (b, a, True)):
            one = list(big.shape)
            one[axis] = 1
            if small.shape == tuple(one) and big.shape[axis] > 1:
                times = big.shape[axis]
                m = (
                    sp.ImmutableMatrix.hstack(*[small.m] * times)
                    if axis == 1
                    else sp.ImmutableMatrix.vstack(*[small.m] * times)
                )
                wide = Arr(m, small.shown)
                return (wide, big) if first else (big, wide)
    raise mismatch(a, b, "a sum")


def _scaled(a: Val, b: Val, f: Callable[[sp.Expr, sp.Expr], sp.Expr]) -> Val:
    if isinstance(a, Arr):
        assert not isinstance(b, Arr)
        return Arr(a.m.applyfunc(lambda x: f(x, b)), a.shown)
    if isinstance(b, Arr):
        return Arr(b.m.applyfunc(lambda y: f(a, y)), b.shown)
    return f(a, b)


def diagonal(value: Val, shown: str) -> Arr:
    """``\\Sigma'(z)``: the diagonal matrix of a vector's entries."""
    if not isinstance(value, Arr) or 1 not in value.shape:
        raise ResolveError(f"{shown} needs a vector")
    entries = list(value.m)
    return Arr(sp.ImmutableMatrix(sp.diag(*entries)), shown)


def entries(value: Val) -> list[tuple[tuple[int, int], sp.Expr]]:
    """Each entry with its (row, column), 1-based."""
    if not isinstance(value, Arr):
        return [((1, 1), value)]
    rows, cols = value.shape
    return [((r + 1, c + 1), value.m[r, c]) for r in range(rows) for c in range(cols)]


def same_shape(lhs: Val, rhs: Val) -> bool:
    shape_l = lhs.shape if isinstance(lhs, Arr) else (1, 1)
    shape_r = rhs.shape if isinstance(rhs, Arr) else (1, 1)
    return shape_l == shape_r
