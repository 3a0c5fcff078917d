"""Judge a claim in vector or matrix form (:mod:`symbackprop.verify.expand` reads it): both sides
expanded to entries under the notation's orientation, each entry checked as a scalar claim,
for every layer where the claim's names exist when the layer index is free."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import sympy as sp

from symbackprop.errors import SymbackpropError
from symbackprop.verify.cases import whole_error_names
from symbackprop.verify.claim import ASSIGNMENTS, Claim, Context, Outcome, Step, Verdict
from symbackprop.verify.expand import Reading
from symbackprop.verify.forwardlayers import Judged, by_activation, states_activation
from symbackprop.verify.layers import layer_letter
from symbackprop.verify.matrix import (
    OutOfRange,
    free_layers,
    is_example_claim,
    is_matrix_claim,
    memo,
    merged,
    table,
)
from symbackprop.verify.numeric import (
    CASES,
    DPS,
    POINTS,
    at_seed,
    differs,
    evaluate_at,
    expands_to_zero,
    is_zero,
    network_counterexample,
    unroll,
)
from symbackprop.verify.polynomial import multiplies_out_to_zero
from symbackprop.verify.quantities import layout
from symbackprop.verify.reader import Node, Prod, Sym
from symbackprop.verify.resolver import resolver
from symbackprop.verify.scope import MAX_BINDINGS, ResolveError, Scope
from symbackprop.verify.shapes import Arr, ShapeMismatch, Val, entries, same_shape
from symbackprop.verify.upstream import unchained, upstream_entry

__all__ = ["is_matrix_claim", "verify_matrix"]

MAX_SHOWN = 400  # characters of LaTeX: longer entries are shown by their values only
MAX_DENOMINATOR = 1000  # a constant ratio claim/true is shown as a fraction up to this


def verify_matrix(
    ctx: Context, claim: Claim, steps: list[Step], strict: bool = True
) -> list[Outcome]:
    """One outcome per step and binding of the layer letters; bindings where a name has no
    layer of the network are skipped, and the remark says which."""
    if claim.kind not in (None, "equation", "new"):
        raise SymbackpropError(
            f"a claim in vector form compares its two sides (kind equation, or new for W := ...),"
            f" but --kind is {claim.kind}"
        )
    scope = ctx.scope
    try:
        steps = unchained(scope, steps)
    except ResolveError as exc:
        raise SymbackpropError(str(exc)) from None
    nodes: list[Node] = [s.rhs for s in steps] + [s.lhs for s in steps if s.lhs is not None]
    example = is_example_claim(scope, nodes)
    tab = table(scope, example)
    letters = free_layers(scope, nodes)
    fixed = {k: int(v) for k, v in claim.bind if v.isdigit()}
    last = tab.first + tab.depth
    names = {"L", scope.notation.option("last_layer") or "L"} - {layer_letter(scope)}
    base = {x: last for x in letters if x in names and x not in fixed}
    free = [x for x in letters if x not in fixed and x not in base]
    if len(tab.written_layers) ** len(free) > MAX_BINDINGS:
        raise SymbackpropError(
            f"{len(free)} free layer indices ({', '.join(free)}) make too many bindings; fix some"
            " with --bind"
        )
    judged: list[Judged] = []
    skipped: list[str] = []
    for values in itertools.product(tab.written_layers, repeat=len(free)):
        env = {**base, **fixed, **dict(zip(free, values))}
        shown = ", ".join(f"{k}={v}" for k, v in sorted(env.items()) if k in free or k in fixed)
        done = _judge_binding(ctx, claim, steps, env, shown, strict, example)
        if done is None:
            skipped.append(shown)
        else:
            judged.append(Judged(values[0] if len(free) == 1 else 0, shown, done))
    other = ""
    if len(free) == 1 and states_activation(scope, tab, steps, free[0]):
        judged, other = by_activation(scope, tab, judged)
    outcomes = [o for j in judged for o in j.outcomes]
    if other:
        outcomes = [replace(o, remark=_join(o.remark, other)) for o in outcomes]
    if not outcomes:
        raise SymbackpropError(
            f"the claim's names exist at no layer of this network (tried {', '.join(skipped)})"
        )
    if skipped:
        note = f"skipped {'; '.join(skipped)}: a name there is not a layer of this network"
        outcomes = [replace(o, remark=_join(o.remark, note)) for o in outcomes]
    return outcomes


def _judge_binding(
    ctx: Context,
    claim: Claim,
    steps: list[Step],
    env: dict[str, int],
    shown: str,
    strict: bool,
    example: bool,
) -> list[Outcome] | None:
    out = []
    for number, step in enumerate(steps, start=1):
        base = Outcome(
            claim.source, claim.latex, _kind(step), "", shown, Verdict.UNDECIDED, step=number
        )
        tab, lay = table(ctx.scope, example), layout(ctx.scope)
        whole = whole_error_names(ctx.scope, tuple(s for st in steps for s in (st.lhs, st.rhs)))
        res = resolver(ctx.scope, env, whole)
        reading = Reading(ctx.scope, res, tab, lay, dict(env), None, example)
        try:
            out.append(judge_step(ctx, reading, step, base))
        except OutOfRange:
            return None
        except ShapeMismatch as exc:
            out.append(replace(base, verdict=Verdict.FAILS, factor=str(exc)))
        except ResolveError as exc:
            if strict:
                raise SymbackpropError(str(exc)) from None
            out.append(replace(base, verdict=Verdict.UNREADABLE, remark=str(exc)))
    return out


def _kind(step: Step) -> str:
    return "new" if step.rel in ASSIGNMENTS else "equation"


def judge_step(ctx: Context, reading: Reading, step: Step, base: Outcome) -> Outcome:
    if step.lhs is None:
        raise ResolveError("a claim in vector form needs its left-hand side (δ^L = ..., dW = ...)")
    reading.check(step.lhs)
    reading.check(step.rhs)
    reading.upstream = upstream_entry(reading.tab, reading.env, step.lhs)
    rhs = reading.value(step.rhs)
    true = _new_value(reading, step.lhs) if step.rel in ASSIGNMENTS else reading.value(step.lhs)
    if not same_shape(true, rhs):
        raise ShapeMismatch(
            f"shape mismatch: the left side {_shape(true)}, the right side {_shape(rhs)}"
        )
    net = ctx.scope.net
    fixed: dict[sp.Expr, sp.Expr] = {}
    if ctx.learning_rate is not None:
        fixed[net.lr] = ctx.learning_rate
    if net.n_cases is not None:  # the notation's count of cases: the batch's size
        fixed[net.n_cases] = sp.Integer(CASES)
    true, rhs = (_each(v, lambda x: x.xreplace(fixed)) for v in (true, rhs))
    pairs = list(zip(entries(true), entries(rhs)))
    note = _batch_note(ctx, reading.example)
    if all(_same(t, c) for (_, t), (_, c) in pairs):  # the same expressions: a proof, no numbers
        return replace(base, verdict=Verdict.HOLDS, remark=note)
    examples = _examples(ctx, reading.example)
    differing = _first_difference(
        ctx, [t for (_, t), _ in pairs], [c for _, (_, c) in pairs], examples
    )
    if differing is not None and differing >= 0:
        example, k = divmod(differing, len(pairs))
        (at, t), (_, c) = pairs[k]
        t, c = _at_cases(ctx, [t, c], [examples[example]])
        shown_t, shown_c = ctx.show(t), ctx.show(c)
        long = len(shown_t) + len(shown_c) > MAX_SHOWN  # the numbers say it; the forms would not
        which = f"entry {at}" + (f" of example {examples[example]}" if examples[example] else "")
        return replace(
            base,
            verdict=Verdict.FAILS,
            ratio=_ratio(ctx, t, c),
            correct="" if long else shown_t,
            factor=f"{which} differs" + ("" if long else f": claim {shown_c}"),
            counterexample=network_counterexample(ctx, t, c) or "",
            remark=note,
        )
    evaluated = differing is not None
    if all(_proved(ctx.scope, t, c) for (_, t), (_, c) in pairs):
        return replace(base, verdict=Verdict.HOLDS, remark=note)
    why = (
        f"every entry zero at {POINTS} random points ({DPS} digits), but not proved symbolically"
        if evaluated
        else "not proved symbolically, and not evaluated at numbers"
    )
    return replace(base, verdict=Verdict.UNDECIDED, remark=_join(why, note))


def _examples(ctx: Context, example: bool) -> list[int | None]:
    """The examples a claim for one example is judged at: each of the batch's (None: the
    entries are the batch's, or the spec has one case)."""
    if example and ctx.scope.net.case is not None:
        return list(range(1, CASES + 1))
    return [None]


