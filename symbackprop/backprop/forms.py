"""Every dE/dp in three forms: exact, chain and compact.

* ``exact``: ``sympy.diff`` of the closed-form error, in inputs, targets and parameters.
* ``chain``: a sum over the paths from E down to p of products of local factors,
  each factor dN/dD with its value, the way the sources write the chain rule.
* ``compact``: the delta recursion in named intermediates, built locally layer by
  layer (never by simplifying the exact form), in chain order.

Each form carries an evaluated SymPy expression (for maths) and an unevaluated
twin in source order (for printing); the tests prove all of them equal.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import cast

import sympy as sp
from sympy.core.basic import _args_sortkey

from symbackprop.errors import SpecError
from symbackprop.model.network import Network, Param
from symbackprop.util import once

MAX_PATHS = 512
ERROR = sp.Symbol("E")


@dataclass(frozen=True)
class Factor:
    """One local chain-rule factor d(num)/d(den) and its value."""

    num: sp.Expr
    den: sp.Expr
    value: sp.Expr
    display: sp.Expr


@dataclass(frozen=True)
class Term:
    """A value and its unevaluated, source-ordered display twin."""

    value: sp.Expr
    display: sp.Expr


def _gather(
    factors: list[sp.Expr], coeff: sp.Expr = sp.S.One, rest: tuple[sp.Expr, ...] = ()
) -> tuple[sp.Expr, tuple[sp.Expr, ...]]:
    """The numbers multiplied into ``coeff`` and the other factors appended to ``rest``, in
    order."""
    out = list(rest)
    stack = list(factors)
    while stack:
        f = stack.pop(0)
        if isinstance(f, sp.Mul):
            stack[:0] = list(f.args)
        elif f.is_Number:
            coeff *= f
        else:
            out.append(f)
    return coeff, tuple(out)


def _assemble(coeff: sp.Expr, rest: tuple[sp.Expr, ...], plain: bool = False) -> sp.Expr:
    if coeff == 0:
        return sp.Integer(0)
    if not rest:
        return coeff
    if coeff == 1:
        return rest[0] if len(rest) == 1 else _unevaluated_mul(rest, plain)
    return _unevaluated_mul((coeff, *rest), plain)


def _unevaluated_mul(args: tuple[sp.Expr, ...], plain: bool = False) -> sp.Expr:
    """``sympy.Mul(*args, evaluate=False)`` for arguments that are SymPy expressions, without its
    cache.

    ``plain``: the caller knows every argument is ``_plain``, so there is nothing to check.
    """
    if plain:
        return sp.Mul._from_args(args, True)
    return sp.Mul._exec_constructor_postprocessors(sp.Mul._from_args(args))


def _plain(expr: sp.Expr) -> bool:
    """Commutative, and no SymPy constructor postprocessor applies (SymPy registers them for
    matrices)."""
    cls: type = type(expr)  # mypy: type[Any] (of an untyped SymPy Expr) is not Hashable
    return bool(expr.is_commutative) and _plain_type(cls)


@cache
def _plain_type(cls: type) -> bool:
    return not any(base in sp.Basic._constructor_postprocessor_mapping for base in cls.mro())


def product(factors: list[sp.Expr]) -> sp.Expr:
    """An unevaluated product in the given order, numbers gathered in front, ones dropped."""
    return _assemble(*_gather(factors))


def total(terms: list[sp.Expr]) -> sp.Expr:
    terms = [t for t in terms if t != 0]
    if not terms:
        return sp.Integer(0)
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def evaluate(display: sp.Expr) -> sp.Expr:
    """The evaluated expression behind a display twin."""
    return display.doit(deep=True) if display.args else display


@dataclass(frozen=True)
class Gradient:
    """dE/dp for one parameter, in every form."""

    net: Network
    param: Param
    error_terms: bool = False

    @once
    def exact(self) -> sp.Expr:
        return sp.diff(self.net.error, self.param.symbol)

    @once
    def per_case(self) -> Term:
        """The compact form for one training case (the whole gradient without a mean)."""
        return _compact_case(self.net, self.param, self.error_terms)

    @once
    def compact(self) -> Term:
        return _penalised(self.net, self.param, _over_cases(self.net, self.per_case))

    @once
    def exact_display(self) -> Term:
        """The compact display with every intermediate expanded: a closed form in chain order."""
        per_case = self.per_case
        shown = expand_display(per_case.display, self.net.displays, self.net.display_memo)
        gathered = _over_cases(self.net, Term(self.net.to_closed(per_case.value), shown))
        return _penalised(self.net, self.param, gathered)

    @once
    def chain(self) -> tuple[tuple[Factor, ...], ...]:
        return chain_paths(self.net, self.param, self.error_terms)

    def chain_value(self) -> sp.Expr:
        per_case = sp.Add(*[sp.Mul(*[f.value for f in path]) for path in self.chain])
        return self.net.over_cases(per_case) + self.net.penalty_slope(self.param)


def _over_cases(net: Network, per_case: Term) -> Term:
    """The mean (1/n) sum_i or the sum sum_i of a per-case term; the term itself for one case."""
    if net.case is None:
        return per_case
    assert net.n_cases is not None
    limits = (net.case, 1, net.n_cases)
    shown = sp.Sum(per_case.display, limits)
    if net.spec.mean:
        shown = sp.Mul(1 / net.n_cases, shown, evaluate=False)
    return Term(net.over_cases(per_case.value), shown)


def _penalised(net: Network, p: Param, gathered: Term) -> Term:
    """The gradient of the data term plus the L2 penalty's lambda p, when it covers p."""
    slope = net.penalty_slope(p)
    if slope == 0:
        return gathered
    shown = net.penalty_display(p)
    if gathered.display == 0:
        return Term(slope, shown)
    return Term(gathered.value + slope, sp.Add(gathered.display, shown, evaluate=False))


