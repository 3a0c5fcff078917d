"""The rows of a ``\\begin{cases}`` environment, for the reader: ``value & condition`` or
``value & \\text{otherwise}``, with & read as a comma (elsewhere & aligns and is ignored)."""

from __future__ import annotations

from collections.abc import Callable

from lark import Token, Tree

from symbackprop.errors import SymbackpropError
from symbackprop.verify.nodes import Node, Prod, Sym

CASES_BEGIN, CASES_END = "\\begin{cases}", "\\end{cases}"
CONDITION_WORDS = ("if", "for", "when", "where")  # \text{if } z > 0: the condition follows
OTHERWISE = ("otherwise", "else", "elsewhere")


def cells(text: str) -> str:
    """The column separator & of a cases environment as a comma (the same length, so that
    columns in messages stay right); elsewhere & aligns and is ignored."""
    out, at = [], 0
    while (start := text.find(CASES_BEGIN, at)) >= 0:
        end = text.find(CASES_END, start)
        end = len(text) if end < 0 else end
        out += [text[at:start], text[start:end].replace("&", ",")]
        at = end
    return "".join([*out, text[at:]])


def piece(row: Tree, node_of: Callable[[Tree], Node]) -> tuple[Node, tuple[Node, str, Node] | None]:
    """One row of a cases environment: its value, then (after &) its condition, or none for
    \\text{otherwise}."""
    parts = list(row.children)
    if not parts or not isinstance(parts[0], Tree):
        raise SymbackpropError("a row of \\begin{cases} must start with its value")
    value, rest = node_of(parts[0]), [p for p in parts[1:] if not _is_comma(p)]
    if len(rest) == 1 and isinstance(rest[0], Tree) and _words(node_of(rest[0])) in OTHERWISE:
        return value, None
    if len(rest) == 3 and isinstance(rest[1], Token) and rest[1].type == "REL":
        lhs, rhs = rest[0], rest[2]
        if isinstance(lhs, Tree) and isinstance(rhs, Tree):
            return value, (_unworded(node_of(lhs)), str(rest[1]), node_of(rhs))
    raise SymbackpropError(
        "a row of \\begin{cases} reads value & condition (z > 0) or value & \\text{otherwise}"
    )


def _is_comma(part: Tree | Token) -> bool:
    return isinstance(part, Token) and part.type == "COMMA"


def _words(node: Node) -> str:
    """The words of a \\text{..} node (lower case), or ''."""
    return node.head.strip().lower() if isinstance(node, Sym) and node.kind == "name" else ""


def _unworded(node: Node) -> Node:
    """A condition without the word before it (\\text{if } z: z)."""
    if (
        isinstance(node, Prod)
        and len(node.items) > 1
        and _words(node.items[0][1]) in CONDITION_WORDS
    ):
        rest = node.items[1:]
        return rest[0][1] if len(rest) == 1 else Prod((("", rest[0][1]), *rest[1:]))
    return node
