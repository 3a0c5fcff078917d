"""Index arithmetic in scripts and the layered notations' small readings (no scope needed).

``w^{l+1}_{kj}`` at l = 2 is ``w^{3}_{kj}``; Haykin's ``v_j(n)`` carries the case n; with units
numbered through the net, a weight between units no weight connects is 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from string import Template

from symbackprop.model.notation import Notation
from symbackprop.verify.nodes import Group, Sym


def index_arithmetic(
    tokens: tuple[tuple[str, str], ...], env: Mapping[str, int | str]
) -> tuple[tuple[str, str], ...]:
    """``l+1``, ``L-1`` with l, L bound: each comma-separated part that is index arithmetic
    becomes its number (so that w^{l+1}_{kj} at l = 2 is w^{3}_{kj})."""
    out: list[tuple[str, str]] = []
    part: list[tuple[str, str]] = []
    for token in (*tokens, ("COMMA", ",")):
        if token[0] != "COMMA":
            part.append(token)
            continue
        out.extend(evaluated(part, env))
        out.append(token)
        part = []
    return tuple(out[:-1])


def evaluated(part: list[tuple[str, str]], env: Mapping[str, int | str]) -> list[tuple[str, str]]:
    total, sign, bound, expect_term = 0, 1, False, True
    for typ, text in part:
        if typ == "SIGN" and not expect_term and text in "+-":
            sign, expect_term = (1 if text == "+" else -1), True
        elif typ == "LETTER" and expect_term and isinstance(env.get(text), int):
            total, bound, expect_term = total + sign * int(env[text]), True, False
        elif typ in ("DIGIT", "NUMBER") and expect_term and text.isdigit():
            total, expect_term = total + sign * int(text), False
        else:
            return part
    return [("DIGIT", str(total))] if bound and not expect_term else part


def is_case_argument(notation: Notation, item: tuple[str, object]) -> bool:
    """Whether a factor is ``(n)`` with n the case letter (or ``(N)``, the count) of a layered
    notation (Haykin)."""
    op, node = item
    return (
        notation.layered
        and op == ""
        and isinstance(node, Group)
        and node.kind == "paren"
        and len(node.items) == 1
        and isinstance(node.items[0], Sym)
        and not node.items[0].scripted
        and node.items[0].head in (notation.get("case"), notation.get("cases"))
    )  # v_j(n): case n; Haykin's E_av(N): the error over N cases


def unconnected_weights(notation: Notation, sizes: tuple[int, ...] | list[int]) -> list[str]:
    """With units numbered through the net (and one weight template without $l), the LaTeX of
    w_{jk} for every pair of units; those no weight connects are 0."""
    template = notation.layer.get("weight")
    if notation.option("numbering") != "network" or not template or "$l" in template:
        return []
    units = range(1, sum(sizes) + 1)
    return [
        Template(template).safe_substitute(j=j, k=k) for j, k in itertools.product(units, units)
    ]
