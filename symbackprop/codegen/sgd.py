"""The per-sample SGD loop of an unrolled module, arranged for a short chain of dependent steps.

Per-sample SGD is one long chain: case i+1's forward pass needs the parameters case i has just
updated. The layer-1 net inputs are where that chain is longest, going through every first-layer
weight. Since dE/dw1_j_k = delta1_j x_k and dE/db1_j = delta1_j, the next case's net input
(inputs x') follows from the current parameters and this case's delta1_j alone:

    z1_j' = sum_k (w1_j_k - lr delta1_j x_k) x'_k + (b1_j - lr delta1_j)
          = (sum_k w1_j_k x'_k + b1_j) - lr (x . x' + 1) delta1_j

The bracket and lr (x . x' + 1) need no delta. The product lr (x . x' + 1) delta1_j of the
delta's own factors (the flattened products of the derivation's common subexpressions) is split
in two, each multiplied in the order its factors become available, and taken off the bracket by
one fused multiply-add (the module's _fma): the latest factors join last. The parameters are
still updated one by one from the same dE/dp; only the carried net inputs are computed this
way. It applies when every first-layer gradient has that form in the printed block; the caller
leaves it out with an L2 penalty, whose steps also shrink the weights.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from symbackprop.codegen.common import Line
from symbackprop.codegen.numba_printer import NumbaPrinter
from symbackprop.model.network import Network

# Rough cycle counts of one step, only to order a product's factors by when they are ready.
STEP = 4
CALL = 40
NEXT = "i_next"  # the next case's row: i + 1, or 0 after the last
RATE = "lr_next"  # lr (x . x' + 1): the factor of delta1_j in the next net inputs


@dataclass(frozen=True)
class SgdPlan:
    """The pieces of the per-sample loop that carry the layer-1 net inputs from case to case."""

    inputs: tuple[str, ...]  # the next case's inputs, loaded from row NEXT
    first: tuple[Line, ...]  # the net inputs of row 0, before the first epoch
    forward: tuple[Line, ...]  # the forward pass without the layer-1 net inputs
    rate: str  # RATE's expression
    advance: tuple[Line, ...]  # the next case's layer-1 net inputs, before any update
    carry: tuple[Line, ...]  # the case's end: they become the layer-1 net inputs


def _opened(pairs: list[tuple[sp.Symbol, sp.Expr]], inputs: tuple[sp.Expr, ...]) -> dict:
    """The common subexpressions that hold an input, each written out in the inputs."""
    out: dict[sp.Symbol, sp.Expr] = {}
    for t, e in pairs:
        e = e.xreplace(out)
        if e.has(*inputs):
            out[t] = e
    return out


def _delta(
    net: Network, grads: dict[str, sp.Expr], temps: dict[sp.Symbol, sp.Expr], j: int
) -> sp.Expr | None:
    """delta1_j in the names of the block (dE/db1_j, or dE/dw1_j_1 over x1), if every dE/dw1_j_k
    is delta1_j x_k there (the same product of factors), else None."""
    inputs = net.inputs
    opened = _opened(list(temps.items()), inputs)
    slopes = []
    for k, x in enumerate(inputs, start=1):
        g = grads[f"w1_{j}_{k}"].xreplace(opened)
        d = sp.diff(g, x)
        if d.has(*inputs) or sp.expand(g - d * x) != 0:
            return None
        slopes.append(d)
    bias = grads.get(f"b1_{j}")
    delta = slopes[0] if bias is None else bias
    flat = sp.Mul(*_factors(delta, temps))
    if any(sp.Mul(*_factors(d, temps)) != flat for d in slopes):
        return None
    return delta


class Timing:
    """When each name of the loop body is ready, roughly: one STEP per operation, CALL per
    function; the layer-1 net inputs and everything outside the body at 0."""

    def __init__(self, net: Network, temps: dict[sp.Symbol, sp.Expr]) -> None:
        self.defs: dict[sp.Expr, sp.Expr] = {**dict(net.definitions), **temps}
        for z in net.z[1]:
            self.defs.pop(z, None)
        self.memo: dict[sp.Expr, int] = {}

    def ready(self, e: sp.Expr) -> int:
        if e in self.memo:
            return self.memo[e]
        if e in self.defs:
            t = self.ready(self.defs[e])
        elif not e.args:
            t = 0
        elif isinstance(e, sp.Mul) and e.args[0] == -1:  # a sign: the sum it is in takes it
            t = self.ready(sp.Mul(*e.args[1:]))
        else:
            step = STEP if isinstance(e, sp.Add | sp.Mul | sp.Pow) else CALL
            t = max(self.ready(a) for a in e.args) + step
        self.memo[e] = t
        return t


def _factors(e: sp.Expr, temps: dict[sp.Symbol, sp.Expr]) -> list[sp.Expr]:
    """The factors of e, the products among the common subexpressions taken apart."""
    if e in temps and isinstance(temps[e], sp.Mul):
        return _factors(temps[e], temps)
    if isinstance(e, sp.Mul):
        return [f for a in e.args for f in _factors(a, temps)]
    return [e]


def _late_product(
    delta: sp.Expr,
    bracket: str,
    temps: dict[sp.Symbol, sp.Expr],
    timing: Timing,
    printer: NumbaPrinter,
) -> str:
    """bracket - RATE * delta as one fused multiply-add of two products, each multiplied in the
    order its factors become ready (the two earliest first, ties to the factors of the delta)."""
    factors = _factors(delta, temps)
    coeff = sp.Mul(*[f for f in factors if f.is_number])
    rest = sorted(
        (f for f in factors if not f.is_number), key=lambda f: (timing.ready(f), sp.srepr(f))
    )
    rate = RATE if abs(coeff) == 1 else f"({RATE}*{printer.doprint(abs(coeff))})"
    items = [(0, 0, rate)]
    items += [
        (timing.ready(f), n, printer.parenthesize(f, PRECEDENCE["Mul"]))
        for n, f in enumerate(rest, 1)
    ]
    heapq.heapify(items)
    made = len(items)
    while len(items) > 2:
        (ta, _, a), (tb, _, b) = heapq.heappop(items), heapq.heappop(items)
        heapq.heappush(items, (max(ta, tb) + STEP, made, f"({a}*{b})"))
        made += 1
    texts = [text for _, _, text in sorted(items)]
    first, second = texts if len(texts) == 2 else ("1.0", texts[0])
    sign = "" if coeff.is_negative else "-"
    return f"_fma({sign}{first}, {second}, {bracket})"


def sgd_plan(
    net: Network,
    forward: tuple[Line, ...],
    cse: tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]],
    printer: NumbaPrinter,
) -> SgdPlan | None:
    """The carried layer-1 net inputs, or None where a first-layer gradient is not delta1_j x_k."""
    spec = net.spec
    pairs, reduced = cse
    temps = dict(pairs)
    grads = {p.id: v for p, v in zip(net.params, reduced[1:])}
    deltas = [_delta(net, grads, temps, j) for j in range(1, spec.sizes[1] + 1)]
    if any(d is None for d in deltas):
        return None
    nexts = tuple(f"{printer.doprint(x)}_next" for x in net.inputs)
    bias = spec.biases[0]
    first_z = {printer.doprint(z) for z in net.z[1]}

    def bracket(j: int) -> str:
        terms = [f"w1_{j}_{k}*{x}" for k, x in enumerate(nexts, start=1)]
        return " + ".join(terms + ([f"b1_{j}"] if bias else []))

    dot = " + ".join(f"{printer.doprint(x)}*{nx}" for x, nx in zip(net.inputs, nexts))
    timing = Timing(net, temps)
    advance = []
    for j, (z, delta) in enumerate(zip(net.z[1], deltas), start=1):
        assert delta is not None
        late = _late_product(delta, bracket(j), temps, timing, printer)
        advance.append(Line(f"{printer.doprint(z)}_next", late))
    return SgdPlan(
        inputs=nexts,
        first=tuple(Line(printer.doprint(z), bracket(j)) for j, z in enumerate(net.z[1], 1)),
        forward=tuple(line for line in forward if line.lhs not in first_z),
        rate=f"lr * ({dot}{' + 1.0' if bias else ''})",
        advance=tuple(advance),
        carry=tuple(Line(line.lhs[: -len("_next")], line.lhs) for line in advance),
    )
