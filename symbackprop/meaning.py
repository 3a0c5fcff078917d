"""Give a read derivation its meaning: names through the notation, into SymPy objects.

Every name is looked up by a spelling-insensitive key built from the parse tree
(``v_{h,o}`` with h=1, o=2 and ``v_{1,2}`` have the same key). Intermediates stay
as their symbols (φ, net, a, z, E_o); :meth:`Scope.closed` replaces them by their
definitions. A partial derivative ∂N/∂D is the local one of the chain rule: N is
expanded down to D (D held as a variable) and differentiated.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from functools import cached_property
from string import Template
from typing import Callable, Iterator, Mapping, Union

import sympy as sp
from sympy.core.function import AppliedUndef

from .activations import ACTIVATIONS
from .derive import ERROR, Gradient
from .errors import SymbackpropError
from .network import Network, build
from .notation import Notation, load_notation, normalise, notation_names
from .reader import (
    Add,
    Alt,
    BigSum,
    Frac,
    Group,
    Node,
    Num,
    Partial,
    Prod,
    ReadError,
    Script,
    Scripted,
    Sqrt,
    Sym,
    parse,
    text_of_namecmd,
    walk,
)
from .spec import NetworkSpec

Expr = sp.Expr
PROSE = {"where", "or", "and", "since", "for", "by", "using", "with", "is", "if", "then", "as", "th", "st", "nd", "rd"}
FUNCTION_HEADS = {"\\exp": sp.exp, "\\ln": sp.log, "\\log": sp.log}
FUNCTION_LETTERS = ("f", "g", "h")  # in a statement of calculus, f(x), g'(x): undefined functions
MAX_BINDINGS = 64
MAX_SUM = 64
Binding = Mapping[str, Union[int, str]]


class ResolveError(SymbackpropError):
    """A claim that reads but does not make sense in this spec's notation."""


class UnknownName(ResolveError):
    """A name the notation does not know (perhaps another notation's)."""


@dataclass(frozen=True)
class FuncMarker:
    head: str
    primes: int
    undefined: bool = False  # f, g of a statement of calculus (not the notation's activation)


@dataclass(frozen=True)
class DerivOp:
    den: Expr


@dataclass(frozen=True)
class DeltaOp:
    pass


Value = Union[Expr, FuncMarker, DerivOp, DeltaOp]


def script_key(script: Script | None, env: Mapping[str, int | str] | None = None) -> str:
    if script is None:
        return ""
    env = env or {}
    parts = []
    tokens = script.tokens
    if len(tokens) > 2 and tokens[0][0] == "LETTER" and tokens[1] == ("REL", "="):
        tokens = tokens[2:]  # E_{q=o}: the summation index q set to o
    for typ, text in tokens:
        if typ == "LETTER" and isinstance(env.get(text), int):
            parts.append(str(env[text]))
        elif typ == "NAMECMD":
            cmd, body = text_of_namecmd(text)
            parts.append(body.replace(" ", "") if cmd.startswith("text") or cmd in ("mathrm", "operatorname") else text)
        else:
            parts.append(text)
    return "".join(parts)


def name_key(head: str, sub: Script | None, sup: Script | None, env: Mapping[str, int | str] | None = None) -> str:
    key = head.replace(" ", "")
    if sub is not None:
        key += "_" + script_key(sub, env)
    if sup is not None:
        key += "^" + script_key(sup, env)
    return key


