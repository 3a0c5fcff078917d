"""Diagnoses: the correct form, the ratio claim/true, and the chain-rule factor that differs.

A ratio is printed in the source's orientation (1 - a, not -1 + a); one longer than
MAX_RATIO characters gives way to the structural diagnosis: each factor of the truth the
claim is missing, and each it has in excess, named by the chain-rule factor it belongs to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

import sympy as sp

from symbackprop.model.activations import ACTIVATIONS, Sigmoid
from symbackprop.verify.claim import Context, Outcome, truth_display
from symbackprop.verify.numeric import factored, natural_pair, powers, ratio_of
from symbackprop.verify.reader import Frac, Node, Partial, walk
from symbackprop.verify.resolver import Resolver
from symbackprop.verify.scope import ResolveError
from symbackprop.verify.sums import term_by_term

MAX_RATIO = 120
MAX_TERMS_OFF = 3  # a definition's sum with more terms off is diagnosed by its ratio


def diagnose(
    ctx: Context, out: Outcome, kind: str, pid: str, lhs: sp.Expr, rhs: sp.Expr
) -> Outcome:
    scope = ctx.scope
    if kind == "equation":
        return _equation(ctx, out, lhs, rhs)
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
    sums = lhs.has(sp.Sum) or rhs.has(sp.Sum)
    natural = natural_pair(ctx, rhs, lhs) if not sums else None
    ratio = ratio_of(rhs, lhs, ctx, natural) if not sums else None
    factor = (
        factor_text(ctx, kind, pid, ratio) if ratio is not None and sp.count_ops(ratio) < 40 else ""
    )
    parts = structure(ctx, pid, ratio, natural) if ratio is not None and not ratio.is_number else ""
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


def _equation(ctx: Context, out: Outcome, lhs: sp.Expr, rhs: sp.Expr) -> Outcome:
    """An equation's diagnosis: its left-hand side's value, the ratio, and what differs."""
    scope = ctx.scope
    true = scope.definitions.get(lhs, lhs)
    natural = natural_pair(ctx, rhs, true)
    ratio = ratio_of(rhs, true, ctx, natural)
    factor = ""
    terms = _terms_of_definition(ctx, lhs, true, rhs) if ratio is not None else ""
    if ratio is not None and ratio.is_number:
        factor = factor_text(ctx, "equation", "", ratio)
    elif ratio is not None:
        factor = terms or structure(ctx, "", ratio, natural)
    shown = ratio is not None and not (terms and factor == terms)  # a ratio over a folded sum
    return replace(
        out,
        correct=ctx.show(scope.net.displays.get(lhs, lhs)),
        ratio=short(ctx.show(oriented(ratio))) if shown else "",
        factor="; ".join(x for x in (slope_at_activation(ctx, rhs), factor) if x),
    )


def _terms_of_definition(ctx: Context, lhs: sp.Expr, true: sp.Expr, claim: sp.Expr) -> str:
    """A sum that defines the left side (a net input) written with a few of its terms left out
    or added: those terms ('' when the left side is no such sum or most terms differ)."""
    if lhs not in ctx.scope.definitions or not isinstance(true, sp.Add):
        return ""
    terms = sp.Add.make_args(sp.expand(claim - true))
    if len(terms) > MAX_TERMS_OFF or len(terms) >= len(true.args):
        return ""
    missing = [-t for t in terms if t.could_extract_minus_sign()]
    extra = [t for t in terms if not t.could_extract_minus_sign()]
    parts = [
        f"{label}: {' and '.join(ctx.show(t) for t in found)} (a term of the sum)"
        for label, found in (("missing", missing), ("extra", extra))
        if found
    ]
    return "; ".join(parts)


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
    for f in sp.Mul.make_args(factored(expr)):
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


def structure(
    ctx: Context, pid: str, ratio: sp.Expr, natural: tuple[sp.Expr, sp.Expr] | None = None
) -> str:
    """Each factor the claim misses or has in excess (the ratio's denominator and numerator),
    grouped into the chain-rule factors they make up; a constant such as a gain is blamed on
    the local factor it belongs to."""
    try:
        num, den = sp.fraction(factored(ratio))
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
    summed, sign = _sums(ctx, natural, missing, extra) if natural else ("", 1)
    lines = [summed]
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
    lines = [x for x in lines if x]
    coeff = _orient(factored(ratio))[0]
    if summed:
        coeff = abs(coeff) * sign
    if lines and coeff < 0:
        lines.insert(0, "the sign is wrong")
    if lines and abs(coeff) != 1:
        lines.insert(0, f"a constant factor {ctx.show(abs(coeff))}")
    return "; ".join(lines)


def _sums(
    ctx: Context,
    natural: tuple[sp.Expr, sp.Expr],
    missing: Counter[sp.Expr],
    extra: Counter[sp.Expr],
) -> tuple[str, int]:
    """A sum of the truth that the claim writes differently, compared term by term in the forms
    both are written in (``natural``: claim and truth without their shared factors); the pools
    lose the sums this explains. Returns the text and the sign of claim/true it implies."""
    (cn, num), (cd, den) = powers(natural[0]), powers(natural[1])
    sums = _long_sums(den)
    other = _long_sums(num)
    if len(sums) != 1 or len(other) > 1:
        return "", 1
    true = sums[0]
    whole = natural[0] / cn  # the claim as one term (a sum forgotten), else its sum term by term
    text, sign = term_by_term(ctx, whole, true, _flip) if not isinstance(whole, sp.Add) else ("", 1)
    if text:
        other = []
    elif other:
        text, sign = term_by_term(ctx, other[0], true, _flip)
    if not text:
        return "", 1
    rest = [(b, e) for b, e in (*num.items(), *den.items()) if b != true and b not in other]
    if not other:
        rest = [(b, e) for b, e in den.items() if b != true]
        extra.clear()
    for pool in (missing, extra):
        for b in _long_sums(pool):
            del pool[b]
    flips = sum(e for b, e in rest if _flip(b))
    return text, sign * (-1 if (cn / cd) < 0 else 1) * (-1) ** flips


def _long_sums(pool: Mapping[sp.Expr, int]) -> list[sp.Expr]:
    """The sums of a pool over three or more quantities (not a local factor such as 1 - a)."""
    return [
        b
        for b, e in pool.items()
        if e == 1 and isinstance(b, sp.Add) and len(b.free_symbols | b.atoms(sp.Indexed)) >= 3
    ]


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
    quantities = ratio.free_symbols
    best: tuple[bool, int, str] | None = None
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
            f"the factor {printer.partial(num, den)} is {ctx.show(oriented(claimed))} in the "
            f"claim where {ctx.show(value)} belongs"
        )
        # a constant such as a gain is blamed on the factor it belongs to (the one it is in)
        key = (not quantities <= value.free_symbols, cost, text)
        if best is None or key[:2] < best[:2]:
            best = key
    return best[2] if best else ""
