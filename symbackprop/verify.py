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

import random
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import sympy as sp

from .activations import to_elementary
from .derive import ERROR, product
from .errors import SymbackpropError
from .evaluate import Values
from .latex import NotationPrinter
from .notation import Notation, load_notation
from .reader import Alt, Clause, Frac, Node, Num, Partial, Prod, Sym, parse, walk
from .meaning import as_partial
from .meaning import (
    FUNCTION_HEADS,
    ResolveError,
    Resolver,
    Scope,
    UnknownName,
    bindings,
    free_variables,
    is_vector,
    latex_key,
    resolver,
)
from .spec import NetworkSpec

Expr = sp.Expr
KINDS = ("gradient", "update", "new", "equation")
VERDICTS = ("holds", "does not hold", "undecided", "unreadable")
DPS = 50
POINTS = 3
CASES = 2
MAX_PROOF_OPS = 5000  # larger differences are not put over a common denominator (the essay's deep w_z)
CLAIM_RELS = ("=", ":=", "\\approx", "\\equiv")


@dataclass(frozen=True)
class Claim:
    """One claim: LaTeX, and what it is about (param, kind, binding), and where it comes from."""

    latex: str
    param: str | None = None
    kind: str | None = None
    bind: tuple[tuple[str, str], ...] = ()
    source: str = ""
    decimals: int | None = None


@dataclass(frozen=True)
class Outcome:
    """The verdict on one step of a claim under one binding, with the diagnosis."""

    source: str
    claim: str
    kind: str
    param: str
    binding: str
    verdict: str
    correct: str = ""
    ratio: str = ""
    counterexample: str = ""
    factor: str = ""
    remark: str = ""
    step: int = 1
    generic: bool = False  # the binding gives a generic name (w_z, p) one parameter it may stand for

    def to_json(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}  # type: ignore[attr-defined]

    @property
    def diagnosis(self) -> str:
        parts = []
        if self.verdict != "holds" and self.correct:
            parts.append(f"correct: {self.correct}")
        if self.ratio:
            parts.append(f"claim/true = {self.ratio}")
        if self.factor:
            parts.append(self.factor)
        if self.counterexample:
            parts.append(f"counterexample: {self.counterexample}")
        if self.remark:
            parts.append(self.remark)
        return "; ".join(parts)


@dataclass(frozen=True)
class Context:
    """A spec, its notation and optional values (for numeric claims)."""

    scope: Scope
    values: Values | None = None
    learning_rate: Expr | None = None  # a source's fixed learning rate (the essay's p' = p - dE/dp: 1)
    fixed: tuple[tuple[Expr, Expr], ...] = ()  # numbers a document fixes (symbackprop.document), for numeric claims

    @property
    def printer(self) -> NotationPrinter:
        return NotationPrinter(self.scope.names, self.scope.notation)

    def show(self, expr: Expr) -> str:
        return self.printer.doprint(expr)


def context(
    spec: NetworkSpec,
    notation: Notation | str | None = None,
    values: Values | None = None,
    learning_rate: Expr | None = None,
) -> Context:
    if notation is None or isinstance(notation, str):
        notation = load_notation(notation or spec.notation, spec.base_dir)
    return Context(Scope(spec, notation), values, learning_rate)


# -- the steps of a claim ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    lhs: Node | None
    rel: str
    rhs: Node


def steps_of(clauses: list[Clause]) -> list[Step]:
    """Each right-hand side of a chain, paired with the chain's first side."""
    out: list[Step] = []
    lhs: Node | None = None
    for n, clause in enumerate(clauses):
        sides = list(clause.sides)
        if not clause.rels:
            if n == 0 and sides[0] is not None:
                out.append(Step(None, "=", sides[0]))
            continue
        if sides[0] is not None:
            lhs = sides[0]
        for rel, rhs in zip(clause.rels, sides[1:]):
            if rel in CLAIM_RELS and rhs is not None:
                out.append(Step(lhs, rel, rhs))
    return out


