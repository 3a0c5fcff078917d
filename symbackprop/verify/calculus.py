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

from symbackprop.backprop.forms import ERROR
from symbackprop.model.activations import to_elementary
from symbackprop.printing.latex import NotationPrinter
from symbackprop.verify.claim import Claim, Context, Outcome, Step, Verdict, lhs_meaning
from symbackprop.verify.keys import name_key
from symbackprop.verify.numeric import DPS, POINTS, differs, is_zero, ratio_of, sample
from symbackprop.verify.reader import Add, Frac, Group, Node, Partial, Prod, Sym
from symbackprop.verify.resolver import FreeRecord, Resolver
from symbackprop.verify.scope import ResolveError, UnknownName
from symbackprop.verify.values import (
    as_partial,
    dependencies,
    free_variables_of,
    is_dots,
    is_vector,
    shape_of,
)


class FreePrinter(NotationPrinter):
    """The notation's printer, with free indexed variables written w_{k} (not as per-case
    quantities)."""

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        if str(expr.base.label) in self.names:
            return super()._print_Indexed(expr)
        return f"{self._print(expr.base.label)}_{{{self._print(expr.indices[0])}}}"


def show(ctx: Context, expr: sp.Expr) -> str:
    return FreePrinter(ctx.scope.names, ctx.scope.notation).doprint(expr)


def calculus(
    ctx: Context,
    res: Resolver,
    claim: Claim,
    step: Step,
    binding: str,
    original: UnknownName,
    defined: dict[str, sp.Expr],
) -> Outcome:
    """The verdict on a step read as a statement of calculus; ``original`` is raised if it is not
    one."""
    if step.lhs is None:
        raise original
    reading = res.free_reading()
    assert reading.record is not None
    try:
        lhs, rhs = reading.expr(step.lhs), reading.expr(step.rhs)
    except ResolveError:
        if reading.record.network:  # a step about the network: its unknown name is the error
            raise original from None
        raise
    if reading.record.network:
        raise original
    if len(set(reading.record.heads)) > 1:  # g'(z) = a(1 - a): two network quantities, no unit
        shown = " and ".join(sorted(set(reading.record.heads)))
        raise ResolveError(f"{shown} name network quantities without their unit; write its index")
    if reading.record.pairs:
        reading = res.free_reading(dependencies(reading.record.pairs))
        lhs, rhs = reading.expr(step.lhs), reading.expr(step.rhs)
    base = Outcome(claim.source, claim.latex, "calculus", "", binding, Verdict.UNDECIDED)
    key = _definition(reading, step, lhs, rhs)
    if key is not None and not _mentions_vector(reading, step.rhs):
        defined[key] = rhs
        return replace(
            base, kind="definition", verdict=Verdict.HOLDS, remark=f"defines {show(ctx, lhs)}"
        )
    assert reading.record is not None  # a free reading keeps a record
    if reading.record.vectors:
        raise ResolveError(
            f"{reading.record.vectors[0]} is a vector this statement does not define"
        )
    return compare(ctx, base, lhs, rhs, {f.func for f in reading.functions.values()})


def _definition(reading: Resolver, step: Step, lhs: sp.Expr, rhs: sp.Expr) -> str | None:
    """The key of a free name the step defines (``y = u^2``), or None."""
    node = step.lhs
    if (
        not isinstance(node, Sym)
        or node.primes
        or node.sup is not None
        or node.kind not in ("letter", "greek", "accent")
    ):
        return None
    if not isinstance(lhs, (sp.Symbol, sp.Indexed)) or rhs.has(lhs):
        return None
    return name_key(node.head, node.sub, None, reading.env)


def _mentions_vector(reading: Resolver, node: Node) -> bool:
    """Whether the right-hand side uses an undefined vector (the left one, if any, is being
    defined)."""
    probe = replace(reading, record=FreeRecord())
    probe.expr(node)
    assert probe.record is not None
    return bool(probe.record.vectors)


def compare(
    ctx: Context, base: Outcome, lhs: sp.Expr, rhs: sp.Expr, dependent: set[object]
) -> Outcome:
    """lhs = rhs for every value of the variables and every function f, g (vectors
    component-wise)."""
    if is_vector(lhs) or is_vector(rhs):
        return compare_vectors(ctx, base, lhs, rhs, dependent)
    diff = lhs - rhs
    if is_zero(diff) or is_zero(diff.doit()):
        return replace(base, verdict=Verdict.HOLDS)
    undefined = {f.func for f in diff.atoms(AppliedUndef)}
    counter = counterexample(ctx, lhs, rhs)
    depends = sorted(str(f) for f in undefined & dependent)
    if depends:
        remark = (
            f"an identity only for some {', '.join(depends)}: the statement does not define them"
        )
        return replace(
            base,
            verdict=Verdict.UNDECIDED,
            remark=remark + (f"; it fails {counter}" if counter else ""),
        )
    if counter:
        true = to_elementary(lhs.doit())
        ratio = ratio_of(to_elementary(rhs), true) if not undefined else None
        simple = ratio is not None and sp.count_ops(ratio) <= 12
        return replace(
            base,
            verdict=Verdict.FAILS,
            correct=show(ctx, true),
            ratio=show(ctx, ratio) if simple else "",
            counterexample=counter,
        )
    if evaluated(ctx, lhs, rhs):
        return replace(
            base,
            remark=f"zero at {POINTS} random points ({DPS} digits), but not proved symbolically",
        )
    return replace(base, remark="not proved symbolically, and not evaluated at numbers")


