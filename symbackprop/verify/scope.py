"""Give a read derivation its meaning: names through the notation, into SymPy objects.

Every name is looked up by a spelling-insensitive key built from the parse tree
(``v_{h,o}`` with h=1, o=2 and ``v_{1,2}`` have the same key). Intermediates stay
as their symbols (φ, net, a, z, E_o); :meth:`Scope.closed` replaces them by their
definitions. A partial derivative ∂N/∂D is the local one of the chain rule: N is
expanded down to D (D held as a variable) and differentiated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from string import Template

import sympy as sp

from symbackprop.backprop.forms import ERROR, Gradient, deltas
from symbackprop.errors import SymbackpropError
from symbackprop.model.network import Network, build
from symbackprop.model.notation import Notation, load_notation, normalise, notation_names
from symbackprop.model.spec import NetworkSpec
from symbackprop.verify.aliases import alias_names
from symbackprop.verify.indexing import is_case_argument, unconnected_weights
from symbackprop.verify.keys import latex_key
from symbackprop.verify.reader import Script

PROSE = {
    "where",
    "or",
    "and",
    "since",
    "for",
    "by",
    "using",
    "with",
    "is",
    "if",
    "then",
    "as",
    "th",
    "st",
    "nd",
    "rd",
}
FUNCTION_HEADS = {"\\exp": sp.exp, "\\ln": sp.log, "\\log": sp.log}
FUNCTION_LETTERS = ("f", "g", "h")  # in a statement of calculus, f(x), g'(x): undefined functions
MAX_BINDINGS = 64
MAX_SUM = 64
Binding = Mapping[str, int | str]


class ResolveError(SymbackpropError):
    """A claim that reads but does not make sense in this spec's notation."""


class UnknownName(ResolveError):  # noqa: N818 - a public name, raised and caught by callers
    """A name the notation does not know (perhaps another notation's)."""


@dataclass(frozen=True)
class FuncMarker:
    head: str
    primes: int
    undefined: bool = False  # f, g of a statement of calculus (not the notation's activation)
    power: sp.Expr | None = None  # \\sigma^2(z), \\tanh^2(z): a power of the value
    layer: int | None = None  # g^{[1]}(z): the layer the function belongs to
    shown: str = ""  # the name as written, for messages


@dataclass(frozen=True)
class DerivOp:
    den: sp.Expr


@dataclass(frozen=True)
class DeltaOp:
    per_case: bool = False  # Δ_p w, Haykin's Δw(n): the change for one case


Value = sp.Expr | FuncMarker | DerivOp | DeltaOp