def claim_clauses(latex: str) -> list[Clause]:
    """The first clause of a claim and any continuation rows (``&= ...``)."""
    doc = parse(latex)
    clauses: list[Clause] = []
    for row in doc.rows:
        if row.clauses and (not clauses or row.clauses[0].rels or row.clauses[0].sides[0] is None):
            clauses.append(row.clauses[0])
    if not clauses:
        raise SymbackpropError("the claim has no expression")
    return clauses


# -- what a left-hand side says -------------------------------------------------------


@dataclass(frozen=True)
class Lhs:
    kind: str
    pid: str


def lhs_meaning(node: Node | None, res: Resolver) -> Lhs | None:
    """∂E/∂p -> gradient, Δp -> update, p_{new} / p' -> new; anything else -> None."""
    scope = res.scope
    if node is None:
        return None
    num, den = (as_partial(node.num), as_partial(node.den)) if isinstance(node, Frac) else (None, None)
    if isinstance(num, Partial) and isinstance(den, Partial):
        if num.body is None or den.body is None:
            return None
        top = res.value(num.body)
        if top == ERROR:
            pid = scope.param_of(res.value(den.body))  # type: ignore[arg-type]
            if pid is not None:
                return Lhs("gradient", pid)
        return None
    if isinstance(node, Prod) and len(node.items) == 2:
        head = node.items[0][1]
        if isinstance(head, Sym) and head.head == "\\Delta" and not head.scripted and res.lookup("\\Delta", None, None) is None:
            pid = scope.param_of(res.value(node.items[1][1]))  # type: ignore[arg-type]
            if pid is not None:
                return Lhs("update", pid)
    if isinstance(node, Sym) and (node.primes == 1 or node.sub is not None):
        value = res.value(node)
        for p in scope.net.params:
            if isinstance(value, sp.Basic) and value != p.symbol and p.symbol in value.free_symbols:
                if sp.expand(value - p.symbol - scope.update_mid(p.id)) == 0:
                    return Lhs("new", p.id)
    return None


def truth_mid(scope: Scope, kind: str, pid: str) -> Expr:
    if kind == "gradient":
        return scope.grad_mid(pid)
    if kind == "update":
        return scope.update_mid(pid)
    return scope.net.param(pid).symbol + scope.update_mid(pid)


def truth_display(scope: Scope, kind: str, pid: str) -> Expr:
    """The truth as the derivation prints it (chain order), for the diagnosis."""
    shown = scope.gradient(pid).compact.display
    if kind == "gradient":
        return shown
    update = product([sp.Integer(-1), scope.net.lr, shown])
    if kind == "update":
        return update
    return sp.Add(scope.net.param(pid).symbol, update, evaluate=False)


# -- binding ---------------------------------------------------------------------------


def parse_bind(text: str) -> tuple[tuple[str, str], ...]:
    """``o=2,h=1`` -> (('o','2'), ('h','1')); a name may be bound too: ``w_{\\hat{y}}=w_1``."""
    out = []
    depth, start, parts = 0, 0, []
    for i, ch in enumerate(text):
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    for part in parts:
        key, eq, value = part.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise SymbackpropError(f"--bind expects name=value pairs separated by commas, got {part!r}")
        out.append((key.strip(), value.strip()))
    return tuple(out)


def fixed_binding(ctx: Context, bind: tuple[tuple[str, str], ...]) -> tuple[dict[str, int | str], dict[str, Expr]]:
    """Index letters fixed to numbers; names (generic or not) fixed to a notation name."""
    scope = ctx.scope
    ints: dict[str, int | str] = {}
    named: dict[str, Expr] = {}
    for key, value in bind:
        if value.isdigit() and len(key) == 1 and key.isalpha():
            ints[key] = int(value)
            continue
        k = latex_key(key)
        if k is None:
            raise SymbackpropError(f"--bind: {key!r} is not a name")
        target = _bound_value(scope, _single(value))
        named[k] = target
        pid = scope.param_of(target)
        if k in scope.generic and pid is not None:
            ints[k] = pid
    return ints, named


