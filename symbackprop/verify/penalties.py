"""The penalty of a regularised error as a textbook writes it.

A notation may name the penalty function (``penalty_function = '\\Omega'``): Ω(θ) is
(1/2) Σ w² over the parameters the spec's L2 penalty covers, so that the spec's error is the
data term plus λΩ(θ) (λ is the notation's ``penalty``). ``penalised_error`` names the error
with the penalty (Goodfellow's J̃) beside ``error``; ``data_error`` names the error without it.
"""

from __future__ import annotations

from dataclasses import replace
from string import Template

import sympy as sp

from symbackprop.backprop.forms import ERROR
from symbackprop.verify.matrix import VECTOR_KINDS, Named
from symbackprop.verify.quantities import Layout, Quantities, build, vector
from symbackprop.verify.reader import BigSum, Group, Node, Prod, Sym, parse, walk
from symbackprop.verify.scope import ResolveError, Scope
from symbackprop.verify.shapes import Arr

GRADIENT_KINDS = ("weight", "bias", "dweight", "dbias")


def penalty_function(scope: Scope) -> str | None:
    """The name of the penalty function Ω (None: the notation names none)."""
    return scope.notation.top.get("penalty_function")


def omega(scope: Scope) -> sp.Expr:
    """Ω(θ) = (1/2) Σ p² over the penalised parameters (0 without a penalty)."""
    net = scope.net
    return sp.Rational(1, 2) * sp.Add(*[p.symbol**2 for p in net.penalised()])


def data_error(scope: Scope) -> sp.Expr:
    """The error without its penalty: E - λΩ(θ) (λ/n with the penalty divided by the cases)."""
    net = scope.net
    return ERROR - net.penalty_error()


def is_argument_group(item: tuple[str, Node]) -> bool:
    """``(\\theta)`` or ``(w; X, y)`` right after Ω: what it is a function of (skipped)."""
    op, node = item
    return op == "" and isinstance(node, Group) and node.kind in ("paren", "tuple")


def is_data_error(scope: Scope, sym: Sym, after: tuple[str, Node]) -> bool:
    """``J(w; X, y)``: the notation's ``data_error`` written with its parameters, then its data
    after a semicolon (Goodfellow's unregularised objective)."""
    name = scope.notation.top.get("data_error")
    op, node = after
    return (
        name is not None
        and sym.head == name
        and not sym.scripted
        and op == ""
        and isinstance(node, Group)
        and node.kind == "tuple"
        and node.rel == ";"
    )


def j_after_error(scope: Scope, items: tuple[tuple[str, Node], ...], i: int) -> int:
    """The index after ``J(w; X, y)`` at item i; 0 when none is there."""
    sym = items[i][1]
    if isinstance(sym, Sym) and i + 1 < len(items) and is_data_error(scope, sym, items[i + 1]):
        return i + 2
    return 0


def data_gradient(q: Quantities, lay: Layout, by: Named, total: Arr) -> Arr:
    """The gradient of the error without its penalty: ∇E - λ∇Ω (∇E without a penalty)."""
    net = q.scope.net
    if net.penalty is None:
        return total
    penalty = penalty_gradient(q, lay, by)
    rows, cols = total.shape
    out = [
        [total.m[r, c] - net.penalty_scale * penalty.m[r, c] for c in range(cols)]
        for r in range(rows)
    ]
    return Arr(sp.ImmutableMatrix(out), total.shown)


def sums_case_errors(scope: Scope, node: BigSum) -> bool:
    """``\\sum_i L(f(x^{(i)}; θ), y^{(i)})``: a sum of the cases' errors (of a spec with cases)."""
    if scope.net.case is None:
        return False
    written = Template(scope.notation.get("case_error") or "").safe_substitute(i=node.var)
    head = next((n.head for n in walk(parse(written)) if isinstance(n, Sym)), None)
    body = node.body
    first = body.items[0][1] if isinstance(body, Prod) else body
    rest = body.items[1:] if isinstance(body, Prod) else ()
    return (
        isinstance(first, Sym)
        and first.head == head
        and all(is_argument_group(item) for item in rest)
        and len(rest) <= 1
    )


def penalty_gradient(q: Quantities, lay: Layout, by: Named) -> Arr:
    """∇_W Ω(θ): W itself for a penalised kind of parameter, else zeros of W's shape."""
    kind = by.entry.kind
    if kind.endswith(VECTOR_KINDS):
        every = [p for p in q.scope.net.params if p.kind == "weight" or "parameter" in kind]
        slopes = [p.symbol if q.scope.spec.penalised(p.kind) else sp.Integer(0) for p in every]
        return vector(slopes, lay, f"\\nabla_{{{by.entry.shown}}} \\Omega")
    if kind not in ("weight", "bias"):
        raise ResolveError(f"the penalty is a function of the parameters, not of {by.entry.shown}")
    params = build(q, lay, by, None)
    shown = f"\\nabla_{{{by.entry.shown}}} \\Omega"
    if q.scope.spec.penalised(kind):
        return replace(params, shown=shown)
    return Arr(sp.ImmutableMatrix.zeros(*params.shape), shown)
