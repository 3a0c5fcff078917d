"""Numbers behind the verdicts: exact proofs of zero, 50-digit evaluation at random points,
counterexamples."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any

import sympy as sp

from symbackprop.backprop.forms import ERROR, target_constraint
from symbackprop.model.activations import to_elementary
from symbackprop.verify.claim import Context
from symbackprop.verify.fold import folded
from symbackprop.verify.polynomial import zero_when_multiplied_out
from symbackprop.verify.reader import Node, Num, walk
from symbackprop.verify.relusigns import both_signs

DPS = 50


POINTS = 3


CASES = 2


MAX_PROOF_OPS = (
    5000  # larger differences are not put over a common denominator (the essay's deep w_z)
)


def symbols_of(expr: sp.Expr) -> set[Any]:
    return set(expr.free_symbols) | set(expr.atoms(sp.Indexed))


def expands_to_zero(diff: sp.Expr) -> bool:
    """A cheap symbolic proof that diff is 0: it expands to 0 with every function kept whole
    (multiplied out as a sparse polynomial first; SymPy's ``expand`` when that cannot say)."""
    if diff == 0:
        return True
    known = zero_when_multiplied_out(diff)
    if known is not None:
        return known
    return bool(sp.expand(diff, deep=False) == 0 or sp.expand(diff) == 0)


def proved_zero(ctx: Context, claimed: sp.Expr, true: sp.Expr) -> bool:
    """Whether the claim equals the truth, symbolically: first the cheap proofs (expansion in
    intermediates, then with the written-out intermediates folded into their names, then in
    closed form), then the costly ones of :func:`is_zero` (in intermediates, then closed)."""
    scope = ctx.scope
    if expands_to_zero(claimed - true):
        return True
    if expands_to_zero(folded(scope, claimed) - folded(scope, true)):
        return True
    closed = scope.closed(claimed) - scope.closed(true)
    if expands_to_zero(closed):
        return True
    return is_zero(claimed - true) or is_zero(closed)


def is_zero(diff: sp.Expr) -> bool:
    """A symbolic proof that diff is 0: expansion with the activations kept whole, then in
    elementary functions over a common denominator. (No ``simplify``: it can run for minutes.)"""
    if expands_to_zero(diff):
        return True
    elementary = sp.expand(to_elementary(diff))
    if elementary == 0:
        return True
    if sp.count_ops(elementary) > MAX_PROOF_OPS:  # cancel() would run for many minutes: undecided
        return False
    try:
        return sp.cancel(sp.together(elementary)) == 0
    except (
        TypeError,
        ValueError,
        RecursionError,
        sp.PolynomialError,
    ):  # pragma: no cover - SymPy's limits
        return False


def leaves(ctx: Context) -> list[Any]:
    """The independent quantities: parameters, gain, learning rate, the L2 penalty's lambda, and
    each case's data."""
    net = ctx.scope.net
    out: list[Any] = (
        [p.symbol for p in net.params] + ([net.gain] if net.gain is not None else []) + [net.lr]
    )
    out += [net.penalty] if net.penalty is not None else []
    data = list(net.inputs) + list(net.targets)
    if net.case is None:
        return out + data
    return out + [d.base[c] for c in range(1, CASES + 1) for d in data]


def sample(
    variables: Iterable[Any],
    rng: random.Random,
    counts: Collection[Any] = (),
    gains: Collection[Any] = (),
) -> dict[Any, sp.Expr]:
    """The one random point of the verifier: a rational in about (-3, 3) for each variable, a
    whole number 1..6 for each count of a sum, a gain in [0.5, 2]. Every random check (network
    claims, statements of calculus) draws its points here."""
    point: dict[Any, sp.Expr] = {}
    for v in variables:
        if v in counts:
            point[v] = sp.Integer(rng.randint(1, 6))
        elif v in gains:
            point[v] = sp.Rational(rng.randint(5, 20), 10)
        else:
            point[v] = sp.Rational(rng.randint(-900, 900), rng.randint(300, 700))
    return point


def differs(claimed: sp.Expr, true: sp.Expr) -> bool:
    """Whether two evaluated numbers differ beyond the working precision (DPS digits)."""
    value = claimed - true
    return bool(value != 0 and abs(value) > sp.Float(10) ** (-DPS + 10) * (1 + abs(true)))


def random_point(ctx: Context, seed: int, constrained: bool = True) -> dict[Any, sp.Expr]:
    """The network's independent quantities at the seed's point. When the loss constrains its
    targets (categorical targets sum to 1) and ``constrained`` holds, each case's targets are
    positive and sum to that value."""
    point = sample(leaves(ctx), random.Random(seed))
    point = both_signs(ctx.scope, point, seed, lambda e, at: evaluate_at(ctx, e, at, 15))
    constraint = target_constraint(ctx.scope.net)
    if constrained and constraint is not None:
        for targets in case_targets(ctx):
            raw = [abs(point[t]) + sp.Rational(1, 10) for t in targets]
            point.update({t: v * constraint[1] / sp.Add(*raw) for t, v in zip(targets, raw)})
    return point


def at_seed(
    ctx: Context, seed: int, constrained: bool = True, digits: int = DPS + 10
) -> tuple[dict[Any, sp.Expr], dict[Any, sp.Expr]]:
    """The seed's random point and the values already computed there at ``digits`` (the
    context's :attr:`~symbackprop.verify.claim.Context.numbers`: the network's intermediates
    are evaluated once per point, not once per binding and side of a claim)."""
    memo = ctx.numbers.setdefault((seed, constrained, digits), {})
    point = ctx.points.get((seed, constrained))
    if point is None:
        point = ctx.points[seed, constrained] = random_point(ctx, seed, constrained)
    return point, memo


def case_targets(ctx: Context) -> list[list[Any]]:
    """The target quantities of each case of the random point (one list when there are no
    cases)."""
    net = ctx.scope.net
    if net.case is None:
        return [list(net.targets)]
    return [[y.base[c] for y in net.targets] for c in range(1, CASES + 1)]


def evaluate_at(
    ctx: Context,
    expr: sp.Expr,
    point: Mapping[Any, sp.Expr],
    digits: int = DPS,
    memo: dict[Any, sp.Expr] | None = None,
) -> sp.Expr:
    """expr at a point, bottom-up through the definitions (each intermediate computed once;
    ``memo``, shared by several calls at one point and precision, keeps them across calls).
    A mean over n cases is taken over CASES cases."""
    scope, net = ctx.scope, ctx.scope.net
    defs = scope.definitions
    if memo is None:
        memo = {}
    memo.update(point)
    if ctx.learning_rate is not None:
        memo[net.lr] = ctx.learning_rate

    def atom(a: Any) -> sp.Expr:
        if a in memo:
            return memo[a]
        key, sub = a, {}
        if isinstance(a, sp.Indexed) and net.case is not None:
            key, sub = a.base[net.case], {net.case: a.indices[0]}
        if key not in defs:
            raise KeyError(a)
        memo[a] = value(defs[key].xreplace(sub) if sub else defs[key])
        return memo[a]

    def value(e: sp.Expr) -> sp.Expr:
        if net.n_cases is not None and (e.has(sp.Sum) or e.has(net.n_cases)):
            e = unroll(e.xreplace({net.n_cases: sp.Integer(CASES)}))
        indexed = set(e.atoms(sp.Indexed))
        inner = {s for a in indexed for s in a.free_symbols if s != a}
        atoms = indexed | {s for s in e.free_symbols if s not in inner}
        out = e.xreplace({a: atom(a) for a in atoms})
        for _ in range(64):
            ready = {
                f for f in out.atoms(sp.Function) if f.args and all(x.is_number for x in f.args)
            }
            if not ready:
                break
            out = out.xreplace({f: f.evalf(digits + 10) for f in ready})
        return out.evalf(digits + 10)

    return value(expr).evalf(digits)


def unroll(expr: sp.Expr) -> sp.Expr:
    """Sums with whole-number limits written out term by term (``Sum.doit`` tries closed forms:
    slow)."""

    def terms(s: sp.Sum) -> sp.Expr:
        (var, lo, hi), *rest = s.limits
        if rest or not (lo.is_Integer and hi.is_Integer):
            return s.doit()
        return sp.Add(
            *[s.function.xreplace({var: sp.Integer(k)}) for k in range(int(lo), int(hi) + 1)]
        )

    return expr.replace(lambda e: isinstance(e, sp.Sum), terms)


def network_counterexample(
    ctx: Context, lhs: sp.Expr, rhs: sp.Expr, constrained: bool = True
) -> str | None:
    """A point where claim and truth differ (50 digits), '' if they agree at every point tried,
    None if they could not be evaluated. A claim about one case's quantities (o_1 of case i)
    is evaluated at case 1 (with every case's data random; a Sum keeps its own i)."""
    case = ctx.scope.net.case
    if case is not None:
        lhs, rhs = (
            e.subs(case, 1) if e.has(sp.Sum) else e.xreplace({case: sp.Integer(1)})
            for e in (lhs, rhs)
        )
    for seed in range(POINTS):
        point, memo = at_seed(ctx, seed, constrained)
        try:
            claimed, true = (
                evaluate_at(ctx, rhs, point, DPS + 10, memo),
                evaluate_at(ctx, lhs, point, DPS + 10, memo),
            )
        except KeyError:  # a quantity with no value: leave it to the symbolic check
            return None
        if not (claimed - true).is_number:
            return None
        if differs(claimed, true):
            named = (folded(ctx.scope, lhs), folded(ctx.scope, rhs))  # as written: a, not σ(z)
            shown = ", ".join(_quantities(ctx, *named, seed, constrained))
            at = f"at {shown}: " if shown else "at a random point: "
            return f"{at}claim {_digits(claimed)}, true {_digits(true)}"
    return ""


SHOWN_DIGITS = 6
MAX_SHOWN = 12


def _digits(value: sp.Expr) -> str:
    return str(sp.Float(value, SHOWN_DIGITS))


def _quantities(
    ctx: Context, lhs: sp.Expr, rhs: sp.Expr, seed: int, constrained: bool
) -> list[str]:
    """The values (6 significant digits) at the seed's point of the quantities the claim and
    the truth are written in (intermediates such as a, z, δ; not every parameter of the
    network), computed once per context and point."""
    named = sorted((symbols_of(lhs) | symbols_of(rhs)) - {ERROR}, key=lambda q: ctx.show(q))
    out = []
    point, memo = at_seed(ctx, seed, constrained, SHOWN_DIGITS + 10)
    for q in named:
        if isinstance(q, sp.Symbol) and any(q in i.free_symbols for i in named if i != q):
            continue  # an index of an Indexed quantity
        try:
            value = evaluate_at(ctx, q, point, SHOWN_DIGITS + 10, memo)
        except KeyError:
            continue
        if value.is_number:
            out.append(f"{ctx.show(q)} = {_digits(value)}")
    return out[:MAX_SHOWN] + (["..."] if len(out) > MAX_SHOWN else [])


def rounded(value: sp.Expr, decimals: int) -> sp.Rational:
    scale = sp.Integer(10) ** decimals
    return sp.floor(sp.nsimplify(value) * scale + sp.Rational(1, 2)) / scale


def written_decimals(node: Node) -> int | None:
    texts = [n.text for n in walk(node) if isinstance(n, Num)]
    if not texts:
        return None
    return max(len(t.partition(".")[2]) for t in texts)


def value_table(ctx: Context) -> dict[Any, sp.Expr]:
    values, net = ctx.values, ctx.scope.net
    assert values is not None
    table: dict[Any, sp.Expr] = {p.symbol: values.params[p.id] for p in net.params}
    table.update(zip(net.inputs, values.x[0]))
    table.update(zip(net.targets, values.y[0]))
    if values.lr is not None:
        table[net.lr] = values.lr
    if values.gain is not None and net.gain is not None:
        table[net.gain] = values.gain
    return table


MAX_FACTOR_OPS = 60  # larger ratios are not factored (multivariate factoring takes minutes)
MAX_FACTOR_SYMBOLS = 8


def small(expr: sp.Expr) -> bool:
    """Whether expr is small enough to factor as polynomials quickly."""
    return sp.count_ops(expr) <= MAX_FACTOR_OPS and len(symbols_of(expr)) <= MAX_FACTOR_SYMBOLS


@lru_cache(maxsize=512)
def factored(expr: sp.Expr) -> sp.Expr:
    """expr factored when it is small enough to factor quickly, else as it is (each expression
    factored once: a diagnosis asks again for the same ratio and chain-rule factors)."""
    if not small(expr):  # ratio_of has taken the terms' common factors out already
        return expr
    try:
        return sp.factor(expr)
    except (sp.PolynomialError, TypeError, ValueError):  # pragma: no cover - SymPy's limits
        return expr


def natural_pair(ctx: Context, claimed: sp.Expr, true: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Claim and truth as written (intermediates folded into their names, the common factors of
    each sum's terms taken out), without the factors they share."""
    scope = ctx.scope
    return cancel_common(common_out(folded(scope, claimed)), common_out(folded(scope, true)))


def common_out(expr: sp.Expr) -> sp.Expr:
    """A sum's (or a product's sums') common symbolic factors taken out of its terms, one level
    deep (``factor_terms`` recurses into every subexpression: slow on a network's sums)."""
    if isinstance(expr, sp.Mul):
        return sp.Mul(*(common_out(f) for f in expr.args))
    if not isinstance(expr, sp.Add):
        return expr
    terms = [powers(t) for t in expr.args]
    shared = Counter(terms[0][1])
    for _, factors in terms[1:]:
        shared &= factors
    if not shared:
        return expr
    rest = [
        c * sp.Mul(*(b ** (e - shared.get(b, 0)) for b, e in factors.items()))
        for c, factors in terms
    ]
    return sp.Mul(*(b**e for b, e in shared.items()), sp.Add(*rest))


def ratio_of(
    rhs: sp.Expr,
    lhs: sp.Expr,
    ctx: Context | None = None,
    natural: tuple[sp.Expr, sp.Expr] | None = None,
) -> sp.Expr | None:
    """claim/true simplified. With ``ctx`` (or the :func:`natural_pair` already computed), the
    intermediates are folded into their names and the factors both sides share cancelled
    before any factoring; only a small ratio is factored as polynomials."""
    if lhs == 0:
        return None
    if natural is None and ctx is not None:
        natural = natural_pair(ctx, rhs, lhs)
    ratio = natural[0] / natural[1] if natural is not None else rhs / lhs
    if not small(ratio):
        return ratio
    try:
        return sp.factor(sp.cancel(ratio))
    except (sp.PolynomialError, TypeError, ValueError):  # pragma: no cover
        return sp.cancel(ratio)


def powers(expr: sp.Expr) -> tuple[sp.Expr, Counter[sp.Expr]]:
    """The numeric coefficient of a product, and each other factor's base with its power."""
    coeff: sp.Expr = sp.Integer(1)
    out: Counter[sp.Expr] = Counter()
    for f in sp.Mul.make_args(expr):
        if f.is_number:
            coeff *= f
            continue
        base, exp = f.as_base_exp()
        if exp.is_Integer:
            out[base] += int(exp)
        else:
            out[f] += 1
    return coeff, out


def cancel_common(num: sp.Expr, den: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """num and den without the factors they share: the same factor, or two sums that expand
    to the same polynomial (or to its negative)."""
    cn, fn = powers(num)
    cd, fd = powers(den)
    sign = sp.Integer(1)
    for a in list(fn):
        for b in list(fd):
            if fn[a] <= 0 or fd[b] <= 0:
                continue
            if a == b or (isinstance(a, sp.Add) and expands_to_zero(a - b)):
                flip = 1
            elif isinstance(a, sp.Add) and isinstance(b, sp.Add) and expands_to_zero(a + b):
                flip = -1
            else:
                continue
            k = min(fn[a], fd[b])
            fn[a] -= k
            fd[b] -= k
            sign *= flip**k
    rest_n = sp.Mul(*(b**e for b, e in fn.items() if e > 0))
    rest_d = sp.Mul(*(b**e for b, e in fd.items() if e > 0))
    return sign * cn * rest_n, cd * rest_d
