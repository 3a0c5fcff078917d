"""Names that relate units rather than name quantities: the named sets of units of a sum
(``\\sum_{k \\in Downstream(j)}``, ``\\text{children}(j)``, ``\\text{parents}(j)``) and the
Kronecker delta ``\\delta_{kl}``. Syntax only: which units they stand for is decided in
:mod:`symbackprop.verify.layers`.
"""

from __future__ import annotations

from symbackprop.verify.nodes import Group, Node, Prod, Sym
from symbackprop.verify.scope import ResolveError

# Named sets of units relative to one unit j, as \sum_{k \in S(j)} writes them: the
# units of the layer after j's (+1: the units j feeds) or before it (-1: the units that feed j,
# with the always-on unit 0 where the notation has one). Spelling and case do not matter.
UNIT_SETS = {
    "downstream": 1,  # Mitchell's Downstream(j)
    "children": 1,
    "succ": 1,
    "successors": 1,
    "upstream": -1,
    "parents": -1,
    "inputs": -1,
    "pred": -1,
    "predecessors": -1,
}


def fed_set(over: Node | None) -> tuple[str, int] | None:
    """The unit letter of ``Downstream(j)`` (``\\text{children}(j)``, ``\\text{parents}(j)``,
    any name of :data:`UNIT_SETS`) and the step to the layer it names, else None."""
    if not isinstance(over, Prod) or len(over.items) < 2:
        return None
    *word, (_, arg) = over.items
    if not all(op == "" and isinstance(n, Sym) and not n.scripted for op, n in word):
        return None
    name = "".join(n.head for _, n in word if isinstance(n, Sym)).lower()
    if name not in UNIT_SETS:
        return None
    inner = arg.items[0] if isinstance(arg, Group) and len(arg.items) == 1 else None
    if (
        not isinstance(arg, Group)
        or arg.kind != "paren"
        or not isinstance(inner, Sym)
        or inner.kind != "letter"
        or inner.scripted
    ):
        raise ResolveError(f"{name}( ) takes one unit letter, as in {name}(j)")
    return inner.head, UNIT_SETS[name]


KRONECKER = ("\\delta",)


def kronecker_letters(node: object) -> tuple[str, str] | None:
    """The two unit letters of a Kronecker delta ``\\delta_{kl}``, ``\\delta_{k,l}``, else
    None."""
    if not isinstance(node, Sym) or node.head not in KRONECKER or node.sup is not None:
        return None
    tokens = [t for t in node.sub.tokens if t[0] != "COMMA"] if node.sub is not None else []
    if len(tokens) != 2 or any(typ != "LETTER" for typ, _ in tokens):
        return None
    return tokens[0][1], tokens[1][1]
