"""Identities about the activation function, written with a bare net input: Ng's
``g'(z) = a(1 - a)`` and ``g'(z) = 1 - a^2``, a slope written by cases; and identities about
the softmax of a free vector, ``\\mathrm{softmax}(\\boldsymbol{z})_i = \\frac{\\exp(z_i)}{\\sum_j
\\exp(z_j)}`` (see :func:`softmax_identity`); and rules written only in derivatives between
names, Goodfellow's chain rule (see :func:`derivative_rule`).

The notation's net-input letter without unit or layer (z) is a free real variable, its
activation letter (a) is the activation of z, and the notation's function symbol (g) is the
activation function. Such a statement is about one activation function: it is judged for the
activation of each layer in turn, as an identity in z. It holds when it holds for some layer's
activation (the remark names the layers it is about when the network's layers differ); it does
not hold when it holds for none, with the diagnosis for the last layer's activation.

A statement with a name this reading does not know is not one of these (None): it is read as
before, by the network's names or as a statement of calculus.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import sympy as sp

from symbackprop.model.activations import ReLU, to_elementary
from symbackprop.verify.calculus import compare, show
from symbackprop.verify.claim import Claim, Context, Outcome, Step, Verdict
from symbackprop.verify.keys import name_key
from symbackprop.verify.numeric import DPS, differs, is_zero
from symbackprop.verify.reader import (
    Add,
    BigSum,
    Frac,
    Group,
    Node,
    Num,
    Partial,
    Prod,
    Sym,
    parse,
    walk,
)
from symbackprop.verify.resolver import FreeRecord, Resolver, resolver
from symbackprop.verify.scope import ResolveError, Scope
from symbackprop.verify.values import as_partial, dependencies, mentions
from symbackprop.verify.vectorfunctions import bold_letter, is_softmax


def head_of(scope: Scope, key: str) -> str | None:
    """The head of a layer template's names (z of z^{[$l]}_{$j})."""
    latex = scope.notation.fill(scope.notation.layer_template(1, key), scope.net, 1, 1, 1)
    try:
        syms = [n for n in walk(parse(latex)) if isinstance(n, Sym)]
    except ResolveError:
        return None
    return syms[0].head if syms else None


def is_identity(scope: Scope, steps: Sequence[Step]) -> bool:
    """The steps write the net-input letter bare, and the activation letter bare or the
    notation's function symbol."""
    net, act = head_of(scope, "net"), head_of(scope, "activation")
    syms = [
        n
        for s in steps
        for side in (s.lhs, s.rhs)
        if side is not None
        for n in walk(side)
        if isinstance(n, Sym)
    ]
    bare = {n.head for n in syms if n.sub is None and n.sup is None and not n.primes}
    if net is None or net not in bare or scope.table.get(net) is not None:
        return False
    return (act in bare and scope.table.get(act or "") is None) or any(
        n.head == scope.function_key and n.sub is None for n in syms
    )


def activation_identity(ctx: Context, claim: Claim, steps: Sequence[Step]) -> list[Outcome] | None:
    """One outcome per step, or None when the steps are not an identity about the activation."""
    scope = ctx.scope
    if any(s.lhs is None for s in steps) or not is_identity(scope, steps):
        return None
    net, act = head_of(scope, "net"), head_of(scope, "activation")
    assert net is not None and act is not None
    z = sp.Symbol(net, real=True)
    kinds: dict[tuple[str, bool], list[int]] = {}
    for l in range(1, scope.spec.depth + 1):
        kinds.setdefault((scope.spec.activations[l - 1], scope.spec.gains[l - 1]), []).append(l)
    out = []
    for number, step in enumerate(steps, start=1):
        base = Outcome(
            claim.source, claim.latex, "calculus", "", "", Verdict.UNDECIDED, step=number
        )
        judged: list[tuple[list[int], str, Outcome]] = []
        for (name, _), layers in kinds.items():
            res = replace(resolver(scope, {}), activation_layer=layers[0], record=FreeRecord())
            res = replace(res, names={name_key(net, None, None): z})
            try:
                a = res.activation(z, 0, layers[0])
                res = replace(res, names={**res.names, name_key(act, None, None): a})
                lhs, rhs = res.expr(step.lhs), res.expr(step.rhs)  # type: ignore[arg-type]
            except ResolveError:
                continue  # (a softmax layer's function takes the whole layer)
            assert res.record is not None
            if res.record.network or mentions(lhs - rhs, scope.network_atoms):
                return None  # a statement about the network's quantities, not one function
            judged.append((layers, name, _compare(ctx, base, z, lhs, rhs)))
        if not judged:
            return None
        out.append(_verdict(base, judged, len(kinds) > 1))
    return out


