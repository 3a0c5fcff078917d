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
from typing import Iterator, Mapping, Union

import sympy as sp

from .activations import ACTIVATIONS
from .derive import ERROR, Gradient
from .errors import SymbackpropError
from .network import Network, build
from .notation import Notation, load_notation, normalise, notation_names
from .reader import (
    Add,
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
    for typ, text in script.tokens:
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
        return out

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


@dataclass(frozen=True)
class Resolver:
    """Turns nodes into SymPy under one binding of the free indices and generic names."""

    scope: Scope
    env: Mapping[str, int | str] = field(default_factory=dict)
    names: Mapping[str, Expr] = field(default_factory=dict)  # name key -> bound object

    def with_env(self, **more: int) -> "Resolver":
        return Resolver(self.scope, {**self.env, **more}, self.names)

    # -- names -------------------------------------------------------------
    def lookup(self, head: str, sub: Script | None, sup: Script | None) -> Expr | None:
        key = name_key(head, sub, sup, self.env)
        if key in self.names:
            return self.names[key]
        cid = self.scope.table.get(key)
        return self.scope.objects[cid] if cid is not None else None

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
            return FuncMarker(head, primes)
        if head == "\\Delta" and sub is None and sup is None:
            return DeltaOp()
        if sub is None and sup is None and head in self.scope.counts:
            return sp.Integer(self.scope.spec.sizes[self.scope.counts[head]])
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
                v = self.expr(term)
                total = total - v if sign == "-" else total + v
            return total
        if isinstance(node, Prod):
            return self.prod(node)
        if isinstance(node, Group):
            if node.kind in ("tuple", "set") or len(node.items) != 1:
                raise ResolveError(f"a {node.kind} of several items is not one expression")
            return self.expr(node.items[0])
        if isinstance(node, Scripted):
            if node.sub is not None or node.primes:
                raise ResolveError("a subscript or prime on a bracket or fraction has no meaning here")
            base = self.expr(node.base)
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
        """``a_1 + a_2 + \\dots + a_N``: the terms follow the first ones, up to a count N
        (a layer size from the notation's [counts], or the number of cases n)."""
        terms = list(node.terms)
        dots = [k for k, (_, t) in enumerate(terms) if _is_dots(t)]
        if len(dots) != 1 or dots[0] == 0 or dots[0] == len(terms) - 1 or any(sign != "+" for sign, _ in terms):
            raise ResolveError("an elided series (\\dots) must read a_1 + a_2 + \\dots + a_N")
        first, last = terms[0][1], terms[-1][1]
        head = [t for _, t in terms[: dots[0]]]
        if dots[0] != len(terms) - 2:
            raise ResolveError("an elided series (\\dots) must end with its last term a_N")
        cases = self.scope.notation.get("cases") or "n"
        for count in _letters(last):
            if all(_shape(_templated(last, count, k)) == _shape(t) for k, t in enumerate(head, start=1)):
                if count == cases and self.scope.net.case is not None:
                    case = self.scope.net.case
                    body = self.with_names(count, case).expr(_templated(last, count, None, str(case)))
                    assert self.scope.net.n_cases is not None
                    return sp.Sum(body, (case, 1, self.scope.net.n_cases))
                if count in self.scope.counts:
                    size = self.scope.spec.sizes[self.scope.counts[count]]
                    return sp.Add(*[self.expr(_templated(last, count, k)) for k in range(1, size + 1)])
        raise ResolveError("an elided series (\\dots) whose terms do not follow one index up to a known count")

    def with_names(self, count: str, case: sp.Symbol) -> "Resolver":
        return self

    def bigsum(self, node: BigSum) -> Expr:
        lo, hi = self.expr(node.lo), self.expr(node.hi)
        if not (lo.is_Integer and hi.is_Integer) or int(hi) - int(lo) > MAX_SUM:
            raise ResolveError(f"the sum over {node.var} needs whole-number limits, got {lo} and {hi}")
        return sp.Add(*[self.with_env(**{node.var: v}).expr(node.body) for v in range(int(lo), int(hi) + 1)])

    def frac(self, node: Frac) -> Value:
        num, den_node = as_partial(node.num), as_partial(node.den)
        if isinstance(num, Partial) or isinstance(den_node, Partial):
            if not (isinstance(num, Partial) and isinstance(den_node, Partial)) or den_node.body is None:
                raise ResolveError("a partial derivative must read \\frac{\\partial N}{\\partial D}")
            den = self.variable(den_node.body)
            if num.body is None:
                return DerivOp(den)
            return self.derivative(self.expr(num.body), den)
        return self.expr(node.num) / self.expr(node.den)

    def variable(self, node: Node) -> Expr:
        value = self.expr(node)
        value = self.scope.reverse.get(value, value)
        if not isinstance(value, (sp.Symbol, sp.Indexed)) or value.is_number:
            raise ResolveError(f"cannot differentiate with respect to {value}: not one quantity of the network")
        return value

    def derivative(self, num: Expr, den: Expr) -> Expr:
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
                    raise ResolveError(_marker_error(v))
                arg_node_value = values[i + 1][1]
                assert isinstance(arg_node_value, sp.Basic)
                v = self.apply(v, arg_node_value)
                i += 1
            out.append((op, v))
            i += 1
        result: Expr = sp.Integer(1)
        for op, v in out:
            result = result / v if op == "/" else result * v
        return result

    def apply(self, marker: FuncMarker | DerivOp | DeltaOp, arg: Expr) -> Expr:
        if isinstance(marker, DerivOp):
            return self.derivative(arg, marker.den)
        if isinstance(marker, DeltaOp):
            pid = self.scope.param_of(arg)
            if pid is None:
                raise ResolveError(f"\\Delta must be followed by a parameter, got {arg}")
            return self.scope.update_mid(pid)
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
                for value in self._segment(run):
                    yield (op if first else ""), value
                    first = False
                i = j
                continue
            if isinstance(node, Sym):
                yield op, self.name(node.head, node.kind, node.sub, node.sup, node.primes)
            else:
                yield op, self.value(node)
            i += 1

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
                if end - start > 1 and self.lookup(head, last.sub, last.sup) is None and self.lookup(head, last.sub, None) is None:
                    continue
                yield self.name(head, "letter", last.sub, last.sup, last.primes)
                start = end
                break


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
            if n.head == count and not n.scripted and k is not None:
                return Num(sp.Integer(k), value)
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
