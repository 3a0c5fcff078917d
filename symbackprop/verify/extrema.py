"""``\\max`` and ``\\min`` of a list of arguments, as textbooks write the rectifier:
``\\max(0, z)``, ``\\max\\{0, z\\}``. The largest of 0 and one value is the ReLU of that value
(the network's own ReLU function, so that a claim and the network's definition compare
symbolically); any other list is SymPy's Max or Min. Applied to vectors or matrices, entry by
entry (a number beside them stands for every entry)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from symbackprop.model.activations import ReLU
from symbackprop.verify.nodes import Group, Node, Sym
from symbackprop.verify.scope import ResolveError
from symbackprop.verify.shapes import Arr, Val, mismatch

EXTREMA = ("\\max", "\\min")


def extremum_arguments(node: Node, nxt: Node | None) -> tuple[str, tuple[Node, ...]] | None:
    """(``\\max`` or ``\\min``, its argument nodes) when ``node`` is one of them and ``nxt`` the
    list it is applied to, ``(a, b)`` or ``\\{a, b\\}``; None otherwise."""
    if not isinstance(node, Sym) or node.head not in EXTREMA:
        return None
    if node.scripted:
        raise ResolveError(f"{node.head} with a script is not read; write {node.head}(a, b)")
    if not isinstance(nxt, Group) or nxt.kind not in ("tuple", "set") or nxt.rel:
        raise ResolveError(f"{node.head} needs its arguments, as in {node.head}(0, z)")
    if len(nxt.items) < 2:
        raise ResolveError(f"{node.head} needs at least two arguments, as in {node.head}(0, z)")
    return node.head, nxt.items


def extremum(head: str, args: Sequence[sp.Expr]) -> sp.Expr:
    """The largest (``\\max``) or smallest (``\\min``) of numbers: max(0, z) is ReLU(z),
    min(0, z) is -ReLU(-z)."""
    if len(args) == 2 and sp.S.Zero in args:
        other = args[1] if args[0] == 0 else args[0]
        return ReLU(other) if head == "\\max" else -ReLU(-other)
    return sp.Max(*args) if head == "\\max" else sp.Min(*args)


def entrywise(values: Sequence[Val], f: Callable[[list[sp.Expr]], sp.Expr], shown: str) -> Val:
    """f of the entries in the same place of each value (arrays of one shape; a number is the
    same in every place)."""
    arrays = [v for v in values if isinstance(v, Arr)]
    if not arrays:
        return f([v for v in values if not isinstance(v, Arr)])
    first = arrays[0]
    for other in arrays[1:]:
        if other.shape != first.shape:
            raise mismatch(first, other, shown)
    rows, cols = first.shape

    def at(v: Val, r: int, c: int) -> sp.Expr:
        return v.m[r, c] if isinstance(v, Arr) else v

    out = [[f([at(v, r, c) for v in values]) for c in range(cols)] for r in range(rows)]
    return Arr(sp.ImmutableMatrix(out), shown)