def _at_cases(ctx: Context, values: list[sp.Expr], examples: list[int | None]) -> list[sp.Expr]:
    """Every value at each example in turn (the case letter i set to it)."""
    case = ctx.scope.net.case
    return [
        v if c is None or case is None else v.xreplace({case: sp.Integer(c)})
        for c in examples
        for v in values
    ]


def _first_difference(
    ctx: Context, true: list[sp.Expr], claim: list[sp.Expr], examples: list[int | None]
) -> int | None:
    """The first entry where claim and truth differ at one of the random points (all entries
    evaluated together, sharing the network's intermediates), counted over the examples in
    turn (example e's entry k is e * len(true) + k); -1 when none does, None when the entries
    could not be evaluated."""
    both = sp.ImmutableMatrix([*true, *claim])
    n = len(true)
    for seed in range(POINTS):
        point, memo = at_seed(ctx, seed)
        for e, example in enumerate(examples):
            at = _example_point(ctx, point, example)
            try:  # the shared values hold the symbolic case's at no example: none for one
                values = evaluate_at(ctx, both, at, DPS + 10, memo if example is None else None)
            except KeyError:  # a quantity with no value: leave it to the symbolic check
                return None
            for k in range(n):
                if not (values[n + k] - values[k]).is_number:
                    return None
                if differs(values[n + k], values[k]):
                    return e * n + k
    return -1