def _bound_value(scope: Scope, node: Node) -> Expr:
    """A bound name's value: a quantity of the network, or an expression of free variables
    (``y=\\frac{1}{1 + \\exp(-\\alpha x)}``, the definition a statement of calculus refers to)."""
    try:
        return Resolver(scope).expr(node)
    except UnknownName as exc:
        reading = Resolver(scope).free_reading()
        value = reading.expr(node)
        assert reading.record is not None
        if reading.record.network:
            raise exc from None
        return value


def _single(latex: str) -> Node:
    clauses = claim_clauses(latex)
    node = clauses[0].sides[0]
    if len(clauses) != 1 or clauses[0].rels or node is None:
        raise SymbackpropError(f"{latex!r} is not one expression")
    return node


def param_binding(ctx: Context, pid: str, free: dict[str, tuple[int | str, ...]]) -> dict[str, int | str]:
    """The binding of free index letters implied by a parameter: its layer's units."""
    scope = ctx.scope
    p = scope.net.param(pid)
    out: dict[str, int | str] = {}
    for letter, layer in scope.indices.items():
        if letter not in free:
            continue
        if layer == p.layer:
            out[letter] = p.to_unit
        elif layer == p.layer - 1 and p.from_unit is not None:
            out[letter] = p.from_unit
    for key, ids in free.items():
        if isinstance(ids[0], str) and pid in ids:
            out[key] = pid
    return out


# -- the check ---------------------------------------------------------------------------


def verify(ctx: Context, claim: Claim, strict: bool = True) -> list[Outcome]:
    """Every step of a claim under every binding: one outcome each."""
    scope = ctx.scope
    if claim.kind is not None and claim.kind not in KINDS:
        raise SymbackpropError(f"unknown kind {claim.kind!r}; choose from {', '.join(KINDS)}")
    steps = steps_of(claim_clauses(claim.latex))
    if not steps:
        raise SymbackpropError("the claim has no right-hand side to check")
    return verify_steps(ctx, claim, steps, strict)


def verify_steps(
    ctx: Context, claim: Claim, steps: list[Step], strict: bool = True, local: Mapping[str, Expr] | None = None
) -> list[Outcome]:
    """The outcomes of already-read steps (the audit reads whole documents itself, with the
    ``local`` names the document defines)."""
    from .calculus import nabla_parts  # calculus builds on this module's checks

    scope = ctx.scope
    ints, named = fixed_binding(ctx, claim.bind)
    named = {**(local or {}), **named}
    nodes: list[Node] = [s.rhs for s in steps] + [s.lhs for s in steps if s.lhs is not None]
    free = free_variables(nodes, scope, {**ints, **named})
    pid_given = scope.notation.param_id(claim.param, scope.net) if claim.param else None
    if pid_given is not None and all(s.lhs is None for s in steps):
        ints = {**param_binding(ctx, pid_given, free), **ints}
        free = {k: v for k, v in free.items() if k not in ints}
    outcomes: list[Outcome] = []
    matched = False
    for extra in bindings(free):
        binding = {**ints, **extra}
        shown_binding = ", ".join(f"{_show_key(ctx, k)}={_show_bound(ctx, v)}" for k, v in sorted(binding.items()))
        defined: dict[str, Expr] = {}  # names a statement of calculus defines for its later steps (y = ... = ...)
        first = len(outcomes)
        for number, step in enumerate(steps, start=1):
            res = resolver(scope, binding, {**named, **defined})
            if nabla_parts(step.lhs) is not None:
                matched = True
                outcomes.append(replace(_gradient_vector(ctx, res, claim, step, shown_binding, strict), step=number))
                continue
            try:
                lhs = lhs_meaning(step.lhs, res) if step.lhs is not None else None
            except UnknownName as exc:
                matched = True
                outcomes.append(replace(_calculus_or_unreadable(ctx, res, claim, step, shown_binding, exc, strict, defined), step=number))
                continue
            except ResolveError as exc:
                if strict:
                    raise SymbackpropError(str(exc)) from None
                matched = True
                outcomes.append(replace(_unreadable(ctx, claim, shown_binding, str(exc)), step=number))
                continue
            if step.lhs is not None and lhs is None:
                kind, pid = "equation", ""
                if claim.kind not in (None, "equation"):
                    raise SymbackpropError(
                        f"the left-hand side is not a gradient ∂E/∂p, an update Δp or a new value p_{{new}}, "
                        f"but --kind is {claim.kind}"
                    )
            elif lhs is not None:
                kind, pid = lhs.kind, lhs.pid
                if claim.kind not in (None, kind):
                    raise SymbackpropError(f"the left-hand side is a {kind} claim, but --kind is {claim.kind}")
                if pid_given is not None and pid != pid_given:
                    continue
            else:
                if pid_given is None:
                    raise SymbackpropError("the claim has no left-hand side: give --param (and --kind)")
                kind, pid = claim.kind or "gradient", pid_given
                if kind == "equation":
                    raise SymbackpropError("an equation claim needs its left-hand side")
            matched = True
            try:
                judged = _either(step, lambda s: _check(ctx, res, claim, s, kind, pid, shown_binding))
                outcomes.append(replace(judged, step=number))
            except UnknownName as exc:
                outcomes.append(replace(_calculus_or_unreadable(ctx, res, claim, step, shown_binding, exc, strict, defined), step=number))
            except ResolveError as exc:
                if strict:
                    raise SymbackpropError(str(exc)) from None
                outcomes.append(replace(_unreadable(ctx, claim, shown_binding, str(exc), kind, pid), step=number))
        if any(isinstance(v, str) for v in extra.values()):
            outcomes[first:] = [replace(o, generic=True) for o in outcomes[first:]]
    if not matched:
        raise SymbackpropError(f"the claim's left-hand side never names {claim.param}")
    return outcomes


