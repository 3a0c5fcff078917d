"""Names a claim defines for itself: the first side of a chain ``J_{ki} = A = B`` that the
notation does not know (Bishop's Jacobian J_{ki} = ∂y_k/∂x_i) stands for A, and the later
sides are checked against it. Only a chain defines: a lone ``J_{ki} = A`` with an unknown
J stays an unknown name (a typo on the left must not become a definition).
"""

from __future__ import annotations

import sympy as sp

from symbackprop.verify.claim import Step
from symbackprop.verify.keys import name_key
from symbackprop.verify.reader import Sym
from symbackprop.verify.resolver import Resolver
from symbackprop.verify.scope import ResolveError, UnknownName

NAME_KINDS = ("letter", "greek", "accent", "name")


def local_definition(res: Resolver, steps: list[Step], step: Step) -> tuple[str, sp.Expr] | None:
    """(the key, the value) when ``step`` opens a chain whose first side is one name unknown
    to the notation and its right side reads in the network's names; else None."""
    node = step.lhs
    if (
        not isinstance(node, Sym)
        or node.kind not in NAME_KINDS
        or node.primes
        or node.sup is not None
        or sum(1 for s in steps if s.lhs is node) < 2
        or next(s for s in steps if s.lhs is node) is not step
    ):
        return None
    try:
        res.value(node)
    except UnknownName:
        pass
    except ResolveError:
        return None
    else:
        return None  # a name the notation (or a standard symbol) already gives
    try:
        value = res.expr(step.rhs)
    except ResolveError:
        return None
    return name_key(node.head, node.sub, None, res.env), value
