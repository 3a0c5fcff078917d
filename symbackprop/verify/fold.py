"""Intermediates kept as names: folding written-out values back into their names, and the
definitions to expand when differentiating by one intermediate.

Folding replaces a subexpression by the name of the intermediate it equals (a net input's sum
by z, the activation of z by a, a closed form by its intermediate), so two expressions that
agree once folded and expanded are equal, with no common denominator over the network's
closed forms. Differentiating by an intermediate D expands only what depends on D.
"""

from __future__ import annotations

import sympy as sp

from symbackprop.verify.scope import Scope


def fold_table(scope: Scope) -> dict[sp.Expr, sp.Expr]:
    """Written-out value -> the intermediate it is (and a named error term's definition -> the
    error term, when the notation names them)."""
    net = scope.net
    table: dict[sp.Expr, sp.Expr] = dict(scope.unclosed)
    for l in range(1, net.depth + 1):
        for key in (*net.z[l], *net.a[l]):
            value = scope.definitions.get(key)
            if value is not None and not value.is_Atom:
                table[value] = key
    if scope.notation.has_error_terms:  # a named error term (E_o = Desired_o - Actual_o)
        for e in net.errors:
            value = scope.definitions.get(e)
            if value is not None and isinstance(value, sp.Add):
                table[value], table[-value] = e, -e
    return table


def folded(scope: Scope, expr: sp.Expr) -> sp.Expr:
    """expr with each written-out intermediate folded into its name (to a fixed point)."""
    table = fold_table(scope)
    for _ in range(4 * scope.net.depth + 4):
        new = expr.xreplace(table)
        if new == expr:
            break
        expr = new
    return _softmax_folded(scope, expr)


def _softmax_folded(scope: Scope, expr: sp.Expr) -> sp.Expr:
    """A softmax layer's exponentials folded into its activations: with S = Σ_m exp(z_m),
    exp(z_j) = a_j S, so exp(z_j)/S is a_j (and its derivatives' exp(2 z_j)/S² is a_j²);
    an S that does not cancel is written out again."""
    net = scope.net
    for l in range(1, net.depth + 1):
        exps = [sp.exp(z) for z in net.z[l]]
        total = sp.Add(*exps)
        if len(exps) < 2 or not expr.has(total):
            continue
        if any(scope.definitions.get(a) != e / total for a, e in zip(net.a[l], exps)):
            continue  # not a softmax layer
        s = sp.Dummy("S", positive=True)
        powers = {sp.exp(k * z): (a * s) ** k for z, a in zip(net.z[l], net.a[l]) for k in (2, 3)}
        expr = expr.xreplace({total: s}).xreplace(powers)
        expr = expr.xreplace({e: a * s for e, a in zip(exps, net.a[l])}).xreplace({s: total})
    return expr


def independent_of(scope: Scope, den: sp.Expr) -> set[sp.Expr] | None:
    """The intermediates that do not depend on the intermediate ``den`` (every one below its
    layer, and the other net inputs of its layer; the other activations too when ``den`` is an
    activation), or None when ``den`` is not a network intermediate."""
    net = scope.net
    for l in range(1, net.depth + 1):
        if den not in net.z[l] and den not in net.a[l]:
            continue
        keep = {q for m in range(1, l) for q in (*net.z[m], *net.a[m])}
        keep |= {z for z in net.z[l] if z != den}
        if den in net.a[l]:
            keep |= {a for a in net.a[l] if a != den}
        return keep
    return None


def expand_above(scope: Scope, expr: sp.Expr, den: sp.Expr) -> sp.Expr | None:
    """expr with the intermediates that depend on ``den`` replaced by their definitions, down to
    ``den`` (the others kept as names: their derivative by ``den`` is 0 either way); None when
    ``den`` is not a network intermediate."""
    keep = independent_of(scope, den)
    if keep is None:
        return None
    defs = {k: v for k, v in scope.definitions.items() if k != den and k not in keep}
    for _ in range(4 * scope.net.depth + 8):
        new = expr.xreplace(defs)
        if new == expr:
            return new
        expr = new
    return expr
