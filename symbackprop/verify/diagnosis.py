"""Diagnoses: the correct form, the ratio claim/true, and the chain-rule factor that differs."""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from symbackprop.verify.claim import Context, Outcome, truth_display
from symbackprop.verify.numeric import ratio_of
from symbackprop.verify.reader import Frac, Node, Partial, walk
from symbackprop.verify.resolver import Resolver
from symbackprop.verify.scope import ResolveError


def diagnose(
    ctx: Context, out: Outcome, kind: str, pid: str, lhs: sp.Expr, rhs: sp.Expr
) -> Outcome:
    scope = ctx.scope
    if kind == "equation":
        shown = scope.net.displays.get(lhs, lhs)
        return replace(
            out,
            correct=ctx.show(shown),
            ratio=ratio_text(ctx, rhs, scope.definitions.get(lhs, lhs)),
        )
    correct = ctx.show(truth_display(scope, kind, pid))
    if kind == "new":
        p = scope.net.param(pid).symbol
        lhs, rhs = lhs - p, rhs - p
    if not scope.notation.has_error_terms:
        residuals = {e: scope.definitions[e] for e in scope.net.errors}
        lhs, rhs = lhs.xreplace(residuals), rhs.xreplace(residuals)
    ratio = ratio_of(rhs, lhs) if not (lhs.has(sp.Sum) or rhs.has(sp.Sum)) else None
    factor = (
        factor_text(ctx, kind, pid, ratio) if ratio is not None and sp.count_ops(ratio) < 40 else ""
    )
    return replace(
        out, correct=correct, ratio=ctx.show(ratio) if ratio is not None else "", factor=factor
    )


def zero_partials(ctx: Context, res: Resolver, node: Node) -> str:
    """Partial-derivative factors of the claim that vanish: ∂N/∂D where N does not depend on D."""
    found: list[str] = []
    for n in walk(node):
        if not (isinstance(n, Frac) and isinstance(n.num, Partial) and isinstance(n.den, Partial)):
            continue
        if n.num.body is None or n.den.body is None:
            continue
        try:
            num, den = res.expr(n.num.body), res.variable(n.den.body)
            if res.derivative(num, den) == 0:
                found.append(
                    f"the factor {ctx.printer.partial(num, den)} is 0: {ctx.show(num)} does not "
                    f"depend on {ctx.show(den)}"
                )
        except ResolveError:
            continue
    return "; ".join(dict.fromkeys(found))


def ratio_text(ctx: Context, rhs: sp.Expr, lhs: sp.Expr) -> str:
    r = ratio_of(rhs, lhs)
    return ctx.show(r) if r is not None else ""


def factor_text(ctx: Context, kind: str, pid: str, ratio: sp.Expr) -> str:
    """The chain-rule factor that, replaced, turns the truth into the claim."""
    scope = ctx.scope
    if ratio == -1:
        return "the sign is wrong: the claim is the negative of the truth"
    if ratio == 0:
        return "the claim is identically zero"
    if ratio.is_number:
        return f"a constant factor {ctx.show(ratio)} is wrong"
    chain = scope.gradient(pid).chain
    if len(chain) != 1:
        return ""
    printer = ctx.printer
    best: tuple[int, str] | None = None
    for f in chain[0]:
        value = f.value.xreplace(scope.canon)
        claimed = sp.factor(sp.cancel(ratio * value))
        if claimed == value:
            continue
        cost = sp.count_ops(claimed)
        if cost > sp.count_ops(value) + 2:
            continue
        num, den = f.num.xreplace(scope.canon), f.den.xreplace(scope.canon)
        text = (
            f"the factor {printer.partial(num, den)} is {ctx.show(claimed)} in the claim where "
            f"{ctx.show(value)} belongs"
        )
        if best is None or cost < best[0]:
            best = (cost, text)
    return best[1] if best else ""