def expand_display(
    expr: sp.Expr, displays: Mapping[sp.Expr, sp.Expr], memo: dict[sp.Expr, sp.Expr] | None = None
) -> sp.Expr:
    """Replace intermediates by their displayed definitions, keeping every node unevaluated.

    ``memo`` caches the expansion of each intermediate (share it across gradients).
    """
    memo = {} if memo is None else memo

    def walk(e: sp.Expr) -> sp.Expr:
        if e in displays and displays[e] != e:
            if e not in memo:
                memo[e] = walk(displays[e])
            return memo[e]
        if not e.args or isinstance(e, sp.Indexed):
            return e
        args = [walk(arg) for arg in e.args]
        if isinstance(e, sp.Add):  # a sum expanded inside a sum needs no brackets
            args = [t for arg in args for t in (arg.args if isinstance(arg, sp.Add) else (arg,))]
        if isinstance(e, (sp.Add, sp.Mul, sp.Pow)):
            return e.func(*args, evaluate=False)
        if isinstance(e, sp.Sum):
            return sp.Sum(args[0], *e.limits)
        return e.func(*args)

    return walk(expr)


def _loss_factors(net: Network, i: int, error_terms: bool) -> list[Factor]:
    """Factors from E down to the output o_i (through the named error term e_i if asked)."""
    o, y, e = net.outputs[i - 1], net.targets[i - 1], net.errors[i - 1]
    loss = net.loss
    if error_terms and loss.scale is not None:
        sign = -1 if net.residual == "target-output" else 1
        de = loss.slope_by_error_term(e)
        return [
            Factor(ERROR, e, evaluate(de), de),
            Factor(e, o, sp.Integer(sign), sp.Integer(sign)),
        ]
    return [Factor(ERROR, o, loss.slope(o, y), loss.slope_display(o, y, net.residual))]


def _count_paths(net: Network, l: int, j: int) -> int:
    """How many chain-rule paths run from E down to z^{(l)}_j."""
    count = len(net.feeds(l, j))
    for k in range(l + 1, net.depth + 1):
        count *= net.spec.sizes[k] * len(net.feeds(k, 1))
    return count