def _gradient_vector(ctx: Context, res: Resolver, claim: Claim, step: Step, binding: str, strict: bool) -> Outcome:
    from .calculus import gradient_vector

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
        if result.verdict == "holds":
            return replace(result, remark=_join(result.remark, f"alternative {k} of {len(results)} holds"))
    order = {"unreadable": 0, "does not hold": 1, "undecided": 2, "holds": 3}
    worst = max(results, key=lambda r: order[r.verdict])
    return replace(worst, remark=_join(worst.remark, f"none of the {len(results)} alternatives holds"))


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _calculus_or_unreadable(
    ctx: Context, res: Resolver, claim: Claim, step: Step, binding: str, exc: UnknownName, strict: bool, defined: dict[str, Expr]
) -> Outcome:
    """A step with a name the notation does not know: a statement of calculus if it mentions no
    network quantity, else the unknown-name error (strict) or an unreadable outcome."""
    from .calculus import calculus

    try:
        return _either(step, lambda s: calculus(ctx, res, claim, s, binding, exc, defined))
    except ResolveError as err:
        if strict:
            raise SymbackpropError(str(err)) from None
        return _unreadable(ctx, claim, binding, str(err), "equation" if step.lhs is not None else "")


def _unreadable(ctx: Context, claim: Claim, binding: str, reason: str, kind: str = "", pid: str = "") -> Outcome:
    param = ctx.scope.names.get(pid, pid) if pid else ""
    return Outcome(claim.source, claim.latex, kind, param, binding, "unreadable", remark=reason)


def _show_key(ctx: Context, key: str) -> str:
    return ctx.scope.generic_latex.get(key, key)


def _show_bound(ctx: Context, value: int | str) -> str:
    if isinstance(value, int):
        return str(value)
    return ctx.scope.names.get(value, value)