def latex_key(latex: str) -> str | None:
    """The key of a name written in LaTeX (a notation entry), or None if it is not one name."""
    try:
        doc = parse(latex)
    except ReadError:
        return None
    if len(doc.rows) != 1 or len(doc.rows[0].clauses) != 1:
        return None
    clause = doc.rows[0].clauses[0]
    if clause.rels or clause.sides[0] is None:
        return None
    node = clause.sides[0]
    if isinstance(node, Sym):
        return name_key(node.head, node.sub, node.sup)
    if isinstance(node, Prod) and all(op == "" and isinstance(n, Sym) and n.kind == "letter" for op, n in node.items):
        syms = [n for _, n in node.items]
        if all(not s.scripted for s in syms[:-1]):
            return name_key("".join(s.head for s in syms), syms[-1].sub, syms[-1].sup)
    return None


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
    def canon(self) -> dict[Expr, Expr]:
        """Outputs are the last layer's activations: one symbol for both."""
        L = self.net.depth
        return {o: self.net.a[L][j] for j, o in enumerate(self.net.outputs)}

    @cached_property
    def objects(self) -> dict[str, Expr]:
        net, L = self.net, self.net.depth
        out: dict[str, Expr] = {p.id: p.symbol for p in net.params}
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
        out["E"] = ERROR
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
    def network_atoms(self) -> frozenset[Expr]:
        """The network's own quantities (not the gain, the learning rate or a count)."""
        skip = {"alpha", "eta", "n"}
        atoms = {v for k, v in self.objects.items() if k not in skip}
        return frozenset(a for v in atoms for a in (v.free_symbols | v.atoms(sp.Indexed) | {v}) if not a.is_number)

    def unit_activation(self, expr: Expr) -> Expr | None:
        """The activation of the unit a quantity belongs to (its error term, net input or activation)."""
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
    def e_case(self) -> Expr:
        """The error of case i (Indexed, so that a mean over cases can be expanded)."""
        return sp.IndexedBase("E_case", real=True)[self.net.case] if self.net.case is not None else ERROR

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
        sizes, L = self.spec.sizes, self.spec.depth
        span = range(1, max(sizes) + 1)
        for alias, target in self.notation.aliases.items():
            for l, j, k in itertools.product(range(1, L + 1), span, span):
                values = {"l": l, "j": j, "k": k}
                cid = Template(target).safe_substitute(values)
                if cid not in self.objects:
                    continue
                key = latex_key(Template(alias).safe_substitute(values))
                if key is not None:
                    out.setdefault(key, cid)
        return out

    @cached_property
    def indices(self) -> dict[str, int]:
        """Free index letters -> their layer: the notation's index-form ``indices`` list."""
        letters = self.notation.letters("indices")
        return {letter: l for l, letter in enumerate(letters) if l <= self.spec.depth}

    @cached_property
    def counts(self) -> dict[str, int]:
        """Size letters -> their layer: the ``sizes`` list, and [counts] (negative: from the output)."""
        out = {latex_key(s) or s: l for l, s in enumerate(self.notation.letters("sizes")) if l <= self.spec.depth}
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
                raise ResolveError(f"notation {self.notation.name}: generic name {latex!r} is not one name")
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
            raise ResolveError(f"notation {self.notation.name}: generic class {cls!r}; use parameter, weight, bias or weight:L")
        chosen = [p for p in self.net.params if p.kind in kinds[kind] and (not layer or p.layer == int(layer))]
        if not layer:
            firsts: dict[tuple[str, int], str] = {}
            for p in chosen:
                firsts.setdefault((p.kind, p.layer), p.id)
            return tuple(firsts.values())
        return tuple(p.id for p in chosen)

    @cached_property
    def definitions(self) -> dict[Expr, Expr]:
        net = self.net
        defs = {k: v.xreplace(self.canon) for k, v in net.definitions.items() if k not in self.canon}
        case_error = net.case_error.xreplace(self.canon)
        if self.notation.has_error_terms:
            zero = [sp.Integer(0)] * len(net.errors)
            case_error = net.loss.case_error(zero, list(net.errors))
        if net.case is not None:
            defs[self.e_case] = case_error
            defs[ERROR] = net.over_cases(self.e_case)
        else:
            defs[ERROR] = case_error
        return defs

    def define(self, symbol: sp.Symbol, value: Expr) -> None:
        """A name a document defines (:mod:`symbackprop.document`): expanded like an intermediate."""
        self.definitions[symbol] = value

    @cached_property
    def reverse(self) -> dict[Expr, Expr]:
        """An activation's defining expression -> the activation (φ(net_1) is φ_1)."""
        out = {}
        for l in range(1, self.net.depth + 1):
            for a in self.net.a[l]:
                out[self.definitions[a]] = a
        return out

    @cached_property
    def unclosed(self) -> dict[Expr, Expr]:
        """Closed form -> the intermediate it is (activations win over net inputs when equal)."""
        out: dict[Expr, Expr] = {}
        for l in range(1, self.net.depth + 1):
            for key in (*self.net.z[l], *self.net.a[l]):
                value = self.net.closed[key]
                if not value.is_Atom:
                    out[value] = key
        return out

    def expand(self, expr: Expr, keep: Expr | None = None) -> Expr:
        """Replace intermediates by their definitions (all of them, or down to ``keep``)."""
        defs = self.definitions if keep is None else {k: v for k, v in self.definitions.items() if k != keep}
        for _ in range(4 * self.net.depth + 8):
            new = expr.xreplace(defs)
            if new == expr:
                return new
            expr = new
        return expr

    def closed(self, expr: Expr) -> Expr:
        return self.expand(expr)

    def gradient(self, pid: str) -> Gradient:
        return Gradient(self.net, self.net.param(pid), self.notation.has_error_terms)

    def grad_mid(self, pid: str) -> Expr:
        """dE/dp in intermediates (the delta recursion), outputs written as activations."""
        return self.gradient(pid).compact.value.xreplace(self.canon)

    def update_mid(self, pid: str) -> Expr:
        return -self.net.lr * self.grad_mid(pid)

    def param_of(self, expr: Expr) -> str | None:
        for p in self.net.params:
            if p.symbol == expr:
                return p.id
        return None

    def known_names(self) -> str:
        shown = sorted({self.names[cid] for cid in self.table.values() if cid in self.names})
        return ", ".join(shown)

    def unknown(self, shown: str, whole: bool = True) -> UnknownName:
        """An unknown name; when another built-in notation writes it, say the claim mixes notations.

        ``whole`` is False when ``shown`` is only part of what was written (a superscript was dropped).
        """
        here = self.notation.name
        for other in notation_names() if whole else ():
            if other == here:
                continue
            try:
                names = load_notation(other).symbol_names(self.net)
            except SymbackpropError:  # that notation does not fit this network
                continue
            if normalise(shown) in {normalise(latex) for latex in names.values()}:
                return UnknownName(
                    f"{shown} is notation {other}'s name, but this spec is written in notation {here}: "
                    f"the claim mixes notations; write it as {here} does ({self.known_names()}) or pass --notation {other}"
                )
        return UnknownName(f"unknown symbol {shown} in notation {here}; it knows {self.known_names()}")


