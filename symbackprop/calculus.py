"""Statements of calculus inside a derivation: equations about free variables, not the network.

A source recalls rules as it goes: ``\\frac{d(a - x)}{dx} = -1``, ``[f(g(x))]' = f'(g(x)) g'(x)``,
``\\sigma(x) = \\frac{1}{1+e^{-x}}``. When a step names something the notation does not know
and mentions no network quantity, it is read as such a statement (:meth:`Resolver.free_reading`):
unknown names are real variables, f, g, h applied to arguments are undefined functions, a name
the statement differentiates (∂y/∂u, ∂u/∂x) is an undefined function of what it is
differentiated by (y = y(u(x))), and a bare name on the left of the first step is a definition.

Verdicts: "holds" when the difference is zero symbolically; "does not hold" with a counterexample
(numbers for the variables, polynomials for f and g); "undecided" when the statement is about a
name it never defines (it holds only for some y(x)), or when only numbers agree.
"""

from __future__ import annotations

import random
from dataclasses import replace

import sympy as sp
from sympy.core.function import AppliedUndef

from .activations import to_elementary
from .meaning import Resolver, UnknownName, dependencies, free_variables_of, name_key
from .reader import Sym
from .verify import DPS, POINTS, Claim, Context, Outcome, Step, _is_zero, _ratio

Expr = sp.Expr


def calculus(
    ctx: Context, res: Resolver, claim: Claim, step: Step, binding: str, original: UnknownName, defined: dict[str, Expr]
) -> Outcome:
    """The verdict on a step read as a statement of calculus; ``original`` is raised if it is not one."""
    if step.lhs is None:
        raise original
    reading = res.free_reading()
    lhs, rhs = reading.expr(step.lhs), reading.expr(step.rhs)
    assert reading.record is not None
    if reading.record.network:
        raise original
    if reading.record.pairs:
        reading = res.free_reading(dependencies(reading.record.pairs))
        lhs, rhs = reading.expr(step.lhs), reading.expr(step.rhs)
    base = Outcome(claim.source, claim.latex, "calculus", "", binding, "undecided")
    key = _definition(reading, step, lhs, rhs)
    if key is not None:
        defined[key] = rhs
        return replace(base, kind="definition", verdict="holds", remark=f"defines {ctx.show(lhs)}")
    return compare(ctx, base, lhs, rhs, {f.func for f in reading.functions.values()})


def _definition(reading: Resolver, step: Step, lhs: Expr, rhs: Expr) -> str | None:
    """The key of a free name the step defines (``y = u^2``), or None."""
    node = step.lhs
    if not isinstance(node, Sym) or node.primes or node.sup is not None or node.kind not in ("letter", "greek", "accent"):
        return None
    if not isinstance(lhs, (sp.Symbol, sp.Indexed)) or rhs.has(lhs):
        return None
    return name_key(node.head, node.sub, None, reading.env)


def compare(ctx: Context, base: Outcome, lhs: Expr, rhs: Expr, dependent: set[object]) -> Outcome:
    """lhs = rhs for every value of the variables and every function f, g."""
    diff = lhs - rhs
    if _is_zero(diff) or _is_zero(diff.doit()):
        return replace(base, verdict="holds")
    undefined = {f.func for f in diff.atoms(AppliedUndef)}
    counter = counterexample(ctx, lhs, rhs)
    depends = sorted(str(f) for f in undefined & dependent)
    if depends:
        remark = f"an identity only for some {', '.join(depends)}: the statement does not define them"
        return replace(base, verdict="undecided", remark=remark + (f"; it fails {counter}" if counter else ""))
    if counter:
        true = to_elementary(lhs.doit())
        ratio = _ratio(to_elementary(rhs), true) if not undefined else None
        simple = ratio is not None and sp.count_ops(ratio) <= 12
        return replace(
            base,
            verdict="does not hold",
            correct=ctx.show(true),
            ratio=ctx.show(ratio) if simple else "",
            counterexample=counter,
        )
    return replace(base, remark=f"zero at {POINTS} random points ({DPS} digits), but not proved symbolically")


def samples(expr: Expr) -> dict[object, sp.Lambda]:
    """A polynomial for each undefined function of ``expr`` (a different one each)."""
    out: dict[object, sp.Lambda] = {}
    for k, f in enumerate(sorted(expr.atoms(AppliedUndef), key=lambda a: str(a.func))):
        if f.func in out:
            continue
        ts = sp.symbols(f"t1:{len(f.args) + 1}")
        body = sum(((k + i + 2) * t ** (3 - i % 2) for i, t in enumerate(ts)), sp.Integer(k + 1))
        out[f.func] = sp.Lambda(ts, body - (k + 3) * ts[0])
    return out


def counterexample(ctx: Context, lhs: Expr, rhs: Expr) -> str:
    """Polynomials for the functions and random rationals for the variables where the sides differ."""
    table = samples(lhs - rhs)
    left, right = (e.subs(table).doit() for e in (lhs, rhs))
    scope = ctx.scope
    variables = sorted(free_variables_of(left - right, scope), key=str)
    gain = scope.net.gain
    for seed in range(POINTS):
        rng = random.Random(seed)
        point = {v: sp.Rational(rng.randint(-900, 900), rng.randint(300, 700)) for v in variables}
        if gain is not None and (left - right).has(gain):
            point[gain] = sp.Rational(rng.randint(5, 20), 10)
        try:
            claimed, true = sp.N(right.xreplace(point), DPS), sp.N(left.xreplace(point), DPS)
        except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - SymPy's limits
            return ""
        if not (claimed.is_number and true.is_number) or claimed.has(sp.zoo, sp.nan) or true.has(sp.zoo, sp.nan):
            return ""
        if abs(claimed - true) > sp.Float(10) ** (-DPS + 10) * (1 + abs(true)):
            funcs = ", ".join(f"{f}({', '.join(map(str, lam.variables))}) = {lam.expr}" for f, lam in table.items())
            at = ", ".join(f"{ctx.show(v)} = {point[v]}" for v in point if v in variables or v == gain)
            where = ", ".join(w for w in (f"for {funcs}" if funcs else "", f"at {at}" if at else "") if w)
            return f"{where + ': ' if where else ''}claim {sp.N(claimed, 12)}, true {sp.N(true, 12)}"
    return ""