def _example_point(
    ctx: Context, point: dict[Any, sp.Expr], example: int | None
) -> dict[Any, sp.Expr]:
    """The point with the symbolic case's data those of the example (x_1[i] = x_1[2]), so that
    one example's entries are evaluated without writing the example into them."""
    case = ctx.scope.net.case
    if example is None or case is None:
        return point
    at = sp.Integer(example)
    mine = {
        k.base[case]: v
        for k, v in point.items()
        if isinstance(k, sp.Indexed) and k.indices[0] == at
    }
    return {**point, **mine}


def _new_value(reading: Reading, lhs: Node) -> Val:
    """``W := ...``: the parameter's new value W - η ∂E/∂W."""
    sym = lhs if isinstance(lhs, Sym) else None
    if isinstance(lhs, Prod) and isinstance(lhs.items[0][1], Sym):
        sym, j = merged(lhs.items, 0)
        sym = sym if j == len(lhs.items) else None
    return reading.new_value(sym)


def _ratio(ctx: Context, true: sp.Expr, claim: sp.Expr) -> str:
    """claim/true of the differing entry when it is a constant (-1: the sign; 2: a factor, such
    as the batch size): the same number at two random points, written as a small fraction."""
    values = []
    for seed in (POINTS, POINTS + 1):  # points of their own: the counterexample's may be 0
        try:
            point, memo = at_seed(ctx, seed, digits=DPS)
            t, c = evaluate_at(ctx, sp.ImmutableMatrix([true, claim]), point, DPS, memo)
        except KeyError:
            return ""
        if not (t.is_number and c.is_number) or t == 0:
            return ""
        values.append(c / t)
    if differs(values[0], values[1]):
        return ""
    ratio = sp.nsimplify(values[0], rational=True, tolerance=sp.Float(10) ** (-DPS + 10))
    if not isinstance(ratio, sp.Rational) or abs(ratio.q) > MAX_DENOMINATOR:
        return ""
    shown = ctx.show(ratio)
    if ctx.scope.net.case is not None and ratio in (CASES, sp.Rational(1, CASES)):
        count = ctx.scope.notation.get("cases") or "n"
        shown += f" (the batch size {count} = {CASES})"
    return shown


def _same(true: sp.Expr, claim: sp.Expr) -> bool:
    """A cheap proof: the difference is zero once multiplied out."""
    return multiplies_out_to_zero(claim - true)


