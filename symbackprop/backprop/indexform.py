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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from string import Template
from typing import Any

import sympy as sp
from sympy.core.relational import Relational

from symbackprop.backprop.forms import Term, deltas, product
from symbackprop.errors import SymbackpropError
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.losses import LOSSES
from symbackprop.model.network import RESIDUALS, Network
from symbackprop.model.notation import CANONICAL_LAYER, Notation
from symbackprop.model.spec import NetworkSpec

ERROR = sp.Symbol("E")
DEFAULT_LETTERS = ("k", "j", "m", "p", "q", "r", "s", "t", "u")
GENERIC = (("l-1", "k"), ("l", "j"), ("l+1", "m"))
DEFAULT_SIZE = "N_{$l}"


class IndexFormError(SymbackpropError):
    """The index form cannot be derived for this spec or notation."""


class Partial(sp.Expr):
    """An unevaluated d(num)/d(den), printed as a fraction of partials."""

    is_commutative = True

    @property
    def num(self) -> sp.Expr:
        return self.args[0]

    @property
    def den(self) -> sp.Expr:
        return self.args[1]


@dataclass(frozen=True)
class Base:
    """What an ``IndexedBase`` stands for: a kind of quantity in one layer."""

    kind: str  # weight, bias, net, activation, delta, input, output, target, error_term
    layer: str  # "1", "2", ... or "l-1", "l", "l+1", "L"


@dataclass(frozen=True)
class Layer:
    """One layer of the generic network: symbolic size, its unit index and running index."""

    label: str
    index: sp.Symbol
    running: sp.Symbol
    size: sp.Symbol
    activation: str
    gain: bool
    bias: bool
    W: sp.IndexedBase
    b: sp.IndexedBase
    z: sp.IndexedBase
    a: sp.IndexedBase
    delta: sp.IndexedBase


@dataclass(frozen=True)
class Step:
    """One local factor: d(num)/d(den) = d/d(den) (definition) = value."""

    num: sp.Expr
    den: sp.Expr
    definition: sp.Expr
    value: sp.Expr
    display: sp.Expr
    shown_definition: sp.Expr | None = None


@dataclass(frozen=True)
class Formula:
    """One index-form result: ``lhs = rows[0] = rows[1] = ...``; ``value`` is the SymPy result."""

    key: str
    lhs: sp.Expr
    rows: tuple[sp.Expr, ...]
    value: sp.Expr
    layer: str
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Scheme:
    """The symbols of one generic network: layers, bases, data and their LaTeX."""

    layers: tuple[Layer, ...]
    inputs: sp.IndexedBase
    targets: sp.IndexedBase
    outputs: sp.IndexedBase
    errors: sp.IndexedBase
    gain: sp.Symbol
    bases: Mapping[sp.IndexedBase, Base]
    latex: Mapping[str, str]  # symbol name -> LaTeX
    templates: Mapping[sp.IndexedBase, str] = field(default_factory=dict)


# ---------------------------------------------------------------- the scheme


def _layer_latex(notation: Notation, label: str, key: str) -> str:
    """A concrete layer's template, or for a generic layer (l, L) the one every layer shares."""
    if label.isdigit():
        return notation.layer_template(int(label), key)
    return notation.layer.get(key) or CANONICAL_LAYER[key]


def scheme(
    spec: NetworkSpec, notation: Notation, labels: tuple[tuple[str, str, str], ...]
) -> Scheme:
    """Symbols for layers given as (label, index letter, size LaTeX), input layer first."""
    bases: dict[sp.IndexedBase, Base] = {}
    templates: dict[sp.IndexedBase, str] = {}
    latex: dict[str, str] = {}

    def base(name: str, kind: str, label: str, template: str) -> sp.IndexedBase:
        ib = sp.IndexedBase(f"{kind}[{label}]", real=True)
        bases[ib] = Base(kind, label)
        templates[ib] = Template(template).safe_substitute(l=label)
        return ib

    layers = []
    for label, letter, size_tex in labels:
        index = sp.Symbol(f"idx[{label}]", integer=True)
        running = sp.Symbol(f"run[{label}]", integer=True)
        size = sp.Symbol(f"size[{label}]", integer=True, positive=True)
        latex |= {index.name: letter, running.name: f"{letter}'", size.name: size_tex}
        spec_l = _spec_layer(spec, label)
        layers.append(
            Layer(
                label=label,
                index=index,
                running=running,
                size=size,
                activation=spec.activations[spec_l - 1] if spec_l else "",
                gain=spec.gains[spec_l - 1] if spec_l else False,
                bias=spec.biases[spec_l - 1] if spec_l else False,
                W=base("W", "weight", label, _layer_latex(notation, label, "weight")),
                b=base("b", "bias", label, _layer_latex(notation, label, "bias")),
                z=base("z", "net", label, _layer_latex(notation, label, "net")),
                a=base("a", "activation", label, _layer_latex(notation, label, "activation")),
                delta=base("delta", "delta", label, _layer_latex(notation, label, "delta")),
            )
        )
    out_label = labels[-1][0]
    inputs = base("x", "input", labels[0][0], notation.get("input") or "x_{$k}")
    if labels[0][0] != "0":  # a generic input side: a^{(l-1)}, not x
        inputs = layers[0].a
    output_tex = notation.top.get("output") or _layer_latex(notation, out_label, "activation")
    gain = sp.Symbol("alpha", real=True)
    latex |= {"alpha": notation.get("gain") or r"\alpha"}
    return Scheme(
        layers=tuple(layers),
        inputs=inputs,
        targets=base("y", "target", out_label, notation.get("target") or "y_{$j}"),
        outputs=base("o", "output", out_label, output_tex),
        errors=base("e", "error_term", out_label, notation.top.get("error_term") or "e_{$j}"),
        gain=gain,
        bases=bases,
        latex=latex,
        templates=templates,
    )


