"""General index-form formulas: backpropagation for a layer of symbolic size.

Each layer l has a symbolic size (an integer symbol such as H) and a unit index
(h). Its net input is an ``Indexed``/``Sum`` expression, z^{(l)}_j =
Sum_k' w^{(l)}_{j,k'} a^{(l-1)}_{k'} + b^{(l)}_j, and every local factor of the chain
rule is ``sympy.diff`` of such a definition: SymPy answers with a sum of
``KroneckerDelta`` terms, which :func:`resolve` collapses.

Assumption (documented in docs/indexform.md): every free index is in range,
1 <= j <= N_l. SymPy returns ``Piecewise((f(j), (j >= 1) & (j <= N)), (0, True))`` when
it collapses a delta sum; :func:`resolve` keeps the first branch exactly when each
relation of its condition is one of those range facts, and refuses otherwise.

The sum over the units of the next layer (the chain rule through a layer) is
itself a derivative: dE/dz^{(l)}_j is the derivative of the first-order expansion
Sum_m delta^{(l+1)}_m z^{(l+1)}_m with delta held fixed, so SymPy writes that sum too.

Each formula is a :class:`Formula`: an evaluated SymPy ``value`` (the result) and
unevaluated display rows in chain order (partials, factor values, result).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from string import Template
from typing import Any

import sympy as sp

from symbackprop.backprop.forms import Term, product
from symbackprop.backprop.indexscheme import (
    DEFAULT_SIZE,
    ERROR,
    GENERIC_LAYERS,
    Formula,
    IndexFormError,
    Layer,
    Partial,
    Scheme,
    Step,
    constants_first,
    pull_constants,
    range_facts,
    rename_dummies,
    resolve,
    scheme,
    shown_layer,
    unit_letters,
)
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.losses import LOSSES
from symbackprop.model.network import RESIDUALS
from symbackprop.model.notation import Notation
from symbackprop.model.spec import NetworkSpec

# ---------------------------------------------------------------- the scheme


# ---------------------------------------------------------------- resolving


# ---------------------------------------------------------------- the derivation


@dataclass(frozen=True)
class Deriver:
    """Local derivatives of one scheme, each by ``sympy.diff`` of an indexed definition."""

    spec: NetworkSpec
    s: Scheme
    residual: str
    error_terms: bool

    @property
    def facts(self) -> frozenset[sp.Basic]:
        return range_facts(self.s.layers)

    @property
    def top(self) -> int:
        return len(self.s.layers) - 1

    def layer(self, pos: int) -> Layer:
        return self.s.layers[pos]

    def below(self, pos: int) -> sp.IndexedBase:
        return self.s.inputs if pos == 1 else self.layer(pos - 1).a

    def net_input(self, pos: int, unit: sp.Expr, display: bool = False) -> sp.Expr:
        """z^{(l)}_unit = Sum_k' w_{unit,k'} a^{(l-1)}_{k'} (+ b_unit)."""
        this, prev = self.layer(pos), self.layer(pos - 1)
        k = prev.running
        term = sp.Mul(this.W[unit, k], self.below(pos)[k], evaluate=not display)
        total = sp.Sum(term, (k, 1, prev.size))
        if not this.bias:
            return total
        return sp.Add(total, this.b[unit], evaluate=not display)

    def activation(self, pos: int, unit: sp.Expr) -> sp.Expr:
        layer = self.layer(pos)
        return ACTIVATIONS[layer.activation].apply(
            layer.z[unit], self.s.gain if layer.gain else None
        )

    def fold(self, pos: int, expr: sp.Expr) -> sp.Expr:
        """Write act(z^{(l)}_j) back as a^{(l)}_j (the definition), and running indices as
        letters."""
        layer = self.layer(pos)
        applied = self.activation(pos, layer.index)
        if applied != layer.z[layer.index]:
            expr = expr.xreplace({applied: layer.a[layer.index]})
        return rename_dummies(expr, self.s.layers)

    def step(
        self,
        num: sp.Expr,
        den: sp.Expr,
        definition: sp.Expr,
        display: sp.Expr | None = None,
        shown: sp.Expr | None = None,
    ) -> Step:
        value = rename_dummies(resolve(sp.diff(definition, den), self.facts), self.s.layers)
        return Step(num, den, definition, value, value if display is None else display, shown)

    def net_step(self, pos: int, unit: sp.Expr, den: sp.Expr) -> Step:
        """dz^{(l)}_unit / d(den), from the definition of the net input."""
        z = self.layer(pos).z[unit]
        return self.step(
            z, den, self.net_input(pos, unit), shown=self.net_input(pos, unit, display=True)
        )

    def slope_step(self, pos: int, num: sp.Expr) -> Step:
        """da/dz = d act(z)/dz, written back in the activation a."""
        layer = self.layer(pos)
        j, g = layer.index, self.s.gain if layer.gain else None
        applied = self.activation(pos, j)
        value = self.fold(pos, resolve(sp.diff(applied, layer.z[j]), self.facts))
        shown = ACTIVATIONS[layer.activation].slope_display(layer.a[j], layer.z[j], g)
        return Step(num, layer.z[j], applied, value, shown)

    def loss_steps(self) -> list[Step]:
        """dE/de_j and de_j/do_j (named error terms), or dE/do_j, from the indexed loss."""
        out = self.layer(self.top)
        j, q = out.index, out.running
        loss = LOSSES[self.spec.loss]
        o, y, e = self.s.outputs, self.s.targets, self.s.errors
        term = loss.case_error([o[q]], [y[q]])
        if not self.error_terms:
            shown = loss.slope_display(o[j], y[j], self.residual)
            return [self.step(ERROR, o[j], sp.Sum(term, (q, 1, out.size)), shown)]
        residual = RESIDUAL_OF[self.residual](y[j], o[j])
        solved = sp.solve(sp.Eq(e[q], residual.xreplace({j: q})), o[q], dict=True)[0][o[q]]
        by_error = sp.Sum(term.xreplace({o[q]: solved}), (q, 1, out.size))
        shown = RESIDUAL_SHOWN[self.residual](y[j], o[j])
        return [
            self.step(ERROR, e[j], by_error, loss.slope_by_error_term(e[j])),
            self.step(e[j], o[j], residual, shown=shown),
        ]

    def output_delta(self) -> tuple[list[Step], Term]:
        """delta^{(L)}_j: the factors from E down to z^{(L)}_j."""
        j = self.layer(self.top).index
        steps = [*self.loss_steps(), self.slope_step(self.top, self.s.outputs[j])]
        shown = constants_first([st.display for st in steps], {self.s.gain})
        return steps, Term(sp.Mul(*[st.value for st in steps]), shown)

    def hidden_delta(self, pos: int) -> tuple[list[Step], Term]:
        """delta^{(l)}_j = (Sum_m delta^{(l+1)}_m dz^{(l+1)}_m/da^{(l)}_j) da^{(l)}_j/dz^{(l)}_j.

        The sum over m is the derivative of the first-order expansion Sum_m delta_m z_m
        (delta held fixed) with respect to z^{(l)}_j: SymPy writes it, not a template.
        """
        this, nxt = self.layer(pos), self.layer(pos + 1)
        m, run = nxt.index, this.running
        through = self.net_input(pos + 1, nxt.running).xreplace(
            {this.a[run]: self.activation(pos, run)}
        )
        expansion = sp.Sum(nxt.delta[nxt.running] * through, (nxt.running, 1, nxt.size))
        value = self.fold(pos, resolve(sp.diff(expansion, this.z[this.index]), self.facts))
        link = self.net_step(pos + 1, m, this.a[this.index])
        slope = self.slope_step(pos, this.a[this.index])
        shown = product(
            [sp.Sum(product([nxt.delta[m], link.value]), (m, 1, nxt.size)), slope.display]
        )
        return [link, slope], Term(value, shown)


RESIDUAL_OF: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "target-output": lambda y, o: y - o,
    "output-target": lambda y, o: o - y,
}


