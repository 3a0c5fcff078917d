"""Functions of a whole vector as textbooks write them: ``\\mathrm{softmax}(\\boldsymbol{z})_i``,
``\\operatorname{softmax}(v)_i``, component i of the softmax of a vector,
exp(v_i) / (exp(v_1) + ... + exp(v_n))."""

from __future__ import annotations

import sympy as sp

from symbackprop.verify.nodes import Group, Node, Scripted, Sym
from symbackprop.verify.scope import ResolveError

SOFTMAX = ("softmax",)
BOLD = ("\\boldsymbol{", "\\mathbf{", "\\bm{", "\\vec{")


def is_softmax(node: object) -> bool:
    return isinstance(node, Sym) and node.kind == "name" and node.head.lower() in SOFTMAX


def softmax_argument(node: Node, nxt: Node | None) -> tuple[Node, Node] | None:
    """(the vector, the component's index) of ``\\mathrm{softmax}(v)_i``; None when ``node``
    is not the softmax's name."""
    if not is_softmax(node):
        return None
    if (
        isinstance(nxt, Scripted)
        and isinstance(nxt.base, Group)
        and nxt.base.kind in ("paren", "bracket")
        and len(nxt.base.items) == 1
        and nxt.sub is not None
        and nxt.sub.expr is not None
        and nxt.sup is None
        and not nxt.primes
    ):
        return nxt.base.items[0], nxt.sub.expr
    raise ResolveError("softmax is read for one component: write \\mathrm{softmax}(z)_i")


def softmax(vector: sp.Expr, k: sp.Expr) -> sp.Expr:
    """Component k (from 1) of the softmax of a vector of numbers."""
    if not isinstance(vector, sp.Tuple):
        raise ResolveError("the softmax is taken of a vector of written length")
    if not (k.is_Integer and 1 <= int(k) <= len(vector)):
        raise ResolveError(f"softmax: component {k} of a vector of {len(vector)}")
    return sp.exp(vector[int(k) - 1]) / sp.Add(*[sp.exp(v) for v in vector])


def bold_letter(node: object) -> str | None:
    """The letter of a bold vector name (z of \\boldsymbol{z}), or None."""
    if not isinstance(node, Sym) or node.kind != "name" or node.scripted:
        return None
    for prefix in BOLD:
        if node.head.startswith(prefix) and node.head.endswith("}"):
            inner = node.head[len(prefix) : -1].strip()
            return inner if len(inner) == 1 and inner.isalpha() else None
    return None