@dataclass
class FreeRecord:
    """What a reading in free variables met: names of network quantities, and the
    derivatives ∂N/∂D taken between free names (they make N depend on D)."""

    network: list[str] = field(default_factory=list)
    pairs: list[tuple[Expr, Expr]] = field(default_factory=list)
    vectors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Resolver:
    """Turns nodes into SymPy under one binding of the free indices and generic names.

    ``free``: a statement of calculus. Names the notation does not know are real
    variables (x, y, x_1) and f, g, h applied to an argument are undefined functions;
    ``record`` notes every network quantity met, so that the caller can refuse a free
    reading of an equation about the network (a typo must not become a variable).
    ``functions`` turns dependent free names into undefined functions (y -> y(u(x))).
    """

    scope: Scope
    env: Mapping[str, int | str] = field(default_factory=dict)
    names: Mapping[str, Expr] = field(default_factory=dict)  # name key -> bound object
    free: bool = False
    record: FreeRecord | None = field(default=None, compare=False)
    functions: Mapping[Expr, Expr] = field(default_factory=dict)

    def with_env(self, **more: int) -> "Resolver":
        return replace(self, env={**self.env, **more})

    def free_reading(self, functions: Mapping[Expr, Expr] | None = None) -> "Resolver":
        return replace(self, free=True, record=FreeRecord(), functions=dict(functions or {}))

    # -- names -------------------------------------------------------------
    def lookup(self, head: str, sub: Script | None, sup: Script | None) -> Expr | None:
        key = name_key(head, sub, sup, self.env)
        value = self.names.get(key)
        if value is None:
            cid = self.scope.table.get(key)
            value = self.scope.objects[cid] if cid is not None else None
        if value is not None and self.record is not None and mentions(value, self.scope.network_atoms):
            self.record.network.append(key)
        return value

    def known(self, head: str, sub: Script | None, sup: Script | None) -> bool:
        if self.lookup(head, sub, sup) is not None or self.lookup(head, sub, None) is not None:
            return True
        return sub is None and sup is None and self.implicit_index(head) is not None

    def implicit_index(self, head: str) -> Expr | None:
        """A name written without the output index the binding fixes: Maren's SE is SE_o."""
        depth = self.scope.spec.depth
        found = [
            self.lookup(head, Script((("LETTER", letter),), None), None)
            for letter, layer in self.scope.indices.items()
            if layer == depth and isinstance(self.env.get(letter), int)
        ]
        values = [v for v in found if v is not None]
        return values[0] if len(values) == 1 else None

    def free_symbol(self, head: str, sub: Script | None) -> Expr:
        """A free variable: x, or x_1 / w_n as an indexed variable (so that series can be summed)."""
        name = head if "{" in head else head.lstrip("\\")  # \\vec{w} stays, \\beta -> beta
        if sub is None:
            base: Expr = sp.Symbol(name, real=True)
        elif sub.expr is not None and not isinstance(sub.expr, Group):
            index = sub.expr
            bound = self.env.get(index.head) if isinstance(index, Sym) and not index.scripted else None
            value = sp.Integer(bound) if isinstance(bound, int) else self.expr(index)
            base = sp.IndexedBase(name, real=True)[value]
        else:
            base = sp.Symbol(name_key(head, sub, None, self.env), real=True)
        return self.functions.get(base, base)

    def _free(self, head: str, kind: str, sub: Script | None, sup: Script | None, primes: int) -> Value:
        if kind not in ("letter", "greek", "accent") or head == "\\nabla":
            raise self.scope.unknown(head + (f"_{{{script_key(sub, self.env)}}}" if sub is not None else ""))
        if head == self.scope.function_key and sub is not None and sup is None and sub.expr is not None:
            return self.activation(self.expr(sub.expr), primes)  # Sears' \\varphi_x := \\varphi(x)
        if head in FUNCTION_LETTERS and sub is None and sup is None:
            return FuncMarker(head, primes, undefined=True)
        if head.startswith("\\vec{") and self.record is not None:
            self.record.vectors.append(head)  # a vector only a definition may name without its value
        if primes:
            raise ResolveError(f"a prime on the variable {head} has no meaning here; write its derivative")
        base = self.free_symbol(head, sub)
        if sup is None:
            return base
        if sup.expr is None:
            raise ResolveError("a superscript that is not one expression")
        return base ** self.expr(sup.expr)

    def name(self, head: str, kind: str, sub: Script | None, sup: Script | None, primes: int) -> Value:
        if kind == "name" and " " in head.strip() and head.split()[0].lower() in PROSE:
            raise ResolveError(f"prose inside the maths: \\text{{{head}}}")
        if kind == "name" and head.lower() in PROSE:
            raise ResolveError(f"prose inside the maths: \\text{{{head}}}")
        if kind == "dots":
            raise ResolveError("an elided series (\\dots) must read a_1 + a_2 + \\dots + a_N")
        value = self.lookup(head, sub, sup)
        if value is not None:
            return self._primed(value, primes)
        if sup is not None:
            base = self.lookup(head, sub, None)
            if base is not None and sup.expr is not None:
                return self._primed(base, primes) ** self.expr(sup.expr)
        if sub is not None and sub.tokens:
            marker = script_key(Script(sub.tokens[-3:], None)).lower()
            for suffix, new in ((",new", True), (",old", False)):
                if marker.endswith(suffix) or script_key(sub).lower().endswith(suffix):
                    trimmed = _trim_suffix(sub)
                    base = self.lookup(head, trimmed, None)
                    pid = self.scope.param_of(base) if base is not None else None
                    if pid is not None:
                        value = base + self.scope.update_mid(pid) if new else base
                        return value ** self.expr(sup.expr) if sup is not None and sup.expr is not None else value
        if head == "e" and sub is None and sup is not None and sup.expr is not None:
            return sp.exp(self.expr(sup.expr))
        if sub is None and (head == self.scope.function_key or head in FUNCTION_HEADS):
            # in a statement of calculus f, g, h are any functions, even where the notation's activation is f
            return FuncMarker(head, primes, undefined=self.free and head in FUNCTION_LETTERS)
        if head == "\\Delta" and sub is None and sup is None:
            return DeltaOp()
        if sub is None and sup is None and head in self.scope.counts:
            return sp.Integer(self.scope.spec.sizes[self.scope.counts[head]])
        implicit = self.implicit_index(head) if sub is None and sup is None else None
        if implicit is not None:
            return self._primed(implicit, primes)
        if self.free:
            return self._free(head, kind, sub, sup, primes)
        shown = head + (f"_{{{script_key(sub, self.env)}}}" if sub is not None else "")
        raise self.scope.unknown(shown, whole=sup is None)

    def _primed(self, value: Expr, primes: int) -> Expr:
        if primes == 0:
            return value
        pid = self.scope.param_of(value)
        if primes == 1 and pid is not None:
            return value + self.scope.update_mid(pid)
        raise ResolveError(f"a prime on {value} has no meaning here")

    # -- expressions -------------------------------------------------------
    def expr(self, node: Node) -> Expr:
        value = self.value(node)
        if not isinstance(value, sp.Basic):
            raise ResolveError(_marker_error(value))
        return value

    def value(self, node: Node) -> Value:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Sym):
            return self.prod(Prod((("", node),)))
        if isinstance(node, Add):
            if any(_is_dots(term) for _, term in node.terms):
                return self.series(node)
            total: Expr = sp.Integer(0)
            for sign, term in node.terms:
                total = plus(total, self.expr(term), sign)
            return total
        if isinstance(node, Prod):
            return self.prod(node)
        if isinstance(node, Group):
            if node.kind == "aside":
                raise ResolveError("a relation inside parentheses is an aside, not part of the expression")
            if node.kind == "tuple":
                return self.vector(node)
            if node.kind == "set" or len(node.items) != 1:
                raise ResolveError(f"a {node.kind} of several items is not one expression")
            return self.expr(node.items[0])
        if isinstance(node, Alt):
            raise ResolveError("alternatives (\\text{or}) are read only as a whole right-hand side")
        if isinstance(node, Scripted):
            base = self.expr(node.base)
            if node.primes and node.sub is None and node.sup is None and self.free:
                return self.primed_derivative(base, node.primes)
            if node.sub is not None or node.primes:
                raise ResolveError("a subscript or prime on a bracket or fraction has no meaning here")
            if node.sup is None or node.sup.expr is None:
                raise ResolveError("a superscript that is not one expression")
            return base ** self.expr(node.sup.expr)
        if isinstance(node, Frac):
            return self.frac(node)
        if isinstance(node, Sqrt):
            return sp.sqrt(self.expr(node.body))
        if isinstance(node, Partial):
            raise ResolveError("a \\partial outside a fraction \\frac{\\partial N}{\\partial D}")
        if isinstance(node, BigSum):
            return self.bigsum(node)
        raise ResolveError(f"cannot read {type(node).__name__}")  # pragma: no cover

    def series(self, node: Add) -> Expr:
        """``a_1 + a_2 + \\dots + a_N`` (with any other terms before or after): the terms follow
        the first ones up to a count N, a layer size from the notation's [counts], the number of
        cases n, or (in a statement of calculus) a free count: a SymPy Sum. An elision among
        zeros (``0 + 0 + \\dots + 0 + 1``) stands for zeros."""
        terms = list(node.terms)
        nodes = [t for _, t in terms]
        if _among_zeros(nodes):
            return self.expr(Add(tuple((sign, t) for sign, t in terms if not _is_dots(t))))
        start, d, count = self.elision(nodes)
        self.note_written(nodes[start:d])
        if any(sign != "+" for sign, _ in terms[start : d + 2]):
            raise ResolveError("an elided series (\\dots) must read a_1 + a_2 + \\dots + a_N")
        total = self.series_value(nodes[d + 1], count, vector=False)
        for sign, term in terms[:start] + terms[d + 2 :]:
            total = plus(total, self.expr(term), sign)
        return total

    def elision(self, nodes: list[Node]) -> tuple[int, int, str]:
        """(first term, position of the \\dots, count letter) of the one series in ``nodes``."""
        dots = [k for k, n in enumerate(nodes) if _is_dots(n)]
        if len(dots) != 1 or dots[0] == 0 or dots[0] == len(nodes) - 1:
            raise ResolveError("an elided series (\\dots) must read a_1 + a_2 + \\dots + a_N")
        d = dots[0]
        last = nodes[d + 1]
        for count in _letters(last):
            for m in range(d, 0, -1):  # the longest run of terms 1..m just before the dots
                if all(_shape(_templated(last, count, k)) == _shape(nodes[d - m + k - 1]) for k in range(1, m + 1)):
                    return d - m, d, count
        raise ResolveError("an elided series (\\dots) whose terms do not follow one index up to its last term")

    def series_value(self, last: Node, count: str, vector: bool) -> Expr:
        """The series' sum (or, for a vector, its components) from its last term and count letter."""
        cases = self.scope.notation.get("cases") or "n"
        net = self.scope.net
        if count == cases and net.case is not None and not vector and not self.free:
            assert net.n_cases is not None
            body = self.expr(_templated(last, count, None, str(net.case)))
            return sp.Sum(body, (net.case, 1, net.n_cases))
        if count in self.scope.counts:
            size = self.scope.spec.sizes[self.scope.counts[count]]
            items = [self.expr(_templated(last, count, k)) for k in range(1, size + 1)]
            return sp.Tuple(*items) if vector else sp.Add(*items)
        if not self.free:  # (a statement of calculus may still read it, with a free count)
            raise UnknownName(f"an elided series up to {count}: {count} is not a count this notation knows")
        upper = self.expr(Sym("letter", count, None, None, 0, 0, 0))
        body = replace(self, names={**self.names, SERIES_KEY: SERIES_INDEX}).expr(_templated(last, count, None, SERIES_KEY))
        if vector:
            return sp.SeqFormula(body, (SERIES_INDEX, 1, upper))
        return sp.Sum(body, (SERIES_INDEX, 1, upper))

    def note_written(self, nodes: list[Node]) -> None:
        """In a free reading, the written first terms of a series are read too: a network quantity
        among them makes the statement one about the network (their values come from the last term)."""
        if self.free:
            for n in nodes:
                self.expr(n)

    def vector(self, node: Group) -> Expr:
        """A tuple (0.7, 0.1, 0.4) or (w_1, w_2, \\dots, w_n): a SymPy Tuple, or a SeqFormula in a free count."""
        nodes = list(node.items)
        if not any(_is_dots(n) for n in nodes):
            return sp.Tuple(*[self.expr(n) for n in nodes])
        start, d, count = self.elision(nodes)
        self.note_written(nodes[start:d])
        if start or d + 2 != len(nodes):
            raise ResolveError("a tuple with \\dots must read (a_1, a_2, \\dots, a_N)")
        return self.series_value(nodes[-1], count, vector=True)

    def bigsum(self, node: BigSum) -> Expr:
        lo, hi = self.expr(node.lo), self.expr(node.hi)
        if self.free and not (lo.is_Integer and hi.is_Integer):  # a statement of calculus: a sum in a free count
            body = replace(self, names={**self.names, node.var: SERIES_INDEX}).expr(node.body)
            return sp.Sum(body, (SERIES_INDEX, lo, hi))
        if not (lo.is_Integer and hi.is_Integer) or int(hi) - int(lo) > MAX_SUM:
            raise ResolveError(f"the sum over {node.var} needs whole-number limits, got {lo} and {hi}")
        return sp.Add(*[self.with_env(**{node.var: v}).expr(node.body) for v in range(int(lo), int(hi) + 1)])

    def frac(self, node: Frac) -> Value:
        num_d, den_d = self.after_d(node.num), self.after_d(node.den)
        if num_d is not None and den_d is not None and den_d[0] is not None:
            return self.operator(num_d[0], den_d[0])  # \\frac{d}{dx}, \\frac{dy}{dx}, \\frac{dx^2}{dx}
        num, den_node = as_partial(node.num), as_partial(node.den)
        if isinstance(num, Partial) or isinstance(den_node, Partial):
            if not (isinstance(num, Partial) and isinstance(den_node, Partial)) or den_node.body is None:
                raise ResolveError("a partial derivative must read \\frac{\\partial N}{\\partial D}")
            if num.body is not None and self.bare_function(den_node.body):
                top = self.expr(num.body)  # Maren's ∂E_o/∂F: F is the activation of E_o's unit
                return self.derivative(top, self.unit_activation(top))
            if num.body is not None and self.bare_function(num.body):
                den = self.variable(den_node.body)  # Maren's ∂F/∂(NdInpt_o): F of that unit
                return self.derivative(self.unit_activation(den), den)
            return self.operator(num.body, den_node.body)
        return self.expr(node.num) / self.expr(node.den)

    def operator(self, num: Node | None, den: Node) -> Value:
        """d/dD (num None) or dN/dD."""
        variable = self.variable(den)
        if num is None:
            return DerivOp(variable)
        return self.derivative(self.expr(num), variable)

    def after_d(self, node: Node) -> tuple[Node | None] | None:
        """``d`` (-> (None,)) or ``d`` followed by what it acts on (-> (rest,)); None if not an
        ordinary differential (a notation that names d keeps it)."""
        items = node.items if isinstance(node, Prod) else (("", node),)
        first = items[0][1]
        if not (isinstance(first, Sym) and first.kind == "letter" and first.head == "d" and not first.scripted):
            return None
        if self.lookup("d", None, None) is not None:
            return None
        rest = items[1:]
        if not rest:
            return (None,)
        if rest[0][0] != "":
            return None
        return (rest[0][1] if len(rest) == 1 else Prod((("", rest[0][1]), *rest[1:])),)

    def bare_function(self, node: Node) -> bool:
        return isinstance(node, Sym) and node.head == self.scope.function_key and not node.scripted

    def unit_activation(self, expr: Expr) -> Expr:
        found = self.scope.unit_activation(expr)
        if found is None:
            raise ResolveError(f"the bare function {self.scope.function_key} needs a unit: {expr} belongs to none")
        return found

    def variable(self, node: Node) -> Expr:
        value = self.expr(node)
        value = self.scope.reverse.get(value, value)
        if isinstance(node, Sym) and name_key(node.head, node.sub, node.sup, self.env) in self.names and not value.is_number:
            return value  # a local name (u = o_1 - d_1): differentiate by it where its value occurs
        if not isinstance(value, (sp.Symbol, sp.Indexed, AppliedUndef)) or value.is_number:
            raise ResolveError(f"cannot differentiate with respect to {value}: not one quantity of the network")
        return value

    def primed_derivative(self, base: Expr, primes: int) -> Expr:
        """``[f(g(x))]'``: the derivative in the statement's one free variable."""
        variables = sorted(free_variables_of(base, self.scope), key=str)
        if len(variables) != 1:
            shown = ", ".join(map(str, variables)) or "none"
            raise ResolveError(f"a prime on an expression needs exactly one variable, found {shown}")
        return sp.diff(base, variables[0], primes)

    def derivative(self, num: Expr, den: Expr) -> Expr:
        if not isinstance(den, (sp.Symbol, sp.Indexed, AppliedUndef)):  # a local name's value, held whole
            held = sp.Dummy("held", real=True)
            return sp.diff(num.xreplace({den: held}), held).xreplace({held: den})
        if self.record is not None and isinstance(num, (sp.Symbol, sp.Indexed)) and num != den:
            if not mentions(num, self.scope.network_atoms) and not mentions(den, self.scope.network_atoms):
                self.record.pairs.append((num, den))
        pid = self.scope.param_of(den)
        if pid is not None and num == ERROR:
            return self.scope.grad_mid(pid)  # the delta recursion: the same value, far smaller
        if pid is not None and num == self.scope.e_case and num != ERROR:
            return self.scope.gradient(pid).per_case.value.xreplace(self.scope.canon)
        expanded = self.scope.expand(num, keep=den)
        result = sp.diff(expanded, den)
        result = result.xreplace(self.scope.unclosed)
        return result.xreplace(self.scope.reverse)

    def prod(self, node: Prod) -> Value:
        values = list(self._factors(node.items))
        out: list[tuple[str, Expr]] = []
        i = 0
        while i < len(values):
            op, v = values[i]
            if isinstance(v, (FuncMarker, DerivOp, DeltaOp)):
                if i + 1 >= len(values) or isinstance(values[i + 1][1], (FuncMarker, DerivOp, DeltaOp)):
                    if isinstance(v, FuncMarker) and v.undefined and not v.primes:
                        out.append((op, self.free_symbol(v.head, None)))  # a bare f: a dependent variable
                        i += 1
                        continue
                    raise ResolveError(_marker_error(v))
                arg_node_value = values[i + 1][1]
                assert isinstance(arg_node_value, sp.Basic)
                v = self.apply(v, arg_node_value)
                i += 1
            out.append((op, v))
            i += 1
        result: Expr = sp.Integer(1)
        for op, v in out:
            result = times(result, v, op)
        return result

    def apply(self, marker: FuncMarker | DerivOp | DeltaOp, arg: Expr) -> Expr:
        if isinstance(marker, DerivOp):
            return self.derivative(arg, marker.den)
        if isinstance(marker, DeltaOp):
            pid = self.scope.param_of(arg)
            if pid is None:
                raise ResolveError(f"\\Delta must be followed by a parameter, got {arg}")
            return self.scope.update_mid(pid)
        if marker.undefined:
            return undefined_function(marker.head, arg, marker.primes)
        if is_vector(arg):
            raise ResolveError(f"{marker.head} is applied to a vector; it takes one number (write it for each entry)")
        if marker.head in FUNCTION_HEADS:
            if marker.primes:
                raise ResolveError(f"a prime on {marker.head} is not read; write the derivative out")
            return FUNCTION_HEADS[marker.head](arg)
        return self.activation(arg, marker.primes)

    def activation(self, arg: Expr, primes: int) -> Expr:
        spec, net = self.scope.spec, self.scope.net
        layer = None
        for l in range(1, net.depth + 1):
            if arg in net.z[l]:
                layer = l
        if layer is None:
            if len(set(zip(spec.activations, spec.gains))) != 1:
                raise ResolveError("the activation differs between layers; apply it to a net input")
            layer = net.depth
        act = ACTIVATIONS[spec.activations[layer - 1]]
        gain = net.gain if spec.gains[layer - 1] else None
        value = act.apply(arg, gain)
        if primes == 0:
            return self.scope.reverse.get(value, value)
        if primes == 1:
            return act.slope(self.scope.reverse.get(value, value), arg, gain)
        raise ResolveError("only a first derivative σ' of the activation is read")

    def _factors(self, items: tuple[tuple[str, Node], ...]) -> Iterator[tuple[str, Value]]:
        i = 0
        while i < len(items):
            op, node = items[i]
            slash = self.slash_d(items, i)
            if slash is not None:
                value, i = slash
                yield op, value
                continue
            if isinstance(node, Partial) and i + 2 < len(items) + 1 and node.body is not None:
                # \partial y / \partial x
                if i + 1 < len(items) and items[i + 1][0] == "/" and isinstance(items[i + 1][1], Partial):
                    den_node = items[i + 1][1]
                    assert isinstance(den_node, Partial) and den_node.body is not None
                    yield op, self.derivative(self.expr(node.body), self.variable(den_node.body))
                    i += 2
                    continue
            if isinstance(node, Sym) and node.kind == "letter":
                j = i + 1
                run = [node]
                while (
                    j < len(items)
                    and items[j][0] == ""
                    and isinstance(items[j][1], Sym)
                    and items[j][1].kind == "letter"
                    and not run[-1].scripted
                    and run[-1].end == items[j][1].start
                ):
                    run.append(items[j][1])  # type: ignore[arg-type]
                    j += 1
                first = True
                value: Value = sp.Integer(1)
                for value in self._segment(run):
                    yield (op if first else ""), value
                    first = False
                i = j + self._arguments(value, items, j)
                continue
            if isinstance(node, Sym):
                value = self.name(node.head, node.kind, node.sub, node.sup, node.primes)
                yield op, value
                i += 1 + self._arguments(value, items, i + 1)
                continue
            yield op, self.value(node)
            i += 1

    def _arguments(self, value: Value, items: tuple[tuple[str, Node], ...], j: int) -> int:
        """1 to skip ``(w_1, ..., b_beta)`` after the error E: the parameters it is a function of."""
        if value in (ERROR, self.scope.e_case) and j < len(items) and _is_arguments(items[j]):
            return 1
        return 0

    def slash_d(self, items: tuple[tuple[str, Node], ...], i: int) -> tuple[Value, int] | None:
        """``dy/dx`` or ``d/dx`` written with a slash: (its value, the next item's position)."""
        if self.after_d(items[i][1]) is None:
            return None
        for j in range(i + 1, len(items) - 1):
            op, node = items[j]
            if op == "/" and self.after_d(node) == (None,) and items[j + 1][0] == "":
                between = items[i + 1 : j]
                num = None if not between else Prod((("", between[0][1]), *between[1:]))
                return self.operator(num, items[j + 1][1]), j + 2
            if op != "":
                return None
        return None

    def _segment(self, run: list[Sym]) -> Iterator[Value]:
        """Split adjacent letters into the longest names the notation knows (NdInpt_o, SSE)."""
        try:
            yield from self._split(run)
        except ResolveError as exc:
            if len(run) == 1 or not isinstance(exc, UnknownName):
                raise
            last = run[-1]
            word = "".join(s.head for s in run) + (f"_{{{script_key(last.sub, self.env)}}}" if last.sub else "")
            raise self.scope.unknown(word) from None

    def _split(self, run: list[Sym]) -> Iterator[Value]:
        start = 0
        while start < len(run):
            for end in range(len(run), start, -1):
                last = run[end - 1]
                head = "".join(s.head for s in run[start:end])
                if end - start > 1 and not self.known(head, last.sub, last.sup):
                    continue
                yield self.name(head, "letter", last.sub, last.sup, last.primes)
                start = end
                break