def _verdict(base: Outcome, judged: list[tuple[list[int], str, Outcome]], several: bool) -> Outcome:
    def shown(layers: list[int], name: str) -> str:
        word = "layer" if len(layers) == 1 else "layers"
        return f"{word} {', '.join(map(str, layers))} ({name})"

    held = [(layers, name) for layers, name, o in judged if o.verdict is Verdict.HOLDS]
    if held:
        first = next(o for _, _, o in judged if o.verdict is Verdict.HOLDS)
        if not several:
            return first
        about = "; ".join(shown(layers, name) for layers, name in held)
        return replace(
            first, remark=_join(f"an identity for the activation of {about}", first.remark)
        )
    worst = min((o for _, _, o in judged), key=lambda o: Verdict(o.verdict).rank)
    if not several:
        return worst
    each = "; ".join(
        _join(shown(layers, name), o.counterexample or o.remark) for layers, name, o in judged
    )
    return replace(worst, remark=f"an identity for the activation of no layer: {each}")


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


KINKED = (sp.Piecewise, sp.Heaviside, ReLU, sp.Max, sp.Min)
TRIES = (sp.Rational(829, 497), sp.Rational(1, 3), sp.Rational(5, 2))  # t of each region
MAX_KINKS = 4


def _compare(ctx: Context, base: Outcome, z: sp.Symbol, lhs: sp.Expr, rhs: sp.Expr) -> Outcome:
    """lhs = rhs as an identity in z; with functions that change formula at kinks (ReLU, its
    slope, a function by cases), on every interval between the kinks, where the slope's value
    is a convention."""
    kinks = _kinks(z, lhs - rhs)
    if not kinks:
        return compare(ctx, base, lhs, rhs, set())
    t = sp.Symbol("t", positive=True)
    proved = True
    for inside in _intervals(kinks, t):
        left, right = (to_elementary(e.xreplace({z: inside})).doit() for e in (lhs, rhs))
        if is_zero(left - right):
            continue
        proved = False
        for c in TRIES:
            true, claimed = (sp.N(e.xreplace({t: c}), DPS) for e in (left, right))
            if differs(claimed, true):
                return replace(
                    base,
                    verdict=Verdict.FAILS,
                    correct=show(ctx, lhs),
                    counterexample=f"at {z} = {show(ctx, inside.xreplace({t: c}))}: claim"
                    f" {sp.N(claimed, 12)}, true {sp.N(true, 12)}",
                )
    if not proved:
        return replace(base, remark="zero at every point tried, but not proved symbolically")
    at = ", ".join(show(ctx, k) for k in kinks)
    return replace(
        base,
        verdict=Verdict.HOLDS,
        remark=f"equal on each side of the kink at {z} = {at}, where the slope is a convention",
    )


def _intervals(kinks: list[sp.Expr], t: sp.Symbol) -> list[sp.Expr]:
    """A point of each interval the kinks cut the line into, as a function of t > 0."""
    inner = [a + (b - a) / (1 + t) for a, b in itertools.pairwise(kinks)]
    return [kinks[0] - t, *inner, kinks[-1] + t]


def _kinks(z: sp.Symbol, expr: sp.Expr) -> list[sp.Expr]:
    """The points where a function with a kink in expr changes its formula, in order (none when
    there is no such function, or a kink is not a number)."""
    places: set[sp.Expr] = set()
    for f in expr.atoms(*KINKED):
        if isinstance(f, sp.Piecewise):
            args = [
                c.lhs - c.rhs for _, c in f.args if isinstance(c, sp.core.relational.Relational)
            ]
        elif isinstance(f, (sp.Max, sp.Min)):
            args = [a - b for a in f.args for b in f.args if str(a) < str(b)]
        else:
            args = [f.args[0]]
        for arg in args:
            if not arg.has(z) or not arg.is_polynomial(z) or sp.degree(arg, z) != 1:
                return []
            place = sp.solve(arg, z)[0]
            if not place.is_number:
                return []
            places.add(place)
    return sorted(places, key=float) if len(places) <= MAX_KINKS else []