def chain_paths(
    net: Network, p: Param, error_terms: bool = False
) -> tuple[tuple[Factor, ...], ...]:
    """Every path from E down to p, as a tuple of local factors in chain order."""
    count = _count_paths(net, p.layer, p.to_unit)
    if count > MAX_PATHS:
        raise SpecError(
            f"{p.id} has {count} chain-rule paths (more than {MAX_PATHS}); use --form compact, "
            "which groups them by the delta recursion"
        )

    def down(l: int, j: int) -> list[list[Factor]]:
        """Paths from E to z^{(l)}_j."""
        paths = []
        for i in net.feeds(l, j):
            value, shown = net.jacobian(l, i, j)
            if l == net.depth:
                node, heads = net.outputs[i - 1], [_loss_factors(net, i, error_terms)]
            else:
                node = net.a[l][i - 1]
                heads = []
                for m in range(1, net.spec.sizes[l + 1] + 1):
                    w = net.param(f"w{l + 1}_{m}_{i}").symbol
                    heads += [
                        [*path, Factor(net.z[l + 1][m - 1], node, w, w)] for path in down(l + 1, m)
                    ]
            paths += [[*head, Factor(node, net.z[l][j - 1], value, shown)] for head in heads]
        return paths

    last = _last_factor(net, p)
    return tuple((*path, last) for path in down(p.layer, p.to_unit))


def _last_factor(net: Network, p: Param) -> Factor:
    last = _last_value(net, p)
    return Factor(net.z[p.layer][p.to_unit - 1], p.symbol, last, last)


def _last_value(net: Network, p: Param) -> sp.Expr:
    """dz/dp: the input the weight multiplies, or 1 for a bias."""
    if p.kind == "bias":
        return sp.Integer(1)
    assert p.from_unit is not None
    return net.a[p.layer - 1][p.from_unit - 1]


def deltas(net: Network, error_terms: bool = False) -> dict[tuple[int, int], Term]:
    """dE/dz^{(l)}_j for every unit, by the local recursion (per training case), computed once per
    network."""
    if error_terms not in net.delta_memo:
        net.delta_memo[error_terms] = _deltas(net, error_terms)
    # the model stage cannot name this stage's types; only deltas() fills the memo
    return cast("dict[tuple[int, int], Term]", net.delta_memo[error_terms])


def general_deltas(net: Network) -> dict[tuple[int, int], Term]:
    """:func:`deltas` for every target: without the constraint the targets of a categorical
    loss obey (their sum is 1), so cross-entropy's output delta is a_j (sum of y) - y_j."""
    key = ("general", False)
    if key not in net.delta_memo:
        net.delta_memo[key] = _deltas(net, False, constrained=False)
    return cast("dict[tuple[int, int], Term]", net.delta_memo[key])


def general_gradient(net: Network, p: Param) -> sp.Expr:
    """dE/dp (compact, over the cases) for every target, the constraint of
    :func:`target_constraint` not used. The same as the compact value when there is none."""
    value = general_deltas(net)[(p.layer, p.to_unit)].value * _last_value(net, p)
    return _over_cases(net, Term(value, value)).value


def target_constraint(net: Network) -> tuple[sp.Expr, int] | None:
    """(sum of the targets, its value) when the compact forms assume it (categorical targets
    sum to 1), else None."""
    if net.loss.target_sum is None:
        return None
    return sp.Add(*net.targets), net.loss.target_sum


def _deltas(
    net: Network, error_terms: bool, constrained: bool = True
) -> dict[tuple[int, int], Term]:
    L = net.depth
    out: dict[tuple[int, int], Term] = {}
    for l in range(L, 0, -1):
        # dE/da^{(l)}_i (dE/do_i at the output), from the layer above
        upstream: dict[int, Term] = {}
        for i in range(1, net.spec.sizes[l] + 1):
            if l == L:
                factors = _loss_factors(net, i, error_terms)
                upstream[i] = Term(
                    sp.Mul(*[f.value for f in factors]), product([f.display for f in factors])
                )
            else:
                above = [
                    (out[(l + 1, m)], net.param(f"w{l + 1}_{m}_{i}").symbol)
                    for m in range(1, net.spec.sizes[l + 1] + 1)
                ]
                upstream[i] = Term(
                    sp.Add(*[d.value * w for d, w in above]),
                    total([product([d.display, w]) for d, w in above]),
                )
        for j in range(1, net.spec.sizes[l] + 1):
            pairs = [(upstream[i], net.jacobian(l, i, j)) for i in net.feeds(l, j)]
            value = sp.Add(*[u.value * jv for u, (jv, _) in pairs])
            shown = total([product([u.display, jd]) for u, (_, jd) in pairs])
            simple = _simplified(net, value, constrained) if l == L else None
            out[(l, j)] = simple or Term(value, shown)
    return out