def mentions(value: Expr, atoms: frozenset[Expr]) -> bool:
    """Whether an expression involves one of the network's own quantities."""
    if value in atoms:
        return True
    return bool((value.free_symbols | value.atoms(sp.Indexed)) & atoms)


def free_variables_of(expr: Expr, scope: Scope) -> set[Expr]:
    """The real variables of a statement of calculus (not the gain, learning rate or a count)."""
    fixed = {scope.objects.get(k) for k in ("alpha", "eta", "n")} | {i.base.label for i in expr.atoms(sp.Indexed)}
    found = {s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s not in fixed and s not in scope.network_atoms}
    return {s for s in found if not any(isinstance(i, sp.Indexed) and s in i.indices for i in expr.atoms(sp.Indexed))} | {
        i for i in expr.atoms(sp.Indexed) if i not in scope.network_atoms
    }


def undefined_function(head: str, arg: Expr, primes: int) -> Expr:
    """f(arg), f'(arg) for an undefined function f (of one or several arguments)."""
    args = tuple(arg) if isinstance(arg, sp.Tuple) else (arg,)
    value = sp.Function(head, real=True)(*args)
    if primes == 0:
        return value
    if primes > 1 or len(args) != 1:
        raise ResolveError(f"only a first derivative {head}' of a function of one variable is read")
    return value.fdiff(1)


