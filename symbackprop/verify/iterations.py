"""A parameter at an iteration of gradient descent: ``w^{(t+1)}``, ``w_{ji}(n+1)``, and in
vector form Hagan's ``W^m(k+1)`` (the new value) and ``W^m(k)`` (the value before the step).
"""

from __future__ import annotations

from collections.abc import Callable

from symbackprop.verify.nodes import Add, Group, Node, Num, Sym

ITERATION_LETTERS = ("t", "n", "r", "k", "s", "\\tau")  # w^{(t+1)}, w_{ji}(n+1), w^{(r)}


def unwrapped(node: Node | None) -> Node | None:
    """The inside of an iteration tag's brackets: ``(n+1)`` -> ``n+1``, ``((k))`` -> ``k``."""
    while isinstance(node, Group) and node.kind in ("paren", "bracket") and len(node.items) == 1:
        node = node.items[0]
    return node


def iteration_letter(node: Node | None) -> str:
    """The letter of an iteration tag: ``n`` of ``(n+1)`` and of ``(n)`` ('' for any other)."""
    node = unwrapped(node)
    if isinstance(node, Add) and node.terms:
        node = node.terms[0][1]
    return node.head if isinstance(node, Sym) and not node.scripted else ""


def iteration_step(node: Node | None, known: Callable[[str], bool]) -> int | None:
    """1 for an iteration tag ``(k+1)``, 0 for ``(k)``; None when ``node`` is none (or its
    letter is a name ``known`` to the notation)."""
    node = unwrapped(node)
    step = 0
    if isinstance(node, Add) and len(node.terms) == 2 and node.terms[0][0] == "+":
        (_, first), (sign, one) = node.terms
        if not (isinstance(one, Num) and one.value == 1 and sign == "+"):
            return None
        node, step = first, 1
    if not (isinstance(node, Sym) and not node.scripted and node.head in ITERATION_LETTERS):
        return None
    return None if known(node.head) else step