def step_formula(st: Step, label: str) -> Formula:
    """d(num)/d(den) = d/d(den) (its definition) = the derived value."""
    shown = st.definition if st.shown_definition is None else st.shown_definition
    rows = (Partial(shown, st.den), st.display)
    return Formula(f"step{label}", Partial(st.num, st.den), rows, st.value, label, (st,))


RESIDUAL_SHOWN: dict[str, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    "target-output": lambda y, o: sp.Add(y, sp.Mul(-1, o, evaluate=False), evaluate=False),
    "output-target": lambda y, o: sp.Add(o, sp.Mul(-1, y, evaluate=False), evaluate=False),
}


def _partials(steps: list[Step]) -> sp.Expr:
    return product([Partial(st.num, st.den) for st in steps])


def layer_formulas(d: Deriver, expand: bool) -> list[Formula]:
    """Definitions, deltas and parameter gradients of every layer of a scheme, output layer first.

    ``expand``: also write each gradient in full, every delta replaced by its formula.
    """
    formulas: list[Formula] = []
    full: dict[int, Term] = {}
    out_steps, out_delta = d.output_delta()
    full[d.top] = out_delta
    for pos in range(d.top, 0, -1):
        this = d.layer(pos)
        j = this.index
        formulas.append(
            Formula(
                f"z{this.label}",
                this.z[j],
                (d.net_input(pos, j, display=True),),
                d.net_input(pos, j),
                this.label,
            )
        )
        if pos == d.top:
            steps, delta = out_steps, out_delta
            rows: tuple[Any, ...] = (
                Partial(ERROR, this.z[j]),
                _partials(steps),
                tuple(st.display for st in steps),
                delta.display,
            )
        else:
            steps, delta = d.hidden_delta(pos)
            nxt = d.layer(pos + 1)
            m = nxt.index
            link, slope = steps
            chain = sp.Sum(
                product([Partial(ERROR, nxt.z[m]), Partial(nxt.z[m], this.a[j])]), (m, 1, nxt.size)
            )
            rows = (
                Partial(ERROR, this.z[j]),
                product([chain, Partial(this.a[j], this.z[j])]),
                delta.display,
            )
            if expand:
                inner = full[pos + 1]
                summed = sp.Sum(product([inner.display, link.value]), (m, 1, nxt.size))
                value = delta.value.xreplace({nxt.delta[m]: inner.value})
                full[pos] = Term(value, product([pull_constants(summed), slope.display]))
        formulas.extend(step_formula(st, this.label) for st in steps)
        formulas.append(
            Formula(
                f"delta{this.label}", this.delta[j], rows, delta.value, this.label, tuple(steps)
            )
        )
        formulas.extend(param_formulas(d, pos, steps, full.get(pos)))
    return formulas


