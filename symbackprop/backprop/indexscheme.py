"""Index-form building blocks: symbolic layers (a size and a unit index each), formulas, and
their instances in one concrete network. The derivation itself is in :mod:`.indexform`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from string import Template

import sympy as sp
from sympy.core.relational import Relational

from symbackprop.backprop.forms import deltas, product
from symbackprop.errors import SymbackpropError
from symbackprop.model.network import Network
from symbackprop.model.notation import CANONICAL_LAYER, Notation
from symbackprop.model.spec import NetworkSpec

ERROR = sp.Symbol("E")


DEFAULT_LETTERS = ("k", "j", "m", "p", "q", "r", "s", "t", "u")


GENERIC_LAYERS = ("l-1", "l", "l+1")


def shown_layer(notation: Notation, label: str) -> str:
    """A layer label as the notation writes it: the generic l and L ("l-1", "L") in the
    notation's ``layer_index`` and ``last_layer`` letters (Hagan's m-1, M); a number as is."""
    letters = {
        "l": notation.option("layer_index") or "l",
        "L": notation.option("last_layer") or "L",
    }
    return "".join(letters.get(c, c) for c in label)


def unit_letters(notation: Notation) -> tuple[str, ...]:
    """The default unit letters (k, j, m, p, ...) without those the notation gives another
    meaning: its layer and case letters and the heads of its names (Hagan's m, s, p, t)."""
    keys = (notation.option("layer_index"), notation.option("last_layer"))
    taken = {*keys, notation.get("case"), notation.get("cases"), *notation.name_heads()}
    free = tuple(x for x in DEFAULT_LETTERS if x not in taken)
    return free + tuple(f"j_{{{n}}}" for n in range(len(free), 3))


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
        templates[ib] = Template(template).safe_substitute(l=shown_layer(notation, label))
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
