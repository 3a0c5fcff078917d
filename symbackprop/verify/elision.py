"""Elided products of a vector form: ``\\Sigma'(z^l) (w^{l+1})^T \\ldots \\Sigma'(z^{L-1})
(w^L)^T \\Sigma'(z^L) \\nabla_a C``. The factors just before the dots repeat just after them
with every layer shifted by one count; the dots stand for the copies in between, one for
each layer, so that the product runs over the layers of the network under the binding of
its layer letters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any, cast

import sympy as sp

from symbackprop.verify.matrix import layer_value
from symbackprop.verify.nodes import Node, Num, Script, Sym
from symbackprop.verify.scope import ResolveError

Items = tuple[tuple[str, Node], ...]
POSITIONS = ("start", "end", "text")  # where a node was written: not part of its shape


def is_dots(node: object) -> bool:
    return isinstance(node, Sym) and node.kind == "dots" and not node.scripted


def elided_product(items: Items, env: Mapping[str, int | str]) -> Items:
    """The product with its one ``\\ldots`` written out (unchanged without dots)."""
    dots = [k for k, (_, node) in enumerate(items) if is_dots(node)]
    if len(dots) != 1:
        return items
    left, right = items[: dots[0]], items[dots[0] + 1 :]
    for period in range(1, min(len(left), len(right)) + 1):
        first, last = left[-period:], right[:period]
        shifts = _shifts(tuple(n for _, n in first), tuple(n for _, n in last), env)
        if not shifts or len(set(shifts)) != 1:
            continue
        (shift,) = set(shifts)
        if shift < 0:
            raise ResolveError(
                "the factors after \\ldots are at lower layers than those before it under this "
                "binding of the layer letters"
            )
        if not shift:  # one copy: the factors before the dots are those after them
            return left + right[period:]
        middle = tuple(
            (op, cast(Node, _moved(node, step, env)))
            for step in range(1, shift)
            for op, node in first
        )
        return left + middle + right
    raise ResolveError(
        "an elided product (\\ldots) must repeat the factors before it with their layers "
        "shifted, as in \\Sigma'(z^l) (w^{l+1})^T \\ldots \\Sigma'(z^{L-1}) (w^L)^T"
    )


def _layer(script: object, env: Mapping[str, int | str]) -> int | None:
    """The layer a script writes with a layer letter (l+1, L-1), under ``env``."""
    if not isinstance(script, Script) or script.expr is None:
        return None
    if not any(typ == "LETTER" and text in env for typ, text in script.tokens):
        return None
    return layer_value(script.expr, env)


def _shifts(a: Any, b: Any, env: Mapping[str, int | str]) -> list[int] | None:
    """How far each layer of ``b`` lies above the same layer of ``a``; None when the two are
    not the same factors."""
    if isinstance(a, Script) or isinstance(b, Script):
        la, lb = _layer(a, env), _layer(b, env)
        if la is not None and lb is not None:
            return [lb - la]
        if not (isinstance(a, Script) and isinstance(b, Script)):
            return None
        return _shifts(a.expr, b.expr, env) if a.tokens == b.tokens else None
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            return None
        out: list[int] = []
        for x, y in zip(a, b):
            more = _shifts(x, y, env)
            if more is None:
                return None
            out += more
        return out
    if hasattr(a, "__dataclass_fields__"):
        if type(a) is not type(b):
            return None
        return _shifts(
            tuple(getattr(a, f.name) for f in fields(a) if f.name not in POSITIONS),
            tuple(getattr(b, f.name) for f in fields(b) if f.name not in POSITIONS),
            env,
        )
    return [] if a == b else None


def _moved(node: Any, step: int, env: Mapping[str, int | str]) -> Any:
    """``node`` with every layer it writes with a layer letter moved up by ``step``, written
    as a number."""
    if isinstance(node, Script):
        layer = _layer(node, env)
        if layer is not None:
            number = str(layer + step)
            kind = "DIGIT" if len(number) == 1 else "NUMBER"
            return Script(((kind, number),), Num(sp.Integer(layer + step), number), number)
        return replace(node, expr=_moved(node.expr, step, env))
    if isinstance(node, tuple):
        return tuple(_moved(x, step, env) for x in node)
    if hasattr(node, "__dataclass_fields__"):
        return replace(
            node,
            **{
                f.name: _moved(getattr(node, f.name), step, env)
                for f in fields(node)
                if f.name not in POSITIONS
            },
        )
    return node
