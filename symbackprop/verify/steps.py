"""Verify a hand derivation: a verdict, and when it fails, a diagnosis in the claim's notation.

A claim is LaTeX, optionally with its left-hand side (∂E/∂p, Δp, p_{new}, p'), for
one parameter and kind. It is compared with the truth derived by :mod:`symbackprop.derive`:

* symbolic first: the difference of the closed forms simplifies to zero -> "holds";
* backed by 50-digit evaluation at random rational points: a non-zero difference is
  a counterexample -> "does not hold";
* zero at every point but no symbolic proof -> "undecided" (never "holds" on numbers).

A claim that is a number (the note's 0.17) is checked against the exact value at the
given values, rounded to ``decimals`` when asked (or when written with ``\\approx``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial

import sympy as sp

from symbackprop.backprop.forms import target_constraint
from symbackprop.errors import SymbackpropError
from symbackprop.verify.calculus import calculus, gradient_vector, nabla_parts
from symbackprop.verify.cases import whole_error_names
from symbackprop.verify.claim import (
    KINDS,
    Claim,
    Context,
    Outcome,
    Step,
    Verdict,
    claim_clauses,
    fixed_binding,
    general_truth,
    lhs_meaning,
    param_binding,
    steps_of,
    truth_mid,
)
from symbackprop.verify.diagnosis import diagnose, zero_partials
from symbackprop.verify.identities import (
    activation_identity,
    derivative_rule,
    softmax_identity,
)
from symbackprop.verify.limits import DEFAULT_LIMITS, Exceeded, Limits, check_size, run_limited
from symbackprop.verify.localnames import local_definition
from symbackprop.verify.numeric import (
    DPS,
    POINTS,
    network_counterexample,
    proved_zero,
    rounded,
    symbols_of,
    value_table,
    written_decimals,
)
from symbackprop.verify.polynomial import zero_when_multiplied_out
from symbackprop.verify.reader import Alt, Node, Sym, walk
from symbackprop.verify.resolver import Resolver, resolver
from symbackprop.verify.scope import FUNCTION_HEADS, ResolveError, Scope, UnknownName
from symbackprop.verify.values import bindings, free_variables, is_vector
from symbackprop.verify.vectors import is_matrix_claim, verify_matrix

# -- the steps of a claim ------------------------------------------------------------


# -- what a left-hand side says -------------------------------------------------------


# -- binding ---------------------------------------------------------------------------


# -- the check ---------------------------------------------------------------------------


def verify(
    ctx: Context, claim: Claim, strict: bool = True, limits: Limits | None = DEFAULT_LIMITS
) -> list[Outcome]:
    """Every step of a claim under every binding: one outcome each. The claim is judged under
    ``limits`` (:mod:`symbackprop.verify.limits`); ``None`` judges it in this process, unbounded."""
    if claim.kind is not None and claim.kind not in KINDS:
        raise SymbackpropError(f"unknown kind {claim.kind!r}; choose from {', '.join(KINDS)}")
    check_size(claim.latex, limits or DEFAULT_LIMITS)
    if limits is None:
        return judge(ctx, claim, strict)
    warm(ctx.scope)
    result = run_limited(lambda: judge(ctx, claim, strict), limits)
    if isinstance(result, Exceeded):
        return [exceeded(claim, result.why)]
    return result.value


def judge(ctx: Context, claim: Claim, strict: bool = True) -> list[Outcome]:
    """:func:`verify` without limits: read the claim, then judge its steps."""
    steps = steps_of(claim_clauses(claim.latex))
    if not steps:
        raise SymbackpropError("the claim has no right-hand side to check")
    return verify_steps(ctx, claim, steps, strict)


def exceeded(claim: Claim, why: str) -> Outcome:
    """The outcome of a claim whose worker was stopped at a limit."""
    return Outcome(
        claim.source,
        claim.latex,
        claim.kind or "",
        claim.param or "",
        "",
        Verdict.UNDECIDED,
        remark=why,
    )


def warm(scope: Scope) -> None:
    """Build what every claim reads (the network, its definitions and names) before a worker
    is forked, so that each worker inherits it instead of building it again."""
    for name in ("net", "names", "canon", "objects", "definitions", "table", "generic"):
        getattr(scope, name)
    for name in ("delta_values", "unclosed"):  # read by most claims (δ, folding); on failure
        with contextlib.suppress(Exception):  # the worker raises it again, as it always did
            getattr(scope, name)


def verify_steps(
    ctx: Context,
    claim: Claim,
    steps: list[Step],
    strict: bool = True,
    local: Mapping[str, sp.Expr] | None = None,
) -> list[Outcome]:
    """The outcomes of already-read steps (the audit reads whole documents itself, with the
    ``local`` names the document defines)."""

    scope = ctx.scope
    identity = (
        activation_identity(ctx, claim, steps)
        or softmax_identity(ctx, claim, steps)
        or derivative_rule(ctx, claim, steps)
        if not claim.bind
        else None
    )
    if identity is not None:
        return identity  # g'(z) = a(1 - a): an identity about the activation function
    if is_matrix_claim(scope, [s.rhs for s in steps] + [s.lhs for s in steps if s.lhs]):
        return verify_matrix(ctx, claim, steps, strict)  # vector and matrix forms, entry by entry
    ints, named = fixed_binding(ctx, claim.bind)
    nodes: list[Node] = [s.rhs for s in steps] + [s.lhs for s in steps if s.lhs is not None]
    named = {**whole_error_names(scope, tuple(nodes)), **(local or {}), **named}
    free = free_variables(nodes, scope, {**ints, **named})
    pid_given = scope.notation.param_id(claim.param, scope.net) if claim.param else None
    if pid_given is not None and all(s.lhs is None for s in steps):
        ints = {**param_binding(ctx, pid_given, free), **ints}
        free = {k: v for k, v in free.items() if k not in ints}
    outcomes: list[Outcome] = []
    matched = False
    for extra in bindings(free, scope, nodes):
        binding = {**ints, **extra}
        shown_binding = ", ".join(
            f"{_show_key(ctx, k)}={_show_bound(ctx, v)}" for k, v in sorted(binding.items())
        )
        defined: dict[
            str, sp.Expr
        ] = {}  # names a statement of calculus defines for its later steps (y = ... = ...)
        first = len(outcomes)
        for number, step in enumerate(steps, start=1):
            res = resolver(scope, binding, {**named, **defined})
            if nabla_parts(step.lhs) is not None:
                matched = True
                outcomes.append(
                    replace(
                        _gradient_vector(ctx, res, claim, step, shown_binding, strict), step=number
                    )
                )
                continue
            defines = local_definition(res, steps, step)
            if defines is not None:  # J_{ki} = A = B: J_{ki} stands for A in the later steps
                defined[defines[0]] = defines[1]
                matched = True
                remark = f"defines {getattr(step.lhs, 'text', '')}"
                outcomes.append(
                    Outcome(
                        claim.source,
                        claim.latex,
                        "definition",
                        "",
                        shown_binding,
                        Verdict.HOLDS,
                        remark=remark,
                        step=number,
                    )
                )
                continue
            try:
                lhs = lhs_meaning(step.lhs, res, step.rel) if step.lhs is not None else None
            except UnknownName as exc:
                matched = True
                outcomes.append(
                    replace(
                        _calculus_or_unreadable(
                            ctx, res, claim, step, shown_binding, exc, strict, defined
                        ),
                        step=number,
                    )
                )
                continue
            except ResolveError as exc:
                if strict:
                    raise SymbackpropError(str(exc)) from None
                matched = True
                outcomes.append(
                    replace(_unreadable(ctx, claim, shown_binding, str(exc)), step=number)
                )
                continue
            if step.lhs is not None and lhs is None:
                kind, pid = "equation", ""
                if claim.kind not in (None, "equation"):
                    raise SymbackpropError(
                        "the left-hand side is not a gradient ∂E/∂p, an update Δp or a new value "
                        "p_{new}, "
                        f"but --kind is {claim.kind}"
                    )
            elif lhs is not None:
                kind, pid = lhs.kind, lhs.pid
                if claim.kind not in (None, kind):
                    raise SymbackpropError(
                        f"the left-hand side is a {kind} claim, but --kind is {claim.kind}"
                    )
                if pid_given is not None and pid != pid_given:
                    continue
            else:
                if pid_given is None:
                    raise SymbackpropError(
                        "the claim has no left-hand side: give --param (and --kind)"
                    )
                kind, pid = claim.kind or "gradient", pid_given
                if kind == "equation":
                    raise SymbackpropError("an equation claim needs its left-hand side")
            matched = True
            try:
                check = partial(_check, ctx, res, claim, kind=kind, pid=pid, binding=shown_binding)
                judged = _either(step, check)
                outcomes.append(replace(judged, step=number))
            except UnknownName as exc:
                outcomes.append(
                    replace(
                        _calculus_or_unreadable(
                            ctx, res, claim, step, shown_binding, exc, strict, defined
                        ),
                        step=number,
                    )
                )
            except ResolveError as exc:
                if strict:
                    raise SymbackpropError(str(exc)) from None
                outcomes.append(
                    replace(
                        _unreadable(ctx, claim, shown_binding, str(exc), kind, pid), step=number
                    )
                )
        if any(isinstance(v, str) for v in extra.values()):
            outcomes[first:] = [replace(o, generic=True) for o in outcomes[first:]]
    if not matched:
        raise SymbackpropError(f"the claim's left-hand side never names {claim.param}")
    return outcomes


def _gradient_vector(
    ctx: Context, res: Resolver, claim: Claim, step: Step, binding: str, strict: bool
) -> Outcome:

    try:
        return gradient_vector(ctx, res, claim, step, binding)
    except ResolveError as err:
        if strict:
            raise SymbackpropError(str(err)) from None
        return _unreadable(ctx, claim, binding, str(err), "gradient vector")


def _either(step: Step, judge: Callable[[Step], Outcome]) -> Outcome:
    """A right-hand side ``a \\text{ or } b`` holds when one of its alternatives does."""
    if not isinstance(step.rhs, Alt):
        return judge(step)
    results = [judge(replace(step, rhs=option)) for option in step.rhs.options]
    for k, result in enumerate(results, start=1):
        if result.verdict == Verdict.HOLDS:
            return replace(
                result, remark=_join(result.remark, f"alternative {k} of {len(results)} holds")
            )
    worst = max(results, key=lambda r: Verdict(r.verdict).rank)
    return replace(
        worst, remark=_join(worst.remark, f"none of the {len(results)} alternatives holds")
    )


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _calculus_or_unreadable(
    ctx: Context,
    res: Resolver,
    claim: Claim,
    step: Step,
    binding: str,
    exc: UnknownName,
    strict: bool,
    defined: dict[str, sp.Expr],
) -> Outcome:
    """A step with a name the notation does not know: a statement of calculus if it mentions no
    network quantity, else the unknown-name error (strict) or an unreadable outcome."""

    try:
        return _either(step, lambda s: calculus(ctx, res, claim, s, binding, exc, defined))
    except ResolveError as err:
        if strict:
            raise SymbackpropError(str(err)) from None
        return _unreadable(
            ctx, claim, binding, str(err), "equation" if step.lhs is not None else ""
        )


def _unreadable(
    ctx: Context, claim: Claim, binding: str, reason: str, kind: str = "", pid: str = ""
) -> Outcome:
    param = ctx.scope.names.get(pid, pid) if pid else ""
    return Outcome(
        claim.source, claim.latex, kind, param, binding, Verdict.UNREADABLE, remark=reason
    )


def _show_key(ctx: Context, key: str) -> str:
    return ctx.scope.generic_latex.get(key, key)


def _show_bound(ctx: Context, value: int | str) -> str:
    if isinstance(value, int):
        return str(value)
    return ctx.scope.names.get(value, value)


def _check(
    ctx: Context, res: Resolver, claim: Claim, step: Step, kind: str, pid: str, binding: str
) -> Outcome:
    scope = ctx.scope
    base = Outcome(
        source=claim.source,
        claim=claim.latex,
        kind=kind,
        param=scope.names.get(pid, pid) if pid else "",
        binding=binding,
        verdict=Verdict.UNDECIDED,
    )
    rhs = res.expr(step.rhs)
    if kind == "equation":
        assert step.lhs is not None  # verify_steps: an equation has its left-hand side
        lhs = res.expr(step.lhs)
    else:
        lhs = truth_mid(scope, kind, pid)
    if is_vector(lhs) or is_vector(rhs):
        raise ResolveError(
            "a vector where a quantity of the network is compared (vectors are read in statements "
            "of calculus)"
        )
    if ctx.learning_rate is not None:
        lhs, rhs = (e.xreplace({scope.net.lr: ctx.learning_rate}) for e in (lhs, rhs))
    rhs_c = scope.closed(rhs) if written_as_number(scope, step.rhs) else None
    if rhs_c is not None and not symbols_of(rhs_c):
        lhs_c = scope.closed(lhs)
        if ctx.fixed:  # the document's numbers: quantities it takes as given first, then its leaves
            fixed = dict(ctx.fixed)
            lhs_c = scope.closed(lhs.xreplace(fixed)).xreplace(fixed)
        return _check_number(ctx, base, lhs_c, rhs_c, step, claim.decimals)
    constraint = target_constraint(scope.net) if kind != "equation" else None
    if _multiplies_out(ctx, kind, pid, lhs, rhs, constrained=constraint is not None):
        return replace(base, verdict=Verdict.HOLDS)  # the cheap proof: no numbers needed
    counter = network_counterexample(ctx, lhs, rhs)
    if counter:
        out = diagnose(
            ctx, replace(base, verdict=Verdict.FAILS, counterexample=counter), kind, pid, lhs, rhs
        )
        zero = zero_partials(ctx, res, step.rhs)
        return replace(out, factor="; ".join(x for x in (out.factor, zero) if x))
    if counter == "" and constraint is not None:
        return _check_targets(ctx, base, kind, pid, rhs, proved=proved_zero(ctx, rhs, lhs))
    if proved_zero(ctx, rhs, lhs):
        return replace(base, verdict=Verdict.HOLDS)
    if counter is None:
        return replace(
            base,
            verdict=Verdict.UNDECIDED,
            remark="not proved symbolically, and not evaluated at numbers",
        )
    return replace(
        base,
        verdict=Verdict.UNDECIDED,
        remark=f"zero at {POINTS} random points ({DPS} digits), but not proved symbolically",
    )


def _multiplies_out(
    ctx: Context, kind: str, pid: str, lhs: sp.Expr, rhs: sp.Expr, constrained: bool
) -> bool:
    """Whether the claim is the truth once multiplied out (and, when the loss constrains the
    targets, also the truth for every target): it holds, with no number computed."""
    if not zero_when_multiplied_out(rhs - lhs):
        return False
    return not constrained or bool(
        zero_when_multiplied_out(rhs - general_truth(ctx.scope, kind, pid))
    )


def _check_targets(
    ctx: Context, base: Outcome, kind: str, pid: str, rhs: sp.Expr, proved: bool
) -> Outcome:
    """A claim that agrees with the truth where the targets obey the loss's constraint (their
    sum is 1): does it hold for every target, or only under the constraint?"""
    general = general_truth(ctx.scope, kind, pid)
    if network_counterexample(ctx, general, rhs, constrained=False) == "":
        if proved or proved_zero(ctx, rhs, general):
            return replace(base, verdict=Verdict.HOLDS)
        return replace(
            base,
            verdict=Verdict.UNDECIDED,
            remark=f"zero at {POINTS} random points ({DPS} digits), but not proved symbolically",
        )
    total, value = target_constraint(ctx.scope.net) or (sp.Integer(0), 0)
    return replace(
        base,
        verdict=Verdict.HOLDS,
        remark=f"holds for targets that sum to {value} ({ctx.show(total)} = {value}), "
        "not for every target",
    )


def written_as_number(scope: Scope, node: Node) -> bool:
    """A claim written in numbers only (functions such as \\sigma(-0.04) allowed): a numeric
    claim."""
    allowed = {scope.function_key, "e", *FUNCTION_HEADS}
    return not any(
        isinstance(n, Sym) and (n.head not in allowed or n.sub is not None) for n in walk(node)
    )


def _check_number(
    ctx: Context, base: Outcome, lhs: sp.Expr, rhs: sp.Expr, step: Step, decimals: int | None
) -> Outcome:
    scope = ctx.scope
    if ctx.values is not None:
        lhs = lhs.xreplace(value_table(ctx))
    missing = sorted(
        {scope.names.get(str(s), str(s)) for s in lhs.free_symbols | lhs.atoms(sp.Indexed)}
    )
    if missing:
        return replace(
            base,
            verdict=Verdict.UNDECIDED,
            remark=f"the claim is a number, but no value is given for {', '.join(missing)}",
        )
    true = sp.nsimplify(lhs.doit()) if not lhs.has(sp.Function) else lhs.evalf(DPS)
    claimed = rhs
    if decimals is None and step.rel == "\\approx":
        decimals = written_decimals(step.rhs)
    true_n, claimed_n = sp.N(true, 15), sp.N(claimed, 15)
    if decimals is None:
        ok = (
            sp.simplify(true - claimed) == 0
            if true.is_Rational and claimed.is_Rational
            else abs(sp.N(true - claimed, DPS)) < sp.Float(10) ** (-DPS + 5)
        )
        shown = f"exact {true_n}, claimed {claimed_n}"
    else:
        ok = rounded(sp.N(true, DPS), decimals) == rounded(sp.N(claimed, DPS), decimals)
        to_decimals = float(rounded(sp.N(true, DPS), decimals))
        shown = (
            f"exact {true_n} (to {decimals} decimals {to_decimals:.{decimals}f}), "
            f"claimed {claimed_n}"
        )
    remark = "" if ok and decimals is None else shown
    if (
        ok
        and decimals is not None
        and abs(sp.N(true - claimed, DPS)) > sp.Float(10) ** (-decimals - 3)
    ):
        remark += "; equal only after rounding"
    return replace(
        base, verdict=Verdict.HOLDS if ok else Verdict.FAILS, remark=remark, correct=str(true_n)
    )


# -- diagnosis ---------------------------------------------------------------------------