def softmax_identity(ctx: Context, claim: Claim, steps: Sequence[Step]) -> list[Outcome] | None:
    """A statement about the softmax of a bold vector the notation does not name (Goodfellow's
    ``\\boldsymbol{z}``): the vector is (z_1, ..., z_n) of free variables, n the size of the
    network's softmax layer (else its output layer), a sum without limits runs over its
    components, and every index letter left free is bound to each component in turn. None when
    the steps are not such a statement."""
    scope = ctx.scope
    nodes = [side for s in steps for side in (s.lhs, s.rhs) if side is not None]
    syms = [n for n in walk(tuple(nodes)) if isinstance(n, Sym)]
    bold = {n.head: bold_letter(n) for n in syms if bold_letter(n) is not None}
    if any(s.lhs is None for s in steps) or not any(is_softmax(n) for n in syms) or not bold:
        return None
    if any(scope.table.get(name_key(head, None, None)) is not None for head in bold):
        return None
    layers = [l for l, name in enumerate(scope.spec.activations, start=1) if name == "softmax"]
    n = scope.spec.sizes[layers[-1] if layers else scope.spec.depth]
    vectors = {
        name_key(head, None, None): sp.Tuple(
            *[sp.IndexedBase(letter, real=True)[k] for k in range(1, n + 1)]
        )
        for head, letter in bold.items()
        if letter is not None
    }
    free = _free_letters(tuple(nodes))
    res = replace(resolver(scope, {}), names=vectors, components=n)
    return _over_components(ctx, claim, steps, res, free, f"for vectors of {n} components")


COMPONENTS = 3  # the length of a vector whose length a rule of calculus leaves open


def _free_letters(nodes: tuple[Node, ...]) -> list[str]:
    """The index letters of the names' subscripts that no sum binds."""
    summed = {b.var for b in walk(nodes) if isinstance(b, BigSum)}
    letters = {
        n.sub.expr.head
        for n in walk(nodes)
        if isinstance(n, Sym)
        and n.sub is not None
        and isinstance(n.sub.expr, Sym)
        and not n.sub.expr.scripted
        and n.sub.expr.kind == "letter"
    }
    return sorted(letters - summed)


def _over_components(
    ctx: Context,
    claim: Claim,
    steps: Sequence[Step],
    res: Resolver,
    free: list[str],
    note: str,
) -> list[Outcome] | None:
    """Each step read in free variables, for every binding of the free letters to the
    components 1..n (``res.components``); a name the statement differentiates depends on what
    it is differentiated by, and the statement must hold for every such function (a
    counterexample with polynomials refutes it). None when a step names a quantity of the
    network."""
    n = res.components or COMPONENTS
    out = []
    for values in itertools.product(range(1, n + 1), repeat=len(free)):
        env = dict(zip(free, values, strict=True))
        shown = ", ".join(f"{k}={v}" for k, v in env.items())
        for number, step in enumerate(steps, start=1):
            base = Outcome(
                claim.source, claim.latex, "calculus", "", shown, Verdict.UNDECIDED, step=number
            )
            assert step.lhs is not None
            bound = res.with_env(**env).free_reading()
            try:
                bound.expr(step.lhs), bound.expr(step.rhs)
                assert bound.record is not None
                if bound.record.network:
                    return None  # a statement about the network's quantities
                pairs = _whole_vectors(bound.record.pairs, n)
                bound = res.with_env(**env).free_reading(_named(dependencies(pairs)))
                lhs, rhs = bound.expr(step.lhs), bound.expr(step.rhs)
            except ResolveError:
                return None
            lhs, rhs = sp.expand_log(lhs), sp.expand_log(rhs)
            judged = compare(ctx, base, lhs, rhs, set())  # a rule for any functions
            out.append(replace(judged, remark=_join(judged.remark, note)))
    return out