def _spec_layer(spec: NetworkSpec, label: str) -> int:
    """The spec layer whose activation a scheme layer uses (0: none; generic layers: a hidden
    one)."""
    if label.isdigit():
        return int(label)
    return {"L": spec.depth, "l": 1}.get(label, 0)


# ---------------------------------------------------------------- resolving


def range_facts(layers: tuple[Layer, ...]) -> frozenset[sp.Basic]:
    """1 <= j <= N for every unit index and running index, in canonical form."""
    facts = set()
    for layer in layers:
        for i in (layer.index, layer.running):
            facts |= {sp.Ge(i, 1).canonical, sp.Le(i, layer.size).canonical}
    return frozenset(facts)


def resolve(expr: sp.Expr, facts: frozenset[sp.Basic]) -> sp.Expr:
    """Collapse delta sums, then keep the in-range branch of each ``Piecewise``."""

    def branch(pw: sp.Piecewise) -> sp.Expr:
        first, cond = pw.args[0]
        truth = cond.xreplace(
            {rel: sp.true for rel in cond.atoms(Relational) if rel.canonical in facts}
        )
        if truth is not sp.true:
            raise IndexFormError(
                f"cannot decide the index condition {cond} from 1 <= index <= size"
            )
        return first

    done = expr.doit()
    return done.replace(lambda e: isinstance(e, sp.Piecewise), branch)


def rename_dummies(expr: sp.Expr, layers: tuple[Layer, ...]) -> sp.Expr:
    """Write each running index as its layer's own letter where that letter is not free."""
    swap = {layer.running: layer.index for layer in layers}

    def rename(s: sp.Sum) -> sp.Expr:
        ((dummy, lo, hi),) = s.limits
        letter = swap.get(dummy)
        if letter is None or letter in s.free_symbols:
            return s
        return sp.Sum(s.function.xreplace({dummy: letter}), (letter, lo, hi))

    return expr.replace(lambda e: isinstance(e, sp.Sum), rename)


# ---------------------------------------------------------------- the derivation


def pull_constants(s: sp.Sum) -> sp.Expr:
    """c Sum(f) for a displayed Sum(c f): factors free of the summation index move in front."""
    ((dummy, *_),) = s.limits
    args = list(s.function.args) if isinstance(s.function, sp.Mul) else [s.function]
    const = [a for a in args if dummy not in a.free_symbols]
    inner = [a for a in args if dummy in a.free_symbols]
    return product([*const, sp.Sum(product(inner), *s.limits)]) if const else s


def constants_first(factors: list[sp.Expr], constants: set[sp.Symbol]) -> sp.Expr:
    """The chain-ordered product with numbers and the named constants (the gain) in front."""
    flat = [a for f in factors for a in (f.args if isinstance(f, sp.Mul) else (f,))]
    return product(
        [a for a in flat if a.is_Number or a in constants]
        + [a for a in flat if not (a.is_Number or a in constants)]
    )


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
    letters = letters or tuple(
        DEFAULT_LETTERS[l] if l < len(DEFAULT_LETTERS) else f"j_{{{l}}}" for l in range(n)
    )
    sizes = sizes or tuple(Template(DEFAULT_SIZE).substitute(l=l) for l in range(n))
    return tuple((str(l), letters[l], sizes[l]) for l in range(n))