def dependencies(pairs: list[tuple[Expr, Expr]]) -> dict[Expr, Expr]:
    """Free names a statement differentiates (∂y/∂u, ∂u/∂x) as undefined functions of what they
    are differentiated by, through the shortest links: y -> y(u(x)), u -> u(x) (the chain rule's reading)."""
    edges: dict[Expr, set[Expr]] = {}
    for num, den in pairs:
        edges.setdefault(num, set()).add(den)

    def reach(start: Expr, seen: frozenset[Expr] = frozenset()) -> set[Expr]:
        if start in seen:
            raise ResolveError(f"{start} is differentiated by itself through a chain of derivatives")
        out: set[Expr] = set()
        for d in edges.get(start, ()):
            out |= {d} | reach(d, seen | {start})
        return out

    direct = {n: {d for d in ds if not any(d in reach(o) for o in ds if o != d)} for n, ds in edges.items()}
    out: dict[Expr, Expr] = {}

    def build(name: Expr) -> Expr:
        if name not in direct:
            return name
        if name not in out:
            args = [build(d) for d in sorted(direct[name], key=str)]
            out[name] = sp.Function(str(name), real=True)(*args)
        return out[name]

    for name in sorted(direct, key=str):
        build(name)
    return out


VECTORS = (sp.Tuple, sp.SeqFormula)


