"""The running gradient of a backward pass written as an algorithm (Goodfellow et al.'s ``g``).

A notation may name it with the key ``upstream`` (``upstream = 'g'``). The algorithm
overwrites one vector as it walks back through the layers:

* ``g \\leftarrow \\nabla_{a^{(k)}} J = g \\odot f'(a^{(k)})``: on the right, g is the
  gradient by the layer's activations, ∇_{h^{(k)}} J;
* ``\\nabla_{W^{(k)}} J = g h^{(k-1)\\top}``, ``\\nabla_{b^{(k)}} J = g``: g is the gradient by
  the layer's net inputs, ∇_{a^{(k)}} J;
* ``g \\leftarrow \\nabla_{h^{(k-1)}} J = W^{(k)\\top} g``: g is ∇_{a^{(k)}} J, one layer up.

So in a claim, g stands for the gradient one step upstream of the quantity on the left side.
``g \\leftarrow X = Y`` names X as the new g (nothing to check) and claims X = Y.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from symbackprop.verify.claim import ASSIGNMENTS, Step
from symbackprop.verify.matrix import Entry, Table, lookup, merged
from symbackprop.verify.reader import Frac, Node, Partial, Prod, Sym
from symbackprop.verify.scope import ResolveError, Scope
from symbackprop.verify.values import as_partial

# the kind of the quantity on the left -> (the kind g stands for, its layer's offset)
UPSTREAM_OF = {
    "net": ("dactivation", 0),
    "activation": ("delta", 1),
    "weight": ("delta", 0),
    "bias": ("delta", 0),
}


def upstream_name(scope: Scope) -> str | None:
    """The letter the notation gives the running gradient (None: it names none)."""
    return scope.notation.top.get("upstream")


def is_upstream(scope: Scope, node: Node | None) -> bool:
    """Whether a node is the bare running-gradient name."""
    name = upstream_name(scope)
    return name is not None and isinstance(node, Sym) and node.head == name and not node.scripted


def unchained(scope: Scope, steps: list[Step]) -> list[Step]:
    """``g \\leftarrow X = Y``: the claim X = Y (the first step only names the new g)."""
    if not steps or not is_upstream(scope, steps[0].lhs) or steps[0].rel not in ASSIGNMENTS:
        return steps
    named, g = steps[0].rhs, steps[0].lhs
    rest = [replace(s, lhs=named, rel="=") for s in steps[1:] if s.lhs is g]
    if not rest:
        raise ResolveError(
            f"{upstream_name(scope)} \\leftarrow ... only names the running gradient; "
            "write what it equals (g \\leftarrow \\nabla_{a} J = ...)"
        )
    return rest


def gradient_target(node: Node) -> Node | None:
    """X of a left side ``\\nabla_{X} J`` or ``\\frac{\\partial J}{\\partial X}``."""
    if isinstance(node, Prod) and len(node.items) == 2:
        head = node.items[0][1]
        if isinstance(head, Sym) and head.head == "\\nabla" and head.sub is not None:
            return head.sub.expr
    if isinstance(node, Frac):
        den = as_partial(node.den)
        if isinstance(den, Partial):
            return den.body
    return None


def upstream_entry(tab: Table, env: Mapping[str, int | str], lhs: Node | None) -> Entry | None:
    """What g stands for in a claim with this left side (None: the left side says nothing)."""
    target = gradient_target(lhs) if lhs is not None else None
    if isinstance(target, Prod) and isinstance(target.items[0][1], Sym):
        sym, end = merged(target.items, 0)
        target = sym if end == len(target.items) else None
    if not isinstance(target, Sym):
        return None
    found = lookup(tab, target.head, target.sub, target.sup, env)
    if found is None or found.entry.layer is None or found.entry.kind not in UPSTREAM_OF:
        return None
    kind, offset = UPSTREAM_OF[found.entry.kind]
    return Entry(kind, found.entry.layer + offset, "g")