def _check(ctx: Context, res: Resolver, claim: Claim, step: Step, kind: str, pid: str, binding: str) -> Outcome:
    scope = ctx.scope
    base = Outcome(
        source=claim.source,
        claim=claim.latex,
        kind=kind,
        param=scope.names.get(pid, pid) if pid else "",
        binding=binding,
        verdict="undecided",
    )
    rhs = res.expr(step.rhs)
    lhs = truth_mid(scope, kind, pid) if kind != "equation" else res.expr(step.lhs)  # type: ignore[arg-type]
    if is_vector(lhs) or is_vector(rhs):
        raise ResolveError("a vector where a quantity of the network is compared (vectors are read in statements of calculus)")
    if ctx.learning_rate is not None:
        lhs, rhs = (e.xreplace({scope.net.lr: ctx.learning_rate}) for e in (lhs, rhs))
    lhs_c, rhs_c = scope.closed(lhs), scope.closed(rhs)
    if _written_as_number(scope, step.rhs) and not _symbols(rhs_c):
        if ctx.fixed:  # the document's numbers: quantities it takes as given first, then its leaves
            fixed = dict(ctx.fixed)
            lhs_c = scope.closed(lhs.xreplace(fixed)).xreplace(fixed)
        return _check_number(ctx, base, lhs_c, rhs_c, step, claim.decimals)
    counter = _counterexample(ctx, lhs, rhs)
    if counter:
        out = _diagnose(ctx, replace(base, verdict="does not hold", counterexample=counter), kind, pid, lhs, rhs)
        zero = _zero_partials(ctx, res, step.rhs)
        return replace(out, factor="; ".join(x for x in (out.factor, zero) if x))
    if _is_zero(rhs - lhs) or _is_zero(rhs_c - lhs_c):
        return replace(base, verdict="holds")
    if counter is None:
        return replace(base, verdict="undecided", remark="not proved symbolically, and not evaluated at numbers")
    return replace(base, verdict="undecided", remark=f"zero at {POINTS} random points ({DPS} digits), but not proved symbolically")


def _written_as_number(scope: Scope, node: Node) -> bool:
    """A claim written in numbers only (functions such as \\sigma(-0.04) allowed): a numeric claim."""
    allowed = {scope.function_key, "e", *FUNCTION_HEADS}
    return not any(isinstance(n, Sym) and (n.head not in allowed or n.sub is not None) for n in walk(node))


def _symbols(expr: Expr) -> set[Any]:
    return {s for s in expr.free_symbols if not (isinstance(s, sp.Symbol) and s.name == "i" and False)} | set(expr.atoms(sp.Indexed))


def _is_zero(diff: Expr) -> bool:
    """A symbolic proof that diff is 0: expansion with the activations kept whole, then in
    elementary functions over a common denominator. (No ``simplify``: it can run for minutes.)"""
    if diff == 0 or sp.expand(diff, deep=False) == 0 or sp.expand(diff) == 0:
        return True
    elementary = sp.expand(to_elementary(diff))
    if elementary == 0:
        return True
    if sp.count_ops(elementary) > MAX_PROOF_OPS:  # cancel() would run for many minutes: undecided
        return False
    try:
        return sp.cancel(sp.together(elementary)) == 0
    except (TypeError, ValueError, RecursionError, sp.PolynomialError):  # pragma: no cover - SymPy's limits
        return False


def _leaves(ctx: Context) -> list[Any]:
    """The independent quantities: parameters, gain, learning rate, and each case's data."""
    net = ctx.scope.net
    out: list[Any] = [p.symbol for p in net.params] + ([net.gain] if net.gain is not None else []) + [net.lr]
    data = list(net.inputs) + list(net.targets)
    if net.case is None:
        return out + data
    return out + [d.base[c] for c in range(1, CASES + 1) for d in data]


def _random_point(ctx: Context, seed: int) -> dict[Any, Expr]:
    rng = random.Random(seed)
    return {s: sp.Rational(rng.randint(-900, 900), rng.randint(300, 700)) for s in _leaves(ctx)}