def param_formulas(
    d: Deriver, pos: int, delta_steps: list[Step], full: Term | None
) -> list[Formula]:
    """dE/dw^{(l)}_{j,k} = delta^{(l)}_j dz/dw and dE/db^{(l)}_j = delta^{(l)}_j dz/db."""
    this, prev = d.layer(pos), d.layer(pos - 1)
    j, k = this.index, prev.index
    params = [(f"w{this.label}", this.W[j, k])] + (
        [(f"b{this.label}", this.b[j])] if this.bias else []
    )
    out = []
    for key, p in params:
        last = d.net_step(pos, j, p)
        if pos == d.top:
            steps = [*delta_steps, last]
            rows: tuple[Any, ...] = (_partials(steps), tuple(st.display for st in steps))
        else:
            nxt = d.layer(pos + 1)
            m = nxt.index
            link, slope = delta_steps
            chain = sp.Sum(
                product([Partial(ERROR, nxt.z[m]), Partial(nxt.z[m], this.a[j])]), (m, 1, nxt.size)
            )
            values = sp.Sum(product([nxt.delta[m], link.value]), (m, 1, nxt.size))
            rows = (
                product([chain, Partial(this.a[j], this.z[j]), Partial(this.z[j], p)]),
                (values, slope.display, last.display),
            )
        rows += (product([this.delta[j], last.display]),)
        value = this.delta[j] * last.value
        if full is not None:
            rows += (product([full.display, last.display]),)
            value = full.value * last.value
        out.append(step_formula(last, this.label))
        out.append(Formula(key, Partial(ERROR, p), rows, value, this.label, (last,)))
    return out


# ---------------------------------------------------------------- the whole network


@dataclass(frozen=True)
class Block:
    """The formulas of one scheme: the concrete layers, or one generic layer l."""

    title: str
    scheme: Scheme
    formulas: tuple[Formula, ...]


@dataclass(frozen=True)
class IndexForm:
    spec: NetworkSpec
    notation: Notation
    blocks: tuple[Block, ...]
    mean: Formula | None


def _concrete_labels(spec: NetworkSpec, notation: Notation) -> tuple[tuple[str, str, str], ...]:
    n = spec.depth + 1
    letters, sizes = notation.letters("indices"), notation.letters("sizes")
    for key, given in (("indices", letters), ("sizes", sizes)):
        if given and len(given) != n:
            raise IndexFormError(
                f"notation {notation.name}: '{key}' has {len(given)} entries for {n} layers "
                "(input first)"
            )
    free = unit_letters(notation)
    letters = letters or tuple(free[l] if l < len(free) else f"j_{{{l}}}" for l in range(n))
    size = notation.get("size") or DEFAULT_SIZE
    sizes = sizes or tuple(Template(size).substitute(l=l) for l in range(n))
    return tuple((str(l), letters[l], sizes[l]) for l in range(n))