def is_vector(value: object) -> bool:
    return isinstance(value, VECTORS)


def _each(a: Expr, f: Callable[[Expr], Expr]) -> Expr:
    if isinstance(a, sp.Tuple):
        return sp.Tuple(*[f(x) for x in a])
    assert isinstance(a, sp.SeqFormula)
    return sp.SeqFormula(f(a.formula), (a.variables[0], a.start, a.stop))


def _pairwise(a: Expr, b: Expr, f: Callable[[Expr, Expr], Expr], what: str) -> list[Expr] | sp.SeqFormula:
    if isinstance(a, sp.Tuple) and isinstance(b, sp.Tuple) and len(a) == len(b):
        return [f(x, y) for x, y in zip(a, b)]
    if isinstance(a, sp.SeqFormula) and isinstance(b, sp.SeqFormula) and (a.start, a.stop) == (b.start, b.stop):
        k = a.variables[0]
        return sp.SeqFormula(f(a.formula, b.formula.xreplace({b.variables[0]: k})), (k, a.start, a.stop))
    raise ResolveError(f"{what} of vectors of different lengths")


def times(a: Expr, b: Expr, op: str) -> Expr:
    """a * b (op '' or '*') or a / b, with vectors: a scalar multiple, or the dot product ``\\vec{w} \\cdot \\vec{u}``."""
    if not (is_vector(a) or is_vector(b)):
        return a / b if op == "/" else a * b
    if op == "/" and is_vector(b):
        raise ResolveError("division by a vector")
    if is_vector(a) and is_vector(b):
        if op != "*":
            raise ResolveError("two vectors side by side: write their dot product with \\cdot")
        pairs = _pairwise(a, b, lambda x, y: x * y, "a dot product")
        if isinstance(pairs, sp.SeqFormula):
            return sp.Sum(pairs.formula, (pairs.variables[0], pairs.start, pairs.stop))
        return sp.Add(*pairs)
    if is_vector(a):
        return _each(a, lambda x: x / b if op == "/" else x * b)
    return _each(b, lambda x: a * x)


