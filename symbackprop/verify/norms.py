"""Norms with a subscript, as cost functions write them: ``\\|W^{(l)}\\|_F^2`` (the
Frobenius norm of any array), ``\\|v\\|_2`` (a vector's length). A norm without a subscript is
:func:`symbackprop.verify.shapes.norm`.
"""

from __future__ import annotations

import sympy as sp

from symbackprop.verify.nodes import Group, Script, Scripted
from symbackprop.verify.scope import ResolveError
from symbackprop.verify.shapes import Arr, Val, norm, root_sum_of_squares


def norm_kind(sub: Script | None) -> str:
    """'F' for ``_F``, '2' for ``_2`` or no subscript; any other subscript is refused."""
    text = "" if sub is None else sub.text.replace(" ", "").strip("{}")
    if text in ("", "2"):
        return "2"
    if text in ("F", "\\mathrm{F}", "\\text{F}"):
        return "F"
    raise ResolveError(f"a norm's subscript is _F or _2, got _{{{text}}}")


def normed(node: Scripted) -> bool:
    """Whether a scripted node is a norm with its subscript (``\\|W\\|_F^2``), checking the
    subscript."""
    if not (isinstance(node.base, Group) and node.base.kind == "norm" and node.sub is not None):
        return False
    norm_kind(node.sub)
    return True


def frobenius(value: Val, sub: Script | None) -> sp.Expr:
    """The norm a subscript names: with ``_F`` the Frobenius norm of any array, with ``_2``
    a vector's length."""
    if norm_kind(sub) != "F" or not isinstance(value, Arr):
        return norm(value)
    return root_sum_of_squares(value)