def _evaluate(ctx: Context, expr: Expr, point: Mapping[Any, Expr], digits: int = DPS) -> Expr:
    """expr at a point, bottom-up through the definitions (each intermediate computed once).
    A mean over n cases is taken over CASES cases."""
    scope, net = ctx.scope, ctx.scope.net
    defs = scope.definitions
    memo: dict[Any, Expr] = dict(point)
    if ctx.learning_rate is not None:
        memo[net.lr] = ctx.learning_rate

    def atom(a: Any) -> Expr:
        if a in memo:
            return memo[a]
        key, sub = a, {}
        if isinstance(a, sp.Indexed) and net.case is not None:
            key, sub = a.base[net.case], {net.case: a.indices[0]}
        if key not in defs:
            raise KeyError(a)
        memo[a] = value(defs[key].xreplace(sub) if sub else defs[key])
        return memo[a]

    def value(e: Expr) -> Expr:
        if net.n_cases is not None and e.has(sp.Sum):
            e = unroll(e.xreplace({net.n_cases: sp.Integer(CASES)}))
        indexed = set(e.atoms(sp.Indexed))
        inner = {s for a in indexed for s in a.free_symbols if s != a}
        atoms = indexed | {s for s in e.free_symbols if s not in inner}
        out = e.xreplace({a: atom(a) for a in atoms})
        for _ in range(64):
            ready = {f for f in out.atoms(sp.Function) if f.args and all(x.is_number for x in f.args)}
            if not ready:
                break
            out = out.xreplace({f: f.evalf(digits + 10) for f in ready})
        return out.evalf(digits + 10)

    return value(expr).evalf(digits)


def unroll(expr: Expr) -> Expr:
    """Sums with whole-number limits written out term by term (``Sum.doit`` tries closed forms: slow)."""

    def terms(s: sp.Sum) -> Expr:
        (var, lo, hi), *rest = s.limits
        if rest or not (lo.is_Integer and hi.is_Integer):
            return s.doit()
        return sp.Add(*[s.function.xreplace({var: sp.Integer(k)}) for k in range(int(lo), int(hi) + 1)])

    return expr.replace(lambda e: isinstance(e, sp.Sum), terms)


def _counterexample(ctx: Context, lhs: Expr, rhs: Expr) -> str | None:
    """A point where claim and truth differ (50 digits), '' if they agree at every point tried,
    None if they could not be evaluated. A claim about one case's quantities (o_1 of case i)
    is evaluated at case 1 (with every case's data random; a Sum keeps its own i)."""
    case = ctx.scope.net.case
    if case is not None:
        lhs, rhs = (e.subs(case, 1) if e.has(sp.Sum) else e.xreplace({case: sp.Integer(1)}) for e in (lhs, rhs))
    for seed in range(POINTS):
        point = _random_point(ctx, seed)
        try:
            claimed, true = _evaluate(ctx, rhs, point, DPS + 10), _evaluate(ctx, lhs, point, DPS + 10)
        except KeyError:  # a quantity with no value: leave it to the symbolic check
            return None
        value = claimed - true
        if not value.is_number:
            return None
        if value != 0 and abs(value) > sp.Float(10) ** (-DPS + 10) * (1 + abs(true)):
            used = ctx.scope.closed(lhs).free_symbols | ctx.scope.closed(rhs).free_symbols
            shown = ", ".join(f"{ctx.show(k)} = {v}" for k, v in point.items() if k in used)
            return f"at {shown}: claim {sp.N(claimed, 12)}, true {sp.N(true, 12)}"
    return ""


def _rounded(value: Expr, decimals: int) -> sp.Rational:
    scale = sp.Integer(10) ** decimals
    return sp.floor(sp.nsimplify(value) * scale + sp.Rational(1, 2)) / scale


def _written_decimals(node: Node) -> int | None:
    texts = [n.text for n in walk(node) if isinstance(n, Num)]
    if not texts:
        return None
    return max(len(t.partition(".")[2]) for t in texts)