def plus(a: Expr, b: Expr, sign: str) -> Expr:
    """a + b or a - b, element-wise for vectors (0 + v is v)."""
    if not (is_vector(a) or is_vector(b)):
        return a - b if sign == "-" else a + b
    if a == 0 and is_vector(b):
        return _each(b, lambda x: -x) if sign == "-" else b
    if not (is_vector(a) and is_vector(b)):
        raise ResolveError("a vector plus a number")
    pairs = _pairwise(a, b, lambda x, y: x - y if sign == "-" else x + y, "a sum")
    return pairs if isinstance(pairs, sp.SeqFormula) else sp.Tuple(*pairs)


SERIES_KEY = "\\varkappa"  # the running index of a series in a free count (a letter no source uses)
SERIES_INDEX = sp.Dummy("k", integer=True, positive=True)


def _among_zeros(nodes: list[Node]) -> bool:
    """Every written term but at most one is 0: the elided terms are zeros too."""
    written = [n for n in nodes if not _is_dots(n)]
    zeros = [n for n in written if isinstance(n, Num) and n.value == 0]
    return len(written) - len(zeros) <= 1 and len(zeros) >= 2


def _is_arguments(item: tuple[str, Node]) -> bool:
    op, node = item
    return op == "" and isinstance(node, Group) and node.kind == "tuple"