def _named(functions: dict[sp.Expr, sp.Expr]) -> dict[sp.Expr, sp.Expr]:
    """The undefined functions of components named y_1, not y[1] (for the diagnosis)."""
    renamed = {
        f.func: sp.Function(f"{k.base}_{k.indices[0]}", real=True)
        for k, f in functions.items()
        if isinstance(k, sp.Indexed)
    }

    def rename(e: sp.Expr) -> sp.Expr:
        for old, new in renamed.items():
            e = e.replace(old, new)
        return e

    return {k: rename(f) for k, f in functions.items()}


def _whole_vectors(pairs: list[tuple[sp.Expr, sp.Expr]], n: int) -> list[tuple[sp.Expr, sp.Expr]]:
    """∂N/∂D between components of vectors: every component of N depends on every component of
    D (the statement writes one component; the rule is about the whole vector)."""

    def whole(e: sp.Expr) -> list[sp.Expr]:
        return [e.base[k] for k in range(1, n + 1)] if isinstance(e, sp.Indexed) else [e]

    return [(a, b) for num, den in pairs for a in whole(num) for b in whole(den)]


def derivative_rule(ctx: Context, claim: Claim, steps: Sequence[Step]) -> list[Outcome] | None:
    """A rule of calculus written only in derivatives between names, some of which the
    notation writes and some not (Goodfellow's chain rule 6.45, ∂z/∂x_i = Σ_j ∂z/∂y_j ∂y_j/∂x_i;
    names none of which the notation writes are a statement of calculus, :mod:`calculus`):
    every name is a variable of calculus, even one the notation gives a meaning (x and y are
    not the network's input and target here), each depends on what it is differentiated by, a
    sum without limits runs over 3 components and a free index over each. None when the steps
    are not one."""
    scope = ctx.scope
    nodes = tuple(side for s in steps for side in (s.lhs, s.rhs) if side is not None)
    if any(s.lhs is None for s in steps) or not all(_derivatives_only(n) for n in nodes):
        return None
    if not all(any(isinstance(p, Partial) for p in walk((n,))) for n in nodes):
        return None  # a derivative equal to a number is a claim about a name, not a rule
    bodies = [p.body for p in walk(nodes) if isinstance(p, Partial)]
    if not bodies or not all(isinstance(b, Sym) and b.kind == "letter" for b in bodies):
        return None
    heads = {b.head for b in bodies if isinstance(b, Sym)}
    known = scope.notation.name_heads() | {k for k in scope.table if k.isalpha()}
    free = _free_letters(nodes)
    if heads <= known or not _names_network(resolver(scope, {}), steps, free):
        return None  # all the notation's names, or a statement of calculus (:mod:`calculus`)
    res = replace(resolver(scope, {}), unnamed=frozenset(heads), components=COMPONENTS)
    note = f"a rule for any functions; sums over {COMPONENTS} components"
    return _over_components(ctx, claim, steps, res, free, note)


def _names_network(res: Resolver, steps: Sequence[Step], free: list[str]) -> bool:
    """Whether a step, read as a statement of calculus with its free letters at 1, names a
    quantity of the network."""
    probe = replace(res, components=COMPONENTS).with_env(**dict.fromkeys(free, 1)).free_reading()
    for step in steps:
        try:
            probe.expr(step.rhs)
            if step.lhs is not None:
                probe.expr(step.lhs)
        except ResolveError:
            return True
    return bool(probe.record is not None and probe.record.network)


def _derivatives_only(node: Node) -> bool:
    """Whether a side is made of derivatives ∂N/∂D (sums, products and numbers of them)."""
    if isinstance(node, Frac):
        num, den = as_partial(node.num), as_partial(node.den)
        return isinstance(num, Partial) and isinstance(den, Partial)
    if isinstance(node, Prod):
        return all(_derivatives_only(item) for _, item in node.items)
    if isinstance(node, Add):
        return all(_derivatives_only(term) for _, term in node.terms)
    if isinstance(node, BigSum):
        return _derivatives_only(node.body)
    if isinstance(node, Group) and node.kind == "paren" and len(node.items) == 1:
        return _derivatives_only(node.items[0])
    return isinstance(node, Num)