def _check_number(ctx: Context, base: Outcome, lhs: Expr, rhs: Expr, step: Step, decimals: int | None) -> Outcome:
    scope = ctx.scope
    if ctx.values is not None:
        lhs = lhs.xreplace(_value_table(ctx))
    missing = sorted({scope.names.get(str(s), str(s)) for s in lhs.free_symbols | lhs.atoms(sp.Indexed)})
    if missing:
        return replace(
            base,
            verdict="undecided",
            remark=f"the claim is a number, but no value is given for {', '.join(missing)}",
        )
    true = sp.nsimplify(lhs.doit()) if not lhs.has(sp.Function) else lhs.evalf(DPS)
    claimed = rhs
    if decimals is None and step.rel == "\\approx":
        decimals = _written_decimals(step.rhs)
    true_n, claimed_n = sp.N(true, 15), sp.N(claimed, 15)
    if decimals is None:
        ok = sp.simplify(true - claimed) == 0 if true.is_Rational and claimed.is_Rational else abs(sp.N(true - claimed, DPS)) < sp.Float(10) ** (-DPS + 5)
        shown = f"exact {true_n}, claimed {claimed_n}"
    else:
        ok = _rounded(sp.N(true, DPS), decimals) == _rounded(sp.N(claimed, DPS), decimals)
        shown = f"exact {true_n} (to {decimals} decimals {float(_rounded(sp.N(true, DPS), decimals)):.{decimals}f}), claimed {claimed_n}"
    remark = "" if ok and decimals is None else shown
    if ok and decimals is not None and abs(sp.N(true - claimed, DPS)) > sp.Float(10) ** (-decimals - 3):
        remark += "; equal only after rounding"
    return replace(base, verdict="holds" if ok else "does not hold", remark=remark, correct=str(true_n))


def _value_table(ctx: Context) -> dict[Any, Expr]:
    values, net = ctx.values, ctx.scope.net
    assert values is not None
    table: dict[Any, Expr] = {p.symbol: values.params[p.id] for p in net.params}
    table.update(zip(net.inputs, values.x[0]))
    table.update(zip(net.targets, values.y[0]))
    if values.lr is not None:
        table[net.lr] = values.lr
    if values.gain is not None and net.gain is not None:
        table[net.gain] = values.gain
    return table


# -- diagnosis ---------------------------------------------------------------------------


def _diagnose(ctx: Context, out: Outcome, kind: str, pid: str, lhs: Expr, rhs: Expr) -> Outcome:
    scope = ctx.scope
    if kind == "equation":
        shown = scope.net.displays.get(lhs, lhs)
        return replace(out, correct=ctx.show(shown), ratio=_ratio_text(ctx, rhs, scope.definitions.get(lhs, lhs)))
    correct = ctx.show(truth_display(scope, kind, pid))
    if kind == "new":
        p = scope.net.param(pid).symbol
        lhs, rhs = lhs - p, rhs - p
    if not scope.notation.has_error_terms:
        residuals = {e: scope.definitions[e] for e in scope.net.errors}
        lhs, rhs = lhs.xreplace(residuals), rhs.xreplace(residuals)
    ratio = _ratio(rhs, lhs) if not (lhs.has(sp.Sum) or rhs.has(sp.Sum)) else None
    factor = _factor(ctx, kind, pid, ratio) if ratio is not None and sp.count_ops(ratio) < 40 else ""
    return replace(out, correct=correct, ratio=ctx.show(ratio) if ratio is not None else "", factor=factor)


def _zero_partials(ctx: Context, res: Resolver, node: Node) -> str:
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
                found.append(f"the factor {ctx.printer.partial(num, den)} is 0: {ctx.show(num)} does not depend on {ctx.show(den)}")
        except ResolveError:
            continue
    return "; ".join(dict.fromkeys(found))


def _ratio(rhs: Expr, lhs: Expr) -> Expr | None:
    if lhs == 0:
        return None
    try:
        return sp.factor(sp.cancel(rhs / lhs))
    except (sp.PolynomialError, TypeError, ValueError):  # pragma: no cover
        return sp.cancel(rhs / lhs)


def _ratio_text(ctx: Context, rhs: Expr, lhs: Expr) -> str:
    r = _ratio(rhs, lhs)
    return ctx.show(r) if r is not None else ""


def _factor(ctx: Context, kind: str, pid: str, ratio: Expr) -> str:
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
        text = f"the factor {printer.partial(num, den)} is {ctx.show(claimed)} in the claim where {ctx.show(value)} belongs"
        if best is None or cost < best[0]:
            best = (cost, text)
    return best[1] if best else ""
