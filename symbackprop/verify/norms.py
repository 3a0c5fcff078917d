"""Norms as cost functions write them: ``\\|y(x) - a^L(x)\\|^2``, ``\\lVert W \\rVert_F^2``.

The reader pairs the bars first (:mod:`symbackprop.verify.bars`). The norm of a number is its
absolute value; of a vector (one row or one column) its Euclidean length, ``_2`` or without a
subscript; of any array with ``_F`` its Frobenius norm. A matrix norm without ``_F`` is refused
(it would be the operator norm).
"""

from __future__ import annotations

import sympy as sp

from symbackprop.verify.nodes import Group, Script, Scripted
from symbackprop.verify.scope import ResolveError
from symbackprop.verify.shapes import Arr, Val


def norm_kind(sub: Script | None) -> str:
    """'F' for ``_F``, '2' for ``_2`` or no subscript; any other subscript is refused."""
    text = "" if sub is None else sub.text.replace(" ", "").strip("{}")
    if text in ("", "2"):
        return "2"
    if text in ("F", "\\mathrm{F}", "\\text{F}"):
        return "F"
    raise ResolveError(f"a norm's subscript is _F or _2, got _{{{text}}}")


def norm(value: Val, kind: str = "2") -> sp.Expr:
    """The norm of a number, a vector or (with kind 'F') any array."""
    if not isinstance(value, Arr):
        return sp.Abs(value)
    rows, cols = value.shape
    if kind != "F" and rows > 1 and cols > 1:
        raise ResolveError(
            f"the norm of the {value.dims} matrix {value.shown}: write \\|{value.shown}\\|_F for"
            " the Frobenius norm"
        )
    return sp.sqrt(sp.Add(*[x**2 for x in value.m]))


def normed(node: Scripted) -> bool:
    """Whether a scripted node is a norm with its subscript (``\\|W\\|_F^2``), checking the
    subscript."""
    if not (isinstance(node.base, Group) and node.base.kind == "norm" and node.sub is not None):
        return False
    norm_kind(node.sub)
    return True


def scalar_norm(value: sp.Expr) -> sp.Expr:
    """The norm of a number (its absolute value) or of a vector read entry by entry."""
    if isinstance(value, sp.Tuple):
        return sp.sqrt(sp.Add(*[x**2 for x in value]))
    return sp.Abs(value)