def _simplified(net: Network, value: sp.Expr, constrained: bool = True) -> Term | None:
    """The output delta simplified by SymPy when that makes it shorter (cross-entropy: a_j - y_j).

    The outputs are the last layer's activations, and targets obey the loss's constraint
    (one-hot targets sum to 1); the result is kept only if it has fewer operations.
    """
    L = net.depth
    in_a = value.xreplace(dict(zip(net.outputs, net.a[L])))
    candidate = sp.cancel(in_a)
    if constrained and net.loss.target_sum is not None:
        candidate = sp.collect(sp.expand(candidate), list(net.a[L])).subs(
            sp.Add(*net.targets), net.loss.target_sum
        )
    if sp.count_ops(candidate) >= sp.count_ops(in_a):
        return None
    terms = sp.Add.make_args(candidate)
    ordered = sorted(
        terms, key=lambda t: t.could_extract_minus_sign()
    )  # positive terms first: a - y
    return Term(candidate, sp.Add(*ordered, evaluate=False) if len(ordered) > 1 else candidate)


@dataclass(frozen=True)
class Scaled:
    """One unit's delta times the last factor of each of its parameters, without re-flattening.

    ``value(x)`` is ``delta * x`` exactly as SymPy builds it: the product of the delta with
    a placeholder symbol is flattened once per unit, and each parameter's atom x (an input
    or an activation of the layer below, absent from the delta) takes the placeholder's
    place, sorted by SymPy's own argument order. Anything else goes through ``sympy.Mul``.
    """

    delta: Term
    coeff: sp.Expr | None  # the template's numeric coefficient
    rest: tuple[sp.Expr, ...] | None  # its other arguments, sorted, without the placeholder
    keys: tuple[object, ...]  # their sort keys
    free: frozenset[sp.Expr]
    shown: tuple[sp.Expr, tuple[sp.Expr, ...]]  # the delta's display, gathered as ``product`` does
    plain: bool  # every argument of the template and every factor of the display is ``_plain``

    @staticmethod
    def of(delta: Term) -> Scaled:
        slot = sp.Dummy(real=True)
        template = delta.value * slot
        coeff = rest = None
        if (
            isinstance(template, sp.Mul)
            and template.is_commutative
            and template.args.count(slot) == 1
        ):
            args = template.args
            coeff = args[0] if args[0].is_Number else None
            rest = tuple(x for x in args[1 if coeff is not None else 0 :] if x is not slot)
        keys = tuple(_args_sortkey(x) for x in rest or ())
        shown = _gather([delta.display])
        plain = all(_plain(f) for f in (*shown[1], *(rest or ())))
        return Scaled(delta, coeff, rest, keys, frozenset(delta.value.free_symbols), shown, plain)

    def value(self, x: sp.Expr) -> sp.Expr:
        if x is sp.S.One:
            return self.delta.value
        atom = x.is_Symbol or isinstance(x, sp.Indexed)
        if self.rest is None or not atom or not self.plain or x in self.free or not _plain(x):
            return self.delta.value * x
        i = bisect.bisect(self.keys, _args_sortkey(x))
        args = (*self.rest[:i], x, *self.rest[i:])
        return sp.Mul._from_args(args if self.coeff is None else (self.coeff, *args), True)

    def times(self, x: sp.Expr) -> Term:
        """delta * x, evaluated and for display (the display as ``product`` writes it)."""
        return Term(self.value(x), _assemble(*_gather([x], *self.shown), self.plain and _plain(x)))


def scaled(net: Network, l: int, j: int, error_terms: bool = False) -> Scaled:
    """The ``Scaled`` of unit j of layer l, made once per network."""
    key = (error_terms, l, j)
    if key not in net.scaled_memo:
        net.scaled_memo[key] = Scaled.of(deltas(net, error_terms)[(l, j)])
    return cast(Scaled, net.scaled_memo[key])  # only scaled() fills the memo


def _compact_case(net: Network, p: Param, error_terms: bool) -> Term:
    return scaled(net, p.layer, p.to_unit, error_terms).times(_last_value(net, p))


def gradients(
    net: Network, ids: list[str] | None = None, error_terms: bool = False
) -> list[Gradient]:
    """The gradients of the named parameters (all of them by default), in theta order."""
    params = [net.param(pid) for pid in ids] if ids else list(net.params)
    return [Gradient(net, p, error_terms) for p in params]