def _uniform(spec: NetworkSpec, notation: Notation) -> bool:
    """One generic hidden layer l describes them all: same activation, gain and bias; one
    template."""
    hidden = {(spec.activations[l], spec.gains[l], spec.biases[l]) for l in range(spec.depth - 1)}
    return spec.depth >= 2 and len(hidden) == 1 and not notation.layers


def _generic_blocks(spec: NetworkSpec, notation: Notation, residual: str) -> list[Block]:
    sizes = {
        label: Template(DEFAULT_SIZE).substitute(l=label)
        for label in ("l-1", "l", "l+1", "L-1", "L")
    }
    output = scheme(spec, notation, (("L-1", "k", sizes["L-1"]), ("L", "j", sizes["L"])))
    hidden = scheme(
        spec, notation, tuple((label, letter, sizes[label]) for label, letter in GENERIC)
    )
    out_d = Deriver(spec, output, residual, notation.has_error_terms)
    hid_d = Deriver(spec, hidden, residual, notation.has_error_terms)
    return [
        Block("output layer L, any depth", output, tuple(layer_formulas(out_d, expand=False))),
        Block("hidden layer l < L, any depth", hidden, tuple(_hidden_only(hid_d))),
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
    """dE/dp = (1/n) Sum_i dE_i/dp, by differentiating E = (1/n) Sum_i E_i."""
    i = sp.Symbol("case", integer=True)
    n = sp.Symbol("cases", integer=True, positive=True)
    p = sp.Symbol("p", real=True)
    case_error = sp.Function("CaseError")
    value = sp.diff(sp.Sum(case_error(i, p), (i, 1, n)) / n, p)
    shown = sp.Mul(1 / n, sp.Sum(Partial(CASE_ERROR, p), (i, 1, n)), evaluate=False)
    return Formula("mean", Partial(ERROR, p), (shown,), value, "")


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
    residual = notation.residual or LOSSES[spec.loss].default_residual
    if residual not in RESIDUALS:
        raise IndexFormError(f"unknown residual orientation {residual!r}")
    concrete = scheme(spec, notation, _concrete_labels(spec, notation))
    d = Deriver(spec, concrete, residual, notation.has_error_terms)
    blocks = [Block("every layer of this network", concrete, tuple(layer_formulas(d, expand=True)))]
    if _uniform(spec, notation):
        blocks += _generic_blocks(spec, notation, residual)
    return IndexForm(spec, notation, tuple(blocks), _mean_formula(spec) if spec.mean else None)


# ---------------------------------------------------------------- concrete instances

LOOKUP: dict[str, Callable[[Network, int, tuple[int, ...], bool], sp.Expr]] = {
    "weight": lambda net, l, ix, et: net.param(f"w{l}_{ix[0]}_{ix[1]}").symbol,
    "bias": lambda net, l, ix, et: net.param(f"b{l}_{ix[0]}").symbol,
    "net": lambda net, l, ix, et: net.z[l][ix[0] - 1],
    "activation": lambda net, l, ix, et: net.a[l][ix[0] - 1],
    "input": lambda net, l, ix, et: net.inputs[ix[0] - 1],
    "output": lambda net, l, ix, et: net.outputs[ix[0] - 1],
    "target": lambda net, l, ix, et: net.targets[ix[0] - 1],
    "error_term": lambda net, l, ix, et: net.errors[ix[0] - 1],
    "delta": lambda net, l, ix, et: deltas(net, et)[(l, ix[0])].value,
}


def instantiate(
    expr: sp.Expr,
    s: Scheme,
    net: Network,
    units: Mapping[str, int],
    layer_of: Mapping[str, int] | None = None,
    error_terms: bool = False,
) -> sp.Expr:
    """An index-form expression for one concrete network: sizes and unit numbers put in,
    the sums expanded, each ``Indexed`` replaced by the network's own symbol (deltas by
    the network's delta recursion). ``units`` maps a layer label to its unit number;
    ``layer_of`` maps generic labels (``l``, ``l+1``, ``L``) to layer numbers."""
    where = {layer.label: int(layer.label) for layer in s.layers if layer.label.isdigit()} | dict(
        layer_of or {}
    )
    sizes = {layer.size: net.spec.sizes[where[layer.label]] for layer in s.layers}
    units_in = {layer.index: units[layer.label] for layer in s.layers if layer.label in units}
    done = expr.xreplace(sizes).subs(units_in).doit()

    def concrete(x: sp.Indexed) -> sp.Expr:
        info = s.bases[x.base]
        return LOOKUP[info.kind](
            net, where[info.layer], tuple(int(i) for i in x.indices), error_terms
        )

    return done.replace(lambda x: isinstance(x, sp.Indexed) and x.base in s.bases, concrete)