def compare_vectors(
    ctx: Context, base: Outcome, lhs: sp.Expr, rhs: sp.Expr, dependent: set[object]
) -> Outcome:
    """Two vectors: the same length, and equal component by component (for a length n, the general
    component with its index symbolic: an exact argument for every n)."""
    if not (is_vector(lhs) and is_vector(rhs)):
        return replace(
            base, verdict=Verdict.FAILS, remark="a vector on one side, a number on the other"
        )
    if isinstance(lhs, sp.Tuple) and isinstance(rhs, sp.Tuple):
        if len(lhs) != len(rhs):
            return replace(
                base,
                verdict=Verdict.FAILS,
                remark=f"{len(lhs)} components on the left, {len(rhs)} on the right",
            )
        pairs = list(zip(lhs, rhs))
    elif isinstance(lhs, sp.SeqFormula) and isinstance(rhs, sp.SeqFormula):
        if (lhs.start, lhs.stop) != (rhs.start, rhs.stop):
            return replace(base, verdict=Verdict.FAILS, remark="the vectors' lengths differ")
        k = lhs.variables[0]
        pairs = [(lhs.formula, rhs.formula.xreplace({rhs.variables[0]: k}))]
    else:
        return replace(
            base,
            verdict=Verdict.UNDECIDED,
            remark="a vector of fixed length against one of symbolic length",
        )
    results = [compare(ctx, base, l, r, dependent) for l, r in pairs]
    worst = min(range(len(results)), key=lambda i: Verdict(results[i].verdict).rank)
    out = results[worst]
    if out.verdict != Verdict.HOLDS and len(results) > 1:
        return replace(
            out, remark="; ".join(p for p in (f"component {worst + 1}", out.remark) if p)
        )
    return out


def evaluated(ctx: Context, lhs: sp.Expr, rhs: sp.Expr) -> bool:
    """Whether the two sides evaluate to numbers at a random point (so that a zero difference means
    something)."""
    point = _point(ctx, sp.Tuple(lhs, rhs), random.Random(0))
    try:
        return bool(sp.N((lhs - rhs).doit().xreplace(point), 15).is_number)
    except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - SymPy's limits
        return False


def _point(ctx: Context, expr: sp.Expr, rng: random.Random) -> dict[sp.Expr, sp.Expr]:
    """Random values for the variables (whole numbers for the counts of sums) and the gain."""
    scope = ctx.scope
    counts = {s for f in expr.atoms(sp.Sum) for lim in f.limits for s in lim[2].free_symbols}
    variables = sorted(free_variables_of(expr, scope) | counts, key=str)
    gain = scope.net.gain
    gains = [gain] if gain is not None and expr.has(gain) else []
    return sample([*variables, *gains], rng, counts, gains)


def samples(expr: sp.Expr) -> dict[object, sp.Lambda]:
    """A polynomial for each undefined function of ``expr`` (a different one each)."""
    out: dict[object, sp.Lambda] = {}
    for k, f in enumerate(sorted(expr.atoms(AppliedUndef), key=lambda a: str(a.func))):
        if f.func in out:
            continue
        ts = sp.symbols(f"t1:{len(f.args) + 1}")
        body = sum(((k + i + 2) * t ** (3 - i % 2) for i, t in enumerate(ts)), sp.Integer(k + 1))
        out[f.func] = sp.Lambda(ts, body - (k + 3) * ts[0])
    return out


def counterexample(ctx: Context, lhs: sp.Expr, rhs: sp.Expr) -> str:
    """Polynomials for the functions and random rationals for the variables where the sides
    differ."""
    table = samples(lhs - rhs)
    left, right = (e.subs(table).doit() for e in (lhs, rhs))
    for seed in range(POINTS):
        point = _point(ctx, sp.Tuple(left, right), random.Random(seed))
        try:
            claimed, true = (sp.N(e.xreplace(point).doit(), DPS) for e in (right, left))
        except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - SymPy's limits
            return ""
        if (
            not (claimed.is_number and true.is_number)
            or claimed.has(sp.zoo, sp.nan)
            or true.has(sp.zoo, sp.nan)
        ):
            return ""
        if differs(claimed, true):
            funcs = ", ".join(
                f"{f}({', '.join(map(str, lam.variables))}) = {lam.expr}"
                for f, lam in table.items()
            )
            at = ", ".join(f"{show(ctx, v)} = {value}" for v, value in point.items())
            where = ", ".join(
                w for w in (f"for {funcs}" if funcs else "", f"at {at}" if at else "") if w
            )
            return (
                f"{where + ': ' if where else ''}claim {sp.N(claimed, 12)}, true {sp.N(true, 12)}"
            )
    return ""