def _uniform(spec: NetworkSpec, notation: Notation) -> bool:
    """One generic hidden layer l describes them all: same activation, gain and bias; one
    template."""
    hidden = {(spec.activations[l], spec.gains[l], spec.biases[l]) for l in range(spec.depth - 1)}
    return spec.depth >= 2 and len(hidden) == 1 and not notation.layers


def _generic_blocks(spec: NetworkSpec, notation: Notation, residual: str) -> list[Block]:
    size = notation.get("size") or DEFAULT_SIZE
    sizes = {
        label: Template(size).substitute(l=shown_layer(notation, label))
        for label in ("l-1", "l", "l+1", "L-1", "L")
    }
    k, j, m = unit_letters(notation)[:3]
    output = scheme(spec, notation, (("L-1", k, sizes["L-1"]), ("L", j, sizes["L"])))
    hidden = scheme(
        spec,
        notation,
        tuple((label, letter, sizes[label]) for label, letter in zip(GENERIC_LAYERS, (k, j, m))),
    )
    out_d = Deriver(spec, output, residual, notation.has_error_terms)
    hid_d = Deriver(spec, hidden, residual, notation.has_error_terms)
    l, L = shown_layer(notation, "l"), shown_layer(notation, "L")
    return [
        Block(f"output layer {L}, any depth", output, tuple(layer_formulas(out_d, expand=False))),
        Block(f"hidden layer {l} < {L}, any depth", hidden, tuple(_hidden_only(hid_d))),
    ]


def _hidden_only(d: Deriver) -> list[Formula]:
    this = d.layer(1)
    j = this.index
    steps, delta = d.hidden_delta(1)
    nxt = d.layer(2)
    m = nxt.index
    chain = sp.Sum(
        product([Partial(ERROR, nxt.z[m]), Partial(nxt.z[m], this.a[j])]), (m, 1, nxt.size)
    )
    rows = (
        Partial(ERROR, this.z[j]),
        product([chain, Partial(this.a[j], this.z[j])]),
        delta.display,
    )
    return [
        Formula("delta", this.delta[j], rows, delta.value, this.label, tuple(steps)),
        *param_formulas(d, 1, steps, None),
    ]


def _mean_formula(spec: NetworkSpec) -> Formula:
    """dE/dp = (1/n) Sum_i dE_i/dp (or Sum_i dE_i/dp), by differentiating E = (1/n) Sum_i E_i (or
    Sum_i E_i)."""
    i = sp.Symbol("case", integer=True)
    n = sp.Symbol("cases", integer=True, positive=True)
    p = sp.Symbol("p", real=True)
    case_error = sp.Function("CaseError")
    scale = 1 / n if spec.mean else sp.Integer(1)
    value = sp.diff(scale * sp.Sum(case_error(i, p), (i, 1, n)), p)
    shown = sp.Sum(Partial(CASE_ERROR, p), (i, 1, n))
    if spec.mean:
        shown = sp.Mul(1 / n, shown, evaluate=False)
    return Formula("mean" if spec.mean else "sum", Partial(ERROR, p), (shown,), value, "")


CASE_ERROR = sp.Symbol("E_case")


def index_form(spec: NetworkSpec, notation: Notation) -> IndexForm:
    """Every index-form formula of a spec, in its notation."""
    if spec.loss not in ("half_sse", "sse") or any(
        ACTIVATIONS[a].layerwise for a in spec.activations
    ):
        raise IndexFormError(
            "--index-form covers per-unit activations with half_sse or sse; "
            "softmax layers and cross_entropy are derived with the concrete forms (drop "
            "--index-form)"
        )
    if spec.l2_value:
        raise IndexFormError(
            "--index-form covers E without an L2 penalty; the penalty adds lambda w to each "
            "weight's gradient in the concrete forms (drop --index-form)"
        )
    residual = notation.residual or LOSSES[spec.loss].default_residual
    if residual not in RESIDUALS:
        raise IndexFormError(f"unknown residual orientation {residual!r}")
    concrete = scheme(spec, notation, _concrete_labels(spec, notation))
    d = Deriver(spec, concrete, residual, notation.has_error_terms)
    blocks = [Block("every layer of this network", concrete, tuple(layer_formulas(d, expand=True)))]
    if _uniform(spec, notation):
        blocks += _generic_blocks(spec, notation, residual)
    return IndexForm(
        spec, notation, tuple(blocks), _mean_formula(spec) if spec.over_cases else None
    )


# ---------------------------------------------------------------- concrete instances
