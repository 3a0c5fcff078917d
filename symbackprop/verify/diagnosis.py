"""Diagnoses: the correct form, the ratio claim/true, and the chain-rule factor that differs.

A ratio is printed in the source's orientation (1 - a, not -1 + a); one longer than
MAX_RATIO characters gives way to the structural diagnosis: each factor of the truth the
claim is missing, and each it has in excess, named by the chain-rule factor it belongs to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import sympy as sp

from symbackprop.model.activations import ACTIVATIONS, Sigmoid
from symbackprop.verify.claim import Context, Outcome, truth_display
from symbackprop.verify.numeric import ratio_of
from symbackprop.verify.reader import Frac, Node, Partial, walk
from symbackprop.verify.resolver import Resolver
from symbackprop.verify.scope import ResolveError

MAX_RATIO = 120


def diagnose(
    ctx: Context, out: Outcome, kind: str, pid: str, lhs: sp.Expr, rhs: sp.Expr
) -> Outcome:
    scope = ctx.scope
    if kind == "equation":
        shown = scope.net.displays.get(lhs, lhs)
        return replace(
            out,
            correct=ctx.show(shown),
            ratio=short(ratio_text(ctx, rhs, scope.definitions.get(lhs, lhs))),
        )
    correct = ctx.show(truth_display(scope, kind, pid))
    if kind == "new":
        p = scope.net.param(pid).symbol
        lhs, rhs = lhs - p, rhs - p
    penalty, lhs, rhs = penalty_text(ctx, kind, pid, lhs, rhs)
    if not scope.notation.has_error_terms:
        residuals = {e: scope.definitions[e] for e in scope.net.errors}
        lhs, rhs = lhs.xreplace(residuals), rhs.xreplace(residuals)
    if penalty and sp.expand(lhs - rhs) == 0:
        return replace(out, correct=correct, ratio="", factor=penalty)
    ratio = ratio_of(rhs, lhs) if not (lhs.has(sp.Sum) or rhs.has(sp.Sum)) else None
    factor = (
        factor_text(ctx, kind, pid, ratio) if ratio is not None and sp.count_ops(ratio) < 40 else ""
    )
    parts = structure(ctx, pid, ratio) if ratio is not None and not ratio.is_number else ""
    shown = short(ctx.show(oriented(ratio))) if ratio is not None else ""
    if parts and (not factor or " and " in parts or not shown):
        factor = parts  # several factors differ: name each one rather than one folded factor
    factor = "; ".join(x for x in (penalty, slope_at_activation(ctx, rhs), factor) if x)
    return replace(out, correct=correct, ratio=shown, factor=factor)


def penalty_text(
    ctx: Context, kind: str, pid: str, lhs: sp.Expr, rhs: sp.Expr
) -> tuple[str, sp.Expr, sp.Expr]:
    """What the claim (rhs) gets wrong about the L2 penalty's term lambda p of the truth (lhs),
    and both sides without that term, so the rest of the diagnosis compares the data terms."""
    net = ctx.scope.net
    lam = net.penalty
    if lam is None or kind not in ("gradient", "update", "new"):
        return "", lhs, rhs
    p = net.param(pid)
    scale = sp.Integer(1) if kind == "gradient" else -net.lr
    written = sp.expand(rhs - rhs.xreplace({lam: 0}))
    own = sp.expand(scale * net.penalty_slope(p))
    bare = lhs - own, rhs - written
    unit = net.penalty_display(p)
    if own == 0 and written != 0:
        return (
            f"extra: {_times(ctx, written / scale, unit)} (the L2 penalty covers the weights "
            "only: l2_biases is false)",
            *bare,
        )
    if own != 0 and written == 0:
        return (
            f"missing: {ctx.show(unit)} (the gradient of the L2 penalty (\\lambda/2) sum w^2)",
            *bare,
        )
    if own != 0 and sp.expand(written - own) != 0:
        return (
            f"the L2 penalty's term is {_times(ctx, written / scale, unit)} where "
            f"{ctx.show(unit)} belongs",
            *bare,
        )
    return "", *bare


def _times(ctx: Context, expr: sp.Expr, unit: sp.Expr) -> str:
    """expr as a number times ``unit`` (2 lambda w) when it is one, else as it stands."""
    coeff = sp.cancel(expr / unit.doit())
    if coeff == 1:
        return ctx.show(unit)
    if coeff.is_number:
        return ctx.show(sp.Mul(coeff, unit, evaluate=False))
    return ctx.show(expr)


def slope_at_activation(ctx: Context, claim: sp.Expr) -> str:
    """A slope or activation applied to a unit's activation instead of its net input."""
    net, spec = ctx.scope.net, ctx.scope.spec
    probe = sp.Dummy("z")
    heads = {
        type(ACTIVATIONS[name].apply(probe, None))
        for name in spec.activations
        if not ACTIVATIONS[name].layerwise
    } | {Sigmoid, sp.tanh}
    found = []
    for f in claim.atoms(sp.Function):
        if type(f) not in heads:
            continue
        for l in range(1, net.depth + 1):
            for a, z in zip(net.a[l], net.z[l]):
                if f.args and f.args[0] == a:
                    found.append(
                        f"the activation function is applied to the activation {ctx.show(a)}: "
                        f"its slope belongs at the net input {ctx.show(z)}"
                    )
    return "; ".join(dict.fromkeys(found))