def _is_dots(node: Node) -> bool:
    return isinstance(node, Sym) and node.kind == "dots"


def _letters(node: object) -> list[str]:
    """Letters and Greek letters used as subscripts: candidates for a series' count."""
    found = [text for n in walk(node) if isinstance(n, Script) for typ, text in n.tokens if typ in ("LETTER", "GREEK")]
    return list(dict.fromkeys(found))


def _templated(node: Node, count: str, k: int | None, text: str | None = None) -> Node:
    """node with the subscript letter ``count`` replaced by the number k (or the letter text)."""
    value = str(k) if k is not None else str(text)
    kind = "LETTER" if k is None else ("DIGIT" if len(value) == 1 else "NUMBER")

    def script(sc: Script | None) -> Script | None:
        if sc is None:
            return None
        tokens = tuple((kind, value) if t == count and typ in ("LETTER", "GREEK") else (typ, t) for typ, t in sc.tokens)
        return Script(tokens, walk(sc.expr) if sc.expr is not None else None)

    def walk(n: object) -> object:
        if isinstance(n, Sym):
            if n.head == count and not n.scripted:
                return Num(sp.Integer(k), value) if k is not None else replace(n, head=value)
            return replace(n, sub=script(n.sub), sup=script(n.sup))
        if isinstance(n, Script):
            return script(n)
        if isinstance(n, tuple):
            return tuple(walk(item) for item in n)
        if hasattr(n, "__dataclass_fields__"):
            return replace(n, **{f: walk(getattr(n, f)) for f in n.__dataclass_fields__})  # type: ignore[arg-type]
        return n

    return walk(node)  # type: ignore[return-value]


def _shape(node: object) -> object:
    """A node without source positions, for comparing the terms of a series."""
    if isinstance(node, Sym):
        return ("sym", node.kind, node.head, _shape(node.sub), _shape(node.sup), node.primes)
    if isinstance(node, Script):
        return ("script", node.tokens)
    if isinstance(node, Num):
        return ("num", node.value)
    if isinstance(node, tuple):
        return tuple(_shape(item) for item in node)
    if hasattr(node, "__dataclass_fields__"):
        return (type(node).__name__,) + tuple(_shape(getattr(node, f)) for f in node.__dataclass_fields__)
    return node


def as_partial(node: Node) -> Node:
    """A numerator ``\\partial v_{h,o} * H_h`` or ``\\partial \\sum ...`` is ∂ of the whole numerator."""
    if isinstance(node, Prod) and node.items and isinstance(node.items[0][1], Partial):
        first = node.items[0][1]
        rest = list(node.items[1:])
        items = ([("", first.body)] if first.body is not None else []) + rest
        if items and items[0][0] == "*":
            items[0] = ("", items[0][1])
        body = items[0][1] if len(items) == 1 else Prod(tuple(items))
        return Partial(body)
    return node


def _trim_suffix(sub: Script) -> Script:
    tokens = list(sub.tokens)
    while tokens and tokens[-1][0] != "COMMA":
        tokens.pop()
    if tokens:
        tokens.pop()
    return Script(tuple(tokens), None)


def _marker_error(value: object) -> str:
    if isinstance(value, FuncMarker):
        return f"the function {value.head} needs an argument in parentheses"
    if isinstance(value, DerivOp):
        return "the operator \\frac{\\partial}{\\partial D} needs something to act on"
    if isinstance(value, DeltaOp):
        return "\\Delta must be followed by a parameter"
    return "not an expression"


# -- free indices and generic names -------------------------------------------------


def free_variables(nodes: list[Node], scope: Scope, fixed: Mapping[str, object]) -> dict[str, tuple[int | str, ...]]:
    """Index letters and generic names a claim leaves free, each with its range."""
    found: dict[str, tuple[int | str, ...]] = {}
    indices = scope.indices
    sizes = scope.spec.sizes

    def visit(node: object, bound: frozenset[str]) -> None:
        if isinstance(node, BigSum):
            visit(node.lo, bound)
            visit(node.hi, bound)
            visit(node.body, bound | {node.var})
            return
        if isinstance(node, Sym):
            key = name_key(node.head, node.sub, node.sup)
            if key in scope.generic and key not in fixed:
                found[key] = scope.generic[key]
            for script in (node.sub, node.sup):
                if script is None:
                    continue
                for typ, text in script.tokens:
                    if typ == "LETTER" and text in indices and text not in bound and text not in fixed:
                        found[text] = tuple(range(1, sizes[indices[text]] + 1))
                if script.expr is not None:
                    visit(script.expr, bound)
            return
        if isinstance(node, tuple):
            for item in node:
                visit(item, bound)
            return
        if hasattr(node, "__dataclass_fields__"):
            for name in node.__dataclass_fields__:  # type: ignore[attr-defined]
                visit(getattr(node, name), bound)

    for n in nodes:
        visit(n, frozenset())
    return dict(sorted(found.items()))


def bindings(free: dict[str, tuple[int | str, ...]]) -> list[dict[str, int | str]]:
    keys = list(free)
    combos = list(itertools.islice(itertools.product(*(free[k] for k in keys)), MAX_BINDINGS + 1))
    if len(combos) > MAX_BINDINGS:
        raise ResolveError(f"the free indices {', '.join(keys)} have more than {MAX_BINDINGS} bindings; give --bind")
    return [dict(zip(keys, c)) for c in combos]


def resolver(scope: Scope, binding: Mapping[str, int | str], named: Mapping[str, Expr] | None = None) -> Resolver:
    """A resolver for one binding: index letters to unit numbers, generic names to parameters."""
    env = {k: v for k, v in binding.items() if isinstance(v, int)}
    names = dict(named or {})
    for key, pid in binding.items():
        if isinstance(pid, str):
            names[key] = scope.objects[pid]
    return Resolver(scope, env, names)
