"""Names a notation writes with a layer index: a layer's size and its activation function.

Hagan et al. write S^m for the number of neurons of layer m (a sum's upper limit,
``\\sum_{j=1}^{S^{m-1}}``, with the notation's ``size = 'S^{$l}'``), f^m for layer m's
transfer function (``function = 'f^{$l}'`` in ``[layer]``), and its slope with a dot,
``\\dot{f}^m(n)``; m is the binding of the free layer letter or the last layer's letter (M).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from symbackprop.verify.keys import latex_key, name_key
from symbackprop.verify.nodes import Script, Sym
from symbackprop.verify.scope import ResolveError, Scope

DOT = re.compile(r"\\dot\{(.+)\}")


def size_keys(scope: Scope) -> dict[str, int]:
    """The key of each layer's size symbol -> that layer's number of units."""
    template = scope.notation.get("size")
    if not template:
        return {}
    out: dict[str, int] = {}
    for l, units in enumerate(scope.spec.sizes):
        key = latex_key(scope.notation.fill(template, scope.net, l))
        if key is not None:
            out.setdefault(key, units)
    return out


def layer_size(scope: Scope, node: object, env: Mapping[str, int | str]) -> int | None:
    """The number of units ``node`` names (S^{m-1} with m bound), or None if it is no size."""
    if not isinstance(node, Sym) or node.kind != "letter":
        return None
    keys = size_keys(scope)
    if not keys:
        return None
    return keys.get(name_key(node.head, node.sub, node.sup, {**scope.layer_env, **env}))


def undotted(head: str) -> str | None:
    """``\\dot{f}`` -> ``f`` (a slope written with a dot); None for any other name."""
    match = DOT.fullmatch(head)
    return match.group(1).strip() if match else None


def function_layer(
    scope: Scope, head: str, sup: Script | None, env: Mapping[str, int | str]
) -> int | None:
    """The layer whose function symbol ``head^{sup}`` is (f^m with m bound, f^{2}), when the
    notation names the function per layer with a superscript; None otherwise."""
    if sup is None:
        return None
    key = name_key(head, None, sup, {**scope.layer_env, **env})
    for l in range(1, scope.spec.depth + 1):
        symbol = scope.notation.function_symbol(l, scope.net)
        if symbol is not None and latex_key(symbol) == key:
            return l
    return None


def is_slope_matrix(scope: Scope, sym: Sym) -> bool:
    """Hagan's ``\\dot{F}^m``: the capital of the function's symbol under a dot, the diagonal
    matrix of layer m's slopes."""
    plain = undotted(sym.head)
    key = scope.function_key
    capital = "\\" + key[1:].capitalize() if key.startswith("\\") else key.upper()
    return plain is not None and plain != key and plain == capital and sym.sub is None


def slope_layer(scope: Scope, sym: Sym, env: Mapping[str, int | str]) -> int | None:
    """The layer of ``\\dot{F}^m`` (None without a superscript: the argument's layer)."""
    if sym.sup is None:
        return None
    layer = function_layer(scope, scope.function_key, sym.sup, env)
    if layer is None:
        raise ResolveError(f"{sym.text or sym.head}: the superscript names no layer")
    return layer