def _proved(scope: Scope, true: sp.Expr, claim: sp.Expr) -> bool:
    """A symbolic proof: in the intermediates, one or two definitions down (z = W a + b), or
    in closed form. The cheap proof (multiplying out) is tried at every level before the
    costly ones (exponentials over a common denominator)."""
    diffs = [claim - true]
    net = scope.net
    batch = {net.n_cases: sp.Integer(CASES)} if net.n_cases is not None else {}
    for levels in (1, 2):  # a = σ(W a' + b) is two definitions down from a
        claim_n, true_n = closed(scope, claim, levels), closed(scope, true, levels)
        diffs += [claim - true_n, claim_n - true, claim_n - true_n]
        summand = merged_sums((claim_n - true_n).xreplace(batch), net.case)
        if summand is not None:  # sums over the cases: their summands, for one case
            diffs += [summand, closed(scope, summand, 1), closed(scope, summand, 2)]
    written = [unroll(d.xreplace(batch)) for d in diffs if d.has(sp.Sum)]  # the batch's cases
    if any(expands_to_zero(d) for d in diffs + written):
        return True
    written = [closed(scope, d, levels) for d in written for levels in (1, 2)]
    if any(expands_to_zero(d) for d in written) or any(is_zero(d) for d in diffs):
        return True
    return is_zero(closed(scope, claim) - closed(scope, true))


def merged_sums(expr: sp.Expr, case: sp.Symbol | None) -> sp.Expr | None:
    """A combination of sums over one range of whole numbers and terms without a case,
    c_1 Σ_i f_1 + c_2 Σ_j f_2 + r (the error's sum over the cases, a claim's own, a penalty),
    as one summand, c_1 f_1 + c_2 f_2 + r / (number of cases), in the case symbol: when it is
    0, so is ``expr``. None when ``expr`` is not such a combination."""
    if case is None or case in expr.free_symbols:
        return None
    limits, parts, rest = None, [], []
    for term in sp.Add.make_args(expr):
        sums = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Sum)]
        if not sums:
            rest.append(term)
            continue
        if len(sums) != 1 or len(sums[0].limits) != 1:
            return None
        (var, lo, hi), coefficient = sums[0].limits[0], term / sums[0]
        if coefficient.has(sp.Sum) or (limits is not None and (lo, hi) != limits):
            return None
        limits = (lo, hi)
        parts.append(coefficient * sums[0].function.xreplace({var: case}))
    if limits is None or not (limits[0].is_Integer and limits[1].is_Integer):
        return None
    return sp.Add(*parts, *[r / (limits[1] - limits[0] + 1) for r in rest])


def closed(scope: Scope, expr: sp.Expr, levels: int | None = None) -> sp.Expr:
    """The closed form (or ``levels`` definitions down), also of the quantities of example c of
    a batch (a^{(1)}_1[2])."""
    defs = memo(scope, "definitions", lambda: _batch_definitions(scope))
    for _ in range(levels or 4 * scope.net.depth + 8):
        new = expr.xreplace(defs)
        if new == expr:
            break
        expr = new
    return expr


def _batch_definitions(scope: Scope) -> dict[sp.Expr, sp.Expr]:
    """The network's definitions, and those of each example of the batch."""
    defs = dict(scope.definitions)
    case = scope.net.case
    if case is not None:
        per_case = {k: v for k, v in scope.definitions.items() if isinstance(k, sp.Indexed)}
        for c in range(1, CASES + 1):
            defs.update({k.xreplace({case: c}): v.xreplace({case: c}) for k, v in per_case.items()})
    return defs


def _each(value: Val, f: object) -> Val:
    assert callable(f)
    if isinstance(value, Arr):
        return Arr(value.m.applyfunc(f), value.shown)
    return f(value)


def _shape(value: Val) -> str:
    if isinstance(value, Arr):
        return f"{value.shown} is {value.dims}"
    return "is a number"


def _batch_note(ctx: Context, example: bool) -> str:
    if ctx.scope.net.case is None:
        return ""
    if example:
        return f"for one example, each of the {CASES} examples in turn"
    return f"entry by entry for a batch of {CASES} examples"


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