def short(text: str) -> str:
    """A ratio too long to read is left out (the structural diagnosis says what differs)."""
    return text if len(text) <= MAX_RATIO else ""


def _negatives(expr: sp.Expr) -> int:
    return sum(1 for t in sp.Add.make_args(expr) if t.could_extract_minus_sign())


def _flip(expr: sp.Expr) -> bool:
    """Whether -expr reads as the sources write it: 1 - a rather than -1 + a."""
    if not isinstance(expr, sp.Add):
        return False
    constant = [t for t in expr.args if t.is_number]
    if constant:
        return bool(constant[0] < 0)
    return _negatives(expr) > _negatives(-expr)


def _orient(expr: sp.Expr) -> tuple[sp.Expr, list[sp.Expr]]:
    """The numeric coefficient and the factors of a product, sums oriented as sources write them."""
    coeff: sp.Expr = sp.Integer(1)
    factors: list[sp.Expr] = []
    for f in sp.Mul.make_args(expr):
        if f.is_number:
            coeff *= f
            continue
        base, exp = f.as_base_exp()
        if exp.is_integer and _flip(base):
            base = -base
            coeff *= -1 if exp % 2 else 1
        factors.append(sp.Pow(base, exp))
    return coeff, factors


def oriented(expr: sp.Expr) -> sp.Expr:
    """The same value with each sum factor written as the sources write it: 1 - a, not -1 + a."""
    coeff, factors = _orient(expr)
    out = sp.Mul(coeff, *factors)
    if isinstance(out, sp.Add) and coeff != 1:  # -1 * (1 - a) distributes: keep it whole
        return sp.Mul(coeff, sp.Mul(*factors), evaluate=False)
    return out


def _factors(expr: sp.Expr) -> Counter[sp.Expr]:
    """The non-numeric factors of a product, each with its power (sums oriented: 1 - a)."""
    out: Counter[sp.Expr] = Counter()
    for f in sp.Mul.make_args(sp.factor(expr)):
        base, exp = f.as_base_exp()
        if base.is_number or not exp.is_Integer:
            continue
        if _flip(base):
            base = -base
        out[base] += int(exp)
    return out


def _local_factors(ctx: Context, pid: str) -> list[tuple[str, sp.Expr]]:
    """The chain-rule factors common to every path of dE/dp: (its name, its value)."""
    scope = ctx.scope
    chain = scope.gradient(pid).chain
    if not chain:
        return []
    out = []
    for f in chain[0]:
        num, den = f.num.xreplace(scope.canon), f.den.xreplace(scope.canon)
        if all(any(g.num == f.num and g.den == f.den for g in path) for path in chain[1:]):
            out.append((ctx.printer.partial(num, den), f.value.xreplace(scope.canon)))
    return out


def structure(ctx: Context, pid: str, ratio: sp.Expr) -> str:
    """Each factor the claim misses or has in excess (the ratio's denominator and numerator),
    grouped into the chain-rule factors they make up; a constant such as a gain is blamed on
    the local factor it belongs to."""
    try:
        num, den = sp.fraction(sp.factor(ratio))
    except (sp.PolynomialError, TypeError, ValueError):  # pragma: no cover - SymPy's limits
        return ""
    missing, extra = _factors(den), _factors(num)
    local = _local_factors(ctx, pid) if pid else []
    owners = {
        name
        for pool in (missing, extra)
        for base in pool
        for name, value in local
        if base in _factors(value)
    }
    unowned = [
        b for pool in (missing, extra) for b in pool if not any(b in _factors(v) for _, v in local)
    ]
    if len(owners) == 1 and not unowned and missing and extra:
        return ""  # one local factor differs: the factor line says which, and what it is
    lines = []
    for label, pool in (("missing", missing), ("extra", extra)):
        named: list[str] = []
        for name, value in local:
            whole = _factors(value)
            if whole and all(pool[b] >= e for b, e in whole.items()):
                pool.subtract(whole)
                named.append(f"{ctx.show(oriented(value))} (the factor {name})")
        for base, exp in pool.items():
            if exp <= 0:
                continue
            shown = ctx.show(base if exp == 1 else sp.Pow(base, exp, evaluate=False))
            if len(shown) > MAX_RATIO:
                terms = len(sp.Add.make_args(sp.expand(base)))
                shown = f"a sum of {terms} terms (the sums differ term by term)"
            owner = [
                f"{name} = {ctx.show(oriented(value))}"
                for name, value in local
                if base in _factors(value) and len(_factors(value)) > 1
            ]
            named.append(shown + (f" (of {owner[0]})" if owner else ""))
        if named:
            lines.append(f"{label}: {' and '.join(named)}")
    coeff = _orient(sp.factor(ratio))[0]
    if lines and coeff < 0:
        lines.insert(0, "the sign is wrong")
    if lines and abs(coeff) != 1:
        lines.insert(0, f"a constant factor {ctx.show(abs(coeff))}")
    return "; ".join(lines)


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