# -- the gradient vector ∇E ---------------------------------------------------------------


def _unsigned(node: Node | None) -> tuple[bool, Node | None]:
    """(negated, node) for ``-X``."""
    if isinstance(node, Add) and len(node.terms) == 1 and node.terms[0][0] == "-":
        return True, node.terms[0][1]
    return False, node


def nabla_parts(node: Node | None) -> tuple[bool, Node, Group | None] | None:
    """``\\nabla F`` or ``\\nabla F(a_1, ..., a_N)`` (optionally negated): (negated, F,
    arguments)."""
    negated, inner = _unsigned(node)
    if (
        not isinstance(inner, Prod)
        or not 2 <= len(inner.items) <= 3
        or any(op for op, _ in inner.items)
    ):
        return None
    head = inner.items[0][1]
    if not (isinstance(head, Sym) and head.head == "\\nabla" and not head.scripted):
        return None
    args = inner.items[2][1] if len(inner.items) == 3 else None
    if args is not None and not (isinstance(args, Group) and args.kind == "tuple"):
        return None
    return negated, inner.items[1][1], args


def gradient_vector(ctx: Context, res: Resolver, claim: Claim, step: Step, binding: str) -> Outcome:
    """``\\nabla F(a_1, ..., a_N) = (∂F/∂a_1, ..., ∂F/∂a_N)`` checked as the definition it is
    (component k is ∂F/∂ of argument k, elisions in the same places), and
    ``\\nabla E = [∂E/∂w_1, ...]`` without an argument list against the network: every component
    a distinct ∂E/∂p, the \\dots standing for the rest."""
    parts = nabla_parts(step.lhs)
    assert parts is not None
    negated, function, args = parts
    flipped, rhs = _unsigned(step.rhs)
    base = Outcome(claim.source, claim.latex, "gradient vector", "", binding, Verdict.UNDECIDED)
    if not (isinstance(rhs, Group) and rhs.kind == "tuple"):
        raise ResolveError(
            "the gradient \\nabla must equal a vector of partial derivatives (a, b, ...)"
        )
    if negated != flipped:
        return replace(base, verdict=Verdict.FAILS, remark="the sign differs between the two sides")
    items = list(rhs.items)
    if args is not None:
        return _by_definition(base, function, list(args.items), items)
    if res.expr(function) != ERROR:
        raise ResolveError("\\nabla without an argument list is read only for the error E")
    return _over_parameters(ctx, res, base, items)


def _by_definition(base: Outcome, function: Node, args: list[Node], items: list[Node]) -> Outcome:
    if len(args) != len(items):
        return replace(
            base, verdict=Verdict.FAILS, remark=f"{len(args)} arguments but {len(items)} components"
        )
    for k, (arg, item) in enumerate(zip(args, items), start=1):
        if is_dots(arg) and is_dots(item):
            continue
        want = Frac(Partial(function), Partial(arg))
        if is_dots(arg) or is_dots(item) or shape_of(as_partial_frac(item)) != shape_of(want):
            return replace(
                base,
                verdict=Verdict.FAILS,
                remark=f"component {k} is not the partial derivative by argument {k}",
            )
    return replace(
        base,
        verdict=Verdict.HOLDS,
        remark=(
            "the definition of the gradient: component k is the partial derivative by argument k"
        ),
    )


def as_partial_frac(node: Node) -> Node:
    if isinstance(node, Frac):
        return Frac(as_partial(node.num), as_partial(node.den))
    return node


def _over_parameters(ctx: Context, res: Resolver, base: Outcome, items: list[Node]) -> Outcome:
    scope = ctx.scope
    seen: list[str] = []
    for k, item in enumerate(items, start=1):
        if is_dots(item):
            continue
        meaning = lhs_meaning(item, res)
        if meaning is None or meaning.kind != "gradient":
            return replace(
                base,
                verdict=Verdict.FAILS,
                remark=f"component {k} is not a partial derivative ∂E/∂p",
            )
        if meaning.pid in seen:
            return replace(
                base,
                verdict=Verdict.FAILS,
                remark=f"component {k} repeats ∂E/∂{scope.names[meaning.pid]}",
            )
        seen.append(meaning.pid)
    rest = [p.id for p in scope.net.params if p.id not in seen]
    elided = any(is_dots(i) for i in items)
    if rest and not elided:
        missing = ", ".join(scope.names[p] for p in rest)
        return replace(base, verdict=Verdict.FAILS, remark=f"no component for {missing}")
    if elided and not rest:
        return replace(
            base,
            verdict=Verdict.FAILS,
            remark="\\dots stands for nothing: every parameter is written",
        )
    shown = ", ".join(scope.names[p] for p in rest)
    return replace(
        base,
        verdict=Verdict.HOLDS,
        remark=f"one component per parameter; \\dots stands for {shown}" if rest else "",
    )