@dataclass(frozen=True)
class Scope:
    """A spec's network and notation, as the reader sees them."""

    spec: NetworkSpec
    notation: Notation

    @cached_property
    def net(self) -> Network:
        return build(self.spec, self.notation.residual)

    @cached_property
    def names(self) -> dict[str, str]:
        return self.notation.symbol_names(self.net)

    @cached_property
    def canon(self) -> dict[sp.Expr, sp.Expr]:
        """Outputs are the last layer's activations: one symbol for both."""
        L = self.net.depth
        return {o: self.net.a[L][j] for j, o in enumerate(self.net.outputs)}

    @cached_property
    def objects(self) -> dict[str, sp.Expr]:
        net, L = self.net, self.net.depth
        out: dict[str, sp.Expr] = {p.id: p.symbol for p in net.params}
        out |= {f"x{k}": s for k, s in enumerate(net.inputs, start=1)}
        out |= {f"y{j}": s for j, s in enumerate(net.targets, start=1)}
        for l in range(1, L + 1):
            for j, (z, a) in enumerate(zip(net.z[l], net.a[l]), start=1):
                out[f"z{l}_{j}"] = z
                out[f"a{l}_{j}"] = a
        for j, (o, e) in enumerate(zip(net.outputs, net.errors), start=1):
            out[f"o{j}"] = self.canon[o]
            out[f"e{j}"] = e
        if net.gain is not None:
            out["alpha"] = net.gain
        out["eta"] = net.lr
        if net.penalty is not None:
            out["lambda"] = net.penalty
        out["E"] = ERROR
        if net.penalty is not None:  # a case's error without the penalty (the data term)
            out["E_data"] = ERROR - net.penalty_error()
        if net.case is not None:
            out["E_case"] = self.e_case
            assert net.n_cases is not None
            out["n"] = net.n_cases
        if self.notation.has_error_terms:  # Maren's SE: output j's term of the error, 1/2 E_j^2
            zero = [sp.Integer(0)] * len(net.errors)
            for j, e in enumerate(net.errors, start=1):
                only = [e if k == j else sp.Integer(0) for k in range(1, len(net.errors) + 1)]
                out[f"term{j}"] = net.loss.case_error(zero, only)
        return out

    @cached_property
    def deltas(self) -> dict[str, tuple[int, int]]:
        """δ ids ``d{l}_{j}`` -> (layer, unit); their values are built on demand."""
        net = self.net
        return {
            f"d{l}_{j}": (l, j)
            for l in range(1, net.depth + 1)
            for j in range(1, len(net.z[l]) + 1)
        }

    @cached_property
    def delta_values(self) -> dict[str, sp.Expr]:
        """∂E/∂z of every unit (of one case when the error is over cases), by the delta
        recursion; δ is this, negated when the notation's ``delta_sign`` is -."""
        found = deltas(self.net, self.notation.has_error_terms)
        return {cid: found[lj].value.xreplace(self.canon) for cid, lj in self.deltas.items()}

    def value_of(self, cid: str) -> sp.Expr:
        """The value of a canonical id: a network quantity, δ, the always-on unit or 0."""
        if cid in ("one", "zero"):
            return sp.Integer(1 if cid == "one" else 0)
        if cid not in self.deltas:
            return self.objects[cid]
        return (-1 if self.notation.option("delta_sign") == "-" else 1) * self.delta_values[cid]

    @cached_property
    def input_aliases(self) -> frozenset[str]:
        """Keys of the inputs written as the input layer's activations (Nielsen's a^1_k)."""
        names = self.notation.input_names(self.net).values()
        return frozenset(k for k in map(latex_key, names) if k and self.table.get(k, "x")[0] == "x")

    @cached_property
    def layered_heads(self) -> frozenset[str]:
        """In a layered notation, the heads of the network's scripted names (a, w, \\delta): with
        other scripts they are never free variables of a statement of calculus."""
        if not self.notation.layered:
            return frozenset()
        return frozenset(k.split("_")[0].split("^")[0] for k in self.table if "_" in k or "^" in k)

    def case_script(self, script: Script | None) -> bool:
        """Whether a subscript is just the case letter (Rumelhart's p in Δ_p)."""
        return script is not None and script.tokens == (("LETTER", self.notation.get("case")),)

    @cached_property
    def unconnected(self) -> list[str]:
        """With units numbered through the net, the keys of w_{ji} between units that no
        weight connects: their value is 0 (a claim may sum over them, as Rumelhart et al. do)."""
        keys = (latex_key(latex) for latex in unconnected_weights(self.notation, self.spec.sizes))
        return [key for key in keys if key is not None]

    def case_argument(self, item: tuple[str, object]) -> bool:
        """Whether a factor is ``(n)`` with n the case letter of a layered notation (Haykin)."""
        return is_case_argument(self.notation, item)

    @cached_property
    def layer_env(self) -> dict[str, int]:
        """The last layer's letter (Nielsen's L) bound to its number, when the notation names it."""
        letter = self.notation.option("last_layer")
        return {letter: self.spec.depth + self.notation.first_layer} if letter else {}

    @cached_property
    def network_atoms(self) -> frozenset[sp.Expr]:
        """The network's own quantities (not the gain, the learning rate or a count)."""
        skip = {"alpha", "eta", "n", "lambda"}
        atoms = {v for k, v in self.objects.items() if k not in skip}
        return frozenset(
            a
            for v in atoms
            for a in (v.free_symbols | v.atoms(sp.Indexed) | {v})
            if not a.is_number
        )

    def unit_activation(self, expr: sp.Expr) -> sp.Expr | None:
        """The activation of the unit a quantity belongs to (its error term, net input or
        activation)."""
        net = self.net
        for j, e in enumerate(net.errors):
            if expr == e:
                return net.a[net.depth][j]
        for l in range(1, net.depth + 1):
            for z, a in zip(net.z[l], net.a[l]):
                if expr in (z, a):
                    return a
        return None

    @cached_property
    def e_case(self) -> sp.Expr:
        """The error of case i (Indexed, so that a mean over cases can be expanded)."""
        return (
            sp.IndexedBase("E_case", real=True)[self.net.case]
            if self.net.case is not None
            else ERROR
        )

    @cached_property
    def table(self) -> dict[str, str]:
        """Name key -> canonical id, from the notation's names and its [aliases]."""
        out: dict[str, str] = {}
        for cid, latex in self.names.items():
            if cid not in self.objects or not latex:
                continue
            key = latex_key(latex)
            if key is not None:
                out.setdefault(key, cid)
        extra = {**self.notation.delta_names(self.net), **self.notation.input_names(self.net)}
        for cid, latex in extra.items():
            key = latex_key(latex)
            if key is not None:
                out.setdefault(key, cid)
        one_case = self.one_case_error
        if self.notation.layered and self.net.case is None and one_case:
            data = "E" if self.net.penalty is None else "E_data"  # one case: E, no penalty
            out.setdefault(latex_key(one_case) or one_case, data)
        if self.notation.layered and self.net.gain is None and "gain" in self.notation.top:
            out.setdefault(latex_key(self.notation.top["gain"]) or "", "one")  # Haykin's a = 1
        for latex in self.notation.unit_one_names(self.net):
            out.setdefault(latex_key(latex) or latex, "one")
        for key in self.unconnected:
            out.setdefault(key, "zero")
        for latex, cid in alias_names(self.notation, self.net, self.known_id):
            key = latex_key(latex)
            if key is not None:
                out.setdefault(key, cid)
        return out

    @property
    def one_case_error(self) -> str:
        """The notation's error of one case as a claim writes it when the spec has one case:
        ``case_error`` with its case letter (Rumelhart's E_p), when the notation gives both;
        '' when it gives no case_error or one whose case letter it leaves to the default."""
        given = self.notation.top.get("case_error")
        if given is None:
            return ""
        if "$" not in given:
            return given
        if "case" not in self.notation.top:
            return ""
        return Template(given).safe_substitute(i=self.notation.top["case"])

    def known_id(self, cid: str) -> bool:
        return cid in self.objects or cid in self.deltas

    @cached_property
    def indices(self) -> dict[str, int]:
        """Free index letters -> their layer: the notation's index-form ``indices`` list."""
        letters = self.notation.letters("indices")
        plain = {letter: l for l, letter in enumerate(letters) if l <= self.spec.depth}
        primed = {f"{letter}{mark}": l for letter, l in plain.items() for mark in ("'", "''")}
        return {**primed, **plain}  # k' and k'' range over k's layer

    @cached_property
    def counts(self) -> dict[str, int]:
        """Size letters -> their layer: the ``sizes`` list, and [counts] (negative: from the
        output)."""
        out = {
            latex_key(s) or s: l
            for l, s in enumerate(self.notation.letters("sizes"))
            if l <= self.spec.depth
        }
        for letter, l in self.notation.counts.items():
            layer = l if l >= 0 else self.spec.depth + 1 + l
            if 0 <= layer <= self.spec.depth:
                out[latex_key(letter) or letter] = layer
        return out

    @cached_property
    def function_key(self) -> str:
        return latex_key(self.notation.get("function") or "\\sigma") or "\\sigma"

    @cached_property
    def generic(self) -> dict[str, tuple[str, ...]]:
        out = {}
        for latex, cls in self.notation.generic.items():
            key = latex_key(latex)
            if key is None:
                raise ResolveError(
                    f"notation {self.notation.name}: generic name {latex!r} is not one name"
                )
            out[key] = self._param_class(cls)
        return out

    @cached_property
    def generic_latex(self) -> dict[str, str]:
        return {latex_key(latex) or latex: latex for latex in self.notation.generic}

    def _param_class(self, cls: str) -> tuple[str, ...]:
        """The parameters a generic name stands for: all of a layer's (weight:L), else the first
        weight and the first bias of each layer (one of each kind and place in the network)."""
        kind, _, layer = cls.partition(":")
        kinds = {"parameter": ("weight", "bias"), "weight": ("weight",), "bias": ("bias",)}
        if kind not in kinds or (layer and not layer.isdigit()):
            raise ResolveError(
                f"notation {self.notation.name}: generic class {cls!r}; use parameter, weight, "
                "bias or weight:L"
            )
        chosen = [
            p
            for p in self.net.params
            if p.kind in kinds[kind] and (not layer or p.layer == int(layer))
        ]
        if not layer:
            firsts: dict[tuple[str, int], str] = {}
            for p in chosen:
                firsts.setdefault((p.kind, p.layer), p.id)
            return tuple(firsts.values())
        return tuple(p.id for p in chosen)

    @cached_property
    def definitions(self) -> dict[sp.Expr, sp.Expr]:
        net = self.net
        defs = {
            k: v.xreplace(self.canon) for k, v in net.definitions.items() if k not in self.canon
        }
        case_error = net.case_error.xreplace(self.canon)
        if self.notation.has_error_terms:
            zero = [sp.Integer(0)] * len(net.errors)
            case_error = net.loss.case_error(zero, list(net.errors))
        if net.case is not None:
            defs[self.e_case] = case_error
            defs[ERROR] = net.objective(self.e_case)
        else:
            defs[ERROR] = net.objective(case_error)
        return defs

    def define(self, symbol: sp.Symbol, value: sp.Expr) -> None:
        """A name a document defines (:mod:`symbackprop.document`): expanded like an
        intermediate."""
        self.definitions[symbol] = value

    @cached_property
    def reverse(self) -> dict[sp.Expr, sp.Expr]:
        """An activation's defining expression -> the activation (φ(net_1) is φ_1)."""
        out = {}
        for l in range(1, self.net.depth + 1):
            for a in self.net.a[l]:
                out[self.definitions[a]] = a
        return out

    @cached_property
    def unclosed(self) -> dict[sp.Expr, sp.Expr]:
        """Closed form -> the intermediate it is (activations win over net inputs when equal)."""
        out: dict[sp.Expr, sp.Expr] = {}
        for l in range(1, self.net.depth + 1):
            for key in (*self.net.z[l], *self.net.a[l]):
                value = self.net.closed[key]
                if not value.is_Atom:
                    out[value] = key
        return out

    def expand(self, expr: sp.Expr, keep: sp.Expr | None = None) -> sp.Expr:
        """Replace intermediates by their definitions (all of them, or down to ``keep``)."""
        defs = (
            self.definitions
            if keep is None
            else {k: v for k, v in self.definitions.items() if k != keep}
        )
        for _ in range(4 * self.net.depth + 8):
            new = expr.xreplace(defs)
            if new == expr:
                return new
            expr = new
        return expr

    def closed(self, expr: sp.Expr) -> sp.Expr:
        return self.expand(expr)

    @cached_property
    def gradients(self) -> dict[str, Gradient]:
        """Each parameter's dE/dp, built on demand and kept (its forms are cached on it)."""
        return {}

    def gradient(self, pid: str) -> Gradient:
        found = self.gradients.get(pid)
        if found is None:
            found = Gradient(self.net, self.net.param(pid), self.notation.has_error_terms)
            self.gradients[pid] = found
        return found

    def grad_mid(self, pid: str) -> sp.Expr:
        """dE/dp in intermediates (the delta recursion), outputs written as activations."""
        return self.gradient(pid).compact.value.xreplace(self.canon)

    def update_mid(self, pid: str, per_case: bool = False) -> sp.Expr:
        if per_case and self.net.case is not None:
            grad = self.gradient(pid).per_case.value.xreplace(self.canon)
            return -self.net.lr * grad
        return -self.net.lr * self.grad_mid(pid)

    def param_of(self, expr: sp.Expr) -> str | None:
        for p in self.net.params:
            if p.symbol == expr:
                return p.id
        return None

    def known_names(self) -> str:
        shown = sorted({self.names[cid] for cid in self.table.values() if cid in self.names})
        return ", ".join(shown)

    def unknown(self, shown: str, whole: bool = True) -> UnknownName:
        """An unknown name; when another built-in notation writes it, say the claim mixes notations.

        ``whole`` is False when ``shown`` is only part of what was written (a superscript was
        dropped).
        """
        here = self.notation.name
        for other in notation_names() if whole else ():
            if other == here:
                continue
            try:
                names = load_notation(other).symbol_names(self.net)
            except SymbackpropError:  # that notation does not fit this network
                continue
            if normalise(shown) in {
                normalise(latex) for cid, latex in names.items() if cid in self.objects
            }:
                return UnknownName(
                    f"{shown} is notation {other}'s name, but this spec is written in"
                    f" notation {here}: "
                    f"the claim mixes notations; write it as {here} does ({self.known_names()}), "
                    f"or write the whole claim and its --param in notation {other} "
                    f"and pass --notation {other}"
                )
        return UnknownName(
            f"unknown symbol {shown} in notation {here}; it knows {self.known_names()}"
        )


# -- free indices and generic names -------------------------------------------------
