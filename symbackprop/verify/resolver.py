"""The resolver: a read node to SymPy under one binding of free indices and generic names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

import sympy as sp

from symbackprop.backprop.forms import ERROR
from symbackprop.verify.cases import CaseReading
from symbackprop.verify.derivatives import DerivativeReading
from symbackprop.verify.extrema import extremum, extremum_arguments
from symbackprop.verify.functions import FunctionReading, Powered, indicator
from symbackprop.verify.keys import name_key, script_key
from symbackprop.verify.reader import (
    Add,
    Alt,
    BigSum,
    Cases,
    Frac,
    Group,
    Node,
    Num,
    Partial,
    Prod,
    Script,
    Scripted,
    Sqrt,
    Sym,
    Transpose,
)
from symbackprop.verify.scope import (
    PROSE,
    DeltaOp,
    DerivOp,
    FuncMarker,
    ResolveError,
    Scope,
    UnknownName,
    Value,
)
from symbackprop.verify.series import SeriesReading
from symbackprop.verify.standard import StandardReading
from symbackprop.verify.values import (
    is_arguments,
    is_dots,
    is_vector,
    marker_error,
    mentions,
    parameter_vector,
    plus,
    times,
    trim_suffix,
    undefined_function,
)
from symbackprop.verify.vectorfunctions import softmax, softmax_argument


@dataclass
class FreeRecord:
    """What a reading in free variables met: names of network quantities, and the
    derivatives ∂N/∂D taken between free names (they make N depend on D)."""

    network: list[str] = field(default_factory=list)
    pairs: list[tuple[sp.Expr, sp.Expr]] = field(default_factory=list)
    vectors: list[str] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)  # bare a, z of a layered notation


@dataclass(frozen=True)
class Resolver(DerivativeReading, SeriesReading, FunctionReading, CaseReading, StandardReading):
    """Turns nodes into SymPy under one binding of the free indices and generic names.

    ``free``: a statement of calculus. Names the notation does not know are real
    variables (x, y, x_1) and f, g, h applied to an argument are undefined functions;
    ``record`` notes every network quantity met, so that the caller can refuse a free
    reading of an equation about the network (a typo must not become a variable).
    ``functions`` turns dependent free names into undefined functions (y -> y(u(x))).
    """

    scope: Scope
    env: Mapping[str, int | str] = field(default_factory=dict)
    names: Mapping[str, sp.Expr] = field(default_factory=dict)  # name key -> bound object
    free: bool = False
    record: FreeRecord | None = field(default=None, compare=False)
    functions: Mapping[sp.Expr, sp.Expr] = field(default_factory=dict)
    activation_layer: int | None = None  # whose activation the function symbol is (identities)
    components: int | None = None  # a sum without limits runs over 1..components (identities)
    unnamed: frozenset[str] = frozenset()  # heads read as variables, not the notation's names

    def with_env(self, **more: int) -> Resolver:
        return replace(self, env={**self.env, **more})

    def free_reading(self, functions: Mapping[sp.Expr, sp.Expr] | None = None) -> Resolver:
        return replace(self, free=True, record=FreeRecord(), functions=dict(functions or {}))

    # -- names -------------------------------------------------------------
    def lookup(self, head: str, sub: Script | None, sup: Script | None) -> sp.Expr | None:
        key = name_key(head, sub, sup, self.env)
        value = self.names.get(key)
        if value is None and head not in self.unnamed:
            cid = self.scope.table.get(key)
            value = self.scope.value_of(cid) if cid is not None else None
        if (
            value is not None
            and self.record is not None
            and mentions(value, self.scope.network_atoms)
        ):
            self.record.network.append(key)
        return value

    def known(self, head: str, sub: Script | None, sup: Script | None) -> bool:
        if self.lookup(head, sub, sup) is not None or self.lookup(head, sub, None) is not None:
            return True
        return sub is None and sup is None and self.implicit_index(head) is not None

    def implicit_index(self, head: str) -> sp.Expr | None:
        """A name written without the output index the binding fixes: Maren's SE is SE_o."""
        depth = self.scope.spec.depth
        found = [
            self.lookup(head, Script((("LETTER", letter),), None), None)
            for letter, layer in self.scope.indices.items()
            if layer == depth and isinstance(self.env.get(letter), int) and "'" not in letter
        ]
        values = [v for v in found if v is not None]
        return values[0] if len(values) == 1 else None

    def name(
        self,
        head: str,
        kind: str,
        sub: Script | None,
        sup: Script | None,
        primes: int,
        shown: str = "",
    ) -> Value:
        if kind == "name" and " " in head.strip() and head.split()[0].lower() in PROSE:
            raise ResolveError(f"prose inside the maths: \\text{{{head}}}")
        if kind == "name" and head.lower() in PROSE:
            raise ResolveError(f"prose inside the maths: \\text{{{head}}}")
        if kind == "dots":
            raise ResolveError("an elided series (\\dots) must read a_1 + a_2 + \\dots + a_N")
        value = self.lookup(head, sub, sup)
        if value is not None:
            return self._primed(value, primes)
        marked = self.case_marked(head, sub, sup)
        if marked is None:
            marked = self.case_subscripted(head, sub, sup)
        if marked is not None:
            return self._primed(marked, primes)
        if sup is not None:
            base = self.lookup(head, sub, None)
            iterated = self.iteration(base, sup.expr)
            if iterated is not None:
                return iterated
            if base is not None and sup.expr is not None:
                return self._primed(base, primes) ** self.expr(sup.expr)
        if sub is not None and sub.tokens:
            marker = script_key(Script(sub.tokens[-3:], None)).lower()
            for suffix, new in ((",new", True), (",old", False)):
                if marker.endswith(suffix) or script_key(sub).lower().endswith(suffix):
                    trimmed = trim_suffix(sub)
                    base = self.lookup(head, trimmed, None)
                    pid = self.scope.param_of(base) if base is not None else None
                    if pid is not None:
                        value = base + self.scope.update_mid(pid) if new else base
                        return (
                            value ** self.expr(sup.expr)
                            if sup is not None and sup.expr is not None
                            else value
                        )
        if head == "e" and sub is None and sup is not None and sup.expr is not None:
            return sp.exp(self.expr(sup.expr))
        if sub is None:
            # in a statement of calculus f, g, h are any functions, even where the notation's
            # activation is f
            function = self.function_marker(head, kind, sup, primes, shown)
            if function is not None:
                return function
        if head == "\\Delta" and sup is None and (sub is None or self.scope.case_script(sub)):
            return DeltaOp(sub is not None)  # Δw, Rumelhart's Δ_p w: the change (for pattern p)
        count = self.scope.counts.get(name_key(head, sub, sup))  # N, Duda et al.'s n_H
        if count is not None and not primes:
            return sp.Integer(self.scope.spec.sizes[count])
        implicit = self.implicit_index(head) if sub is None and sup is None else None
        if implicit is not None:
            return self._primed(implicit, primes)
        standard = self.standard(head, sub, sup)
        if standard is None:
            standard = self.unit_delta(head, sub, sup)
        if standard is not None:
            return standard
        if self.free:
            return self.free_name(head, kind, sub, sup, primes)
        whole = sup is None or bool(shown)
        if not shown:
            shown = head + (
                f"_{{{sub.text or script_key(sub, self.env)}}}" if sub is not None else ""
            )
        raise self.scope.unknown(shown, whole=whole)

    # -- expressions -------------------------------------------------------
    def expr(self, node: Node) -> sp.Expr:
        value = self.value(node)
        if not isinstance(value, sp.Basic):
            raise ResolveError(marker_error(value))
        return value

    def value(self, node: Node) -> Value:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Sym):
            return self.prod(Prod((("", node),)))
        if isinstance(node, Add):
            if any(is_dots(term) for _, term in node.terms):
                return self.series(node)
            total: sp.Expr = sp.Integer(0)
            for sign, term in node.terms:
                total = plus(total, self.expr(term), sign)
            return total
        if isinstance(node, Prod):
            return self.prod(node)
        if isinstance(node, Group):
            if node.kind == "iverson":  # Iverson's bracket [z > 0]: 1 where it holds, else 0
                lhs, rhs = (self.expr(item) for item in node.items)
                return self.relu_condition(indicator(lhs, node.rel, rhs))
            if node.kind == "aside":
                raise ResolveError(
                    "a relation inside parentheses is an aside, not part of the expression"
                )
            if node.kind == "tuple":
                return self.vector(node)
            if node.kind == "norm":
                raise ResolveError("a norm \\|...\\| is read of a vector: a [matrices] name")
            if node.kind == "set" or len(node.items) != 1:
                raise ResolveError(f"a {node.kind} of several items is not one expression")
            return self.expr(node.items[0])
        if isinstance(node, Transpose):  # of a number: the number (vectors: element-wise forms)
            return self.value(node.body)
        if isinstance(node, Alt):
            raise ResolveError("alternatives (\\text{or}) are read only as a whole right-hand side")
        if isinstance(node, Scripted):
            marked = self.braced_case(node)
            if marked is not None:
                return marked
            base = self.expr(node.base)
            if node.primes and node.sub is None and node.sup is None and self.free:
                return self.primed_derivative(base, node.primes)
            if node.sub is not None or node.primes:
                raise ResolveError(
                    "a subscript or prime on a bracket or fraction has no meaning here"
                )
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
        if isinstance(node, Cases):
            return self.pieces(node)
        raise ResolveError(f"cannot read {type(node).__name__}")  # pragma: no cover

    def prod(self, node: Prod) -> Value:
        values = list(self._factors(node.items))
        out: list[tuple[str, sp.Expr]] = []
        i = 0
        while i < len(values):
            op, v = values[i]
            if isinstance(v, (FuncMarker, DerivOp, DeltaOp)):
                if i + 1 >= len(values) or (
                    isinstance(values[i + 1][1], (FuncMarker, DerivOp, DeltaOp))
                    and not self.operand_follows(v, values[i + 1 :])
                ):
                    if isinstance(v, FuncMarker) and v.undefined and not v.primes:
                        out.append(
                            (op, self.free_symbol(v.head, None))
                        )  # a bare f: a dependent variable
                        i += 1
                        continue
                    raise ResolveError(marker_error(v))
                v, used = self.applied(v, values[i + 1 :])
                i += used
            out.append((op, v))
            i += 1
        result: sp.Expr = sp.Integer(1)
        for op, v in out:
            result = times(result, v, op)
        return result

    def operand_follows(self, v: Value, rest: list[tuple[str, Value]]) -> bool:
        """``\\frac{d}{dz} \\tanh(z)``: an operator, then a function with its argument."""
        return (
            isinstance(v, DerivOp)
            and len(rest) > 1
            and isinstance(rest[0][1], FuncMarker)
            and not isinstance(rest[1][1], (FuncMarker, DerivOp, DeltaOp))
        )

    def applied(
        self, marker: FuncMarker | DerivOp | DeltaOp, rest: list[tuple[str, Value]]
    ) -> tuple[sp.Expr, int]:
        """The marker applied to what follows it, and how many values that used."""
        arg = rest[0][1]
        if isinstance(marker, DerivOp) and isinstance(arg, FuncMarker):
            inner, used = self.applied(arg, rest[1:])
            return self.apply(marker, inner), used + 1
        if isinstance(arg, Powered):  # \sigma(z)^2: the power of the value
            return self.apply(marker, arg.arg) ** arg.power, 1
        assert isinstance(arg, sp.Basic)
        return self.apply(marker, arg), 1

    def apply(self, marker: FuncMarker | DerivOp | DeltaOp, arg: sp.Expr) -> sp.Expr:
        if isinstance(marker, DerivOp):
            return self.derivative(arg, marker.den)
        if isinstance(marker, DeltaOp):
            pid = self.scope.param_of(arg)
            if pid is None:
                raise ResolveError(f"\\Delta must be followed by a parameter, got {arg}")
            return self.scope.update_mid(pid, marker.per_case)
        if marker.undefined:
            value = undefined_function(marker.head, arg, marker.primes)
            return value if marker.power is None else value**marker.power
        if is_vector(arg):
            raise ResolveError(
                f"{marker.head} is applied to a vector; it takes one number (write it for each "
                "entry)"
            )
        return self.apply_function(marker, arg)

    def _factors(self, items: tuple[tuple[str, Node], ...]) -> Iterator[tuple[str, Value]]:
        i = 0
        while i < len(items):
            op, node = items[i]
            slash = self.slash_d(items, i)
            if slash is not None:
                value, i = slash
                yield op, value
                continue
            if (  # \partial y / \partial x
                isinstance(node, Partial)
                and i + 2 < len(items) + 1
                and node.body is not None
                and i + 1 < len(items)
                and items[i + 1][0] == "/"
                and isinstance(items[i + 1][1], Partial)
            ):
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
                    and isinstance(nxt := items[j][1], Sym)
                    and nxt.kind == "letter"
                    and not run[-1].scripted
                    and run[-1].end == nxt.start
                ):
                    run.append(nxt)
                    j += 1
            if isinstance(node, Sym) and node.kind == "letter" and len(run) > 1:
                first = True
                value = sp.Integer(1)
                for value in self._segment(run):
                    yield (op if first else ""), value
                    first = False
                i = j + self._arguments(value, items, j)
                continue
            after = items[i + 1][1] if i + 1 < len(items) and items[i + 1][0] == "" else None
            soft = softmax_argument(node, after)
            if soft is not None:  # \mathrm{softmax}(\boldsymbol{z})_i
                yield op, softmax(self.expr(soft[0]), self.index_value(soft[1]))
                i += 2
                continue
            ext = extremum_arguments(node, after)
            if ext is not None:  # \max(0, z), \max\{0, z\}
                yield op, extremum(ext[0], [self.expr(a) for a in ext[1]])
                i += 2
                continue
            ind = self.indicator_of(node, after)
            if ind is not None:
                yield op, ind
                i += 1 if isinstance(node, Sym) and node.sub is not None else 2
                continue
            if isinstance(node, Sym):
                marker = self.subscripted_function(node, items, i)
                if node.head == "\\nabla" and node.sub is not None and node.sub.expr is not None:
                    value = DerivOp(self.variable(node.sub.expr))  # \nabla_a C: ∂C/∂a
                elif marker is not None:
                    value = marker
                else:
                    value = self.name(
                        node.head, node.kind, node.sub, node.sup, node.primes, node.text
                    )
                if isinstance(value, DeltaOp) and self.case_follows(items, i + 2):
                    value = DeltaOp(per_case=True)  # Haykin's Δw_{ji}(n)
                iterated = self._iterated(value, items, i + 1)
                if iterated is not None:
                    yield op, iterated
                    i += 2
                    continue
                yield op, value
                if isinstance(value, FuncMarker):
                    powered = self.powered_argument(items, i + 1)
                    if powered is not None:
                        yield "", powered
                        i += 2
                        continue
                i += 1 + self._arguments(value, items, i + 1)
                continue
            yield op, self.value(node)
            i += 1

    def index_value(self, node: Node) -> sp.Expr:
        """An index: a letter bound to a unit or component is its number."""
        if isinstance(node, Sym) and not node.scripted:
            bound = self.env.get(node.head)
            if isinstance(bound, int):
                return sp.Integer(bound)
        return self.expr(node)

    def powered_argument(self, items: tuple[tuple[str, Node], ...], j: int) -> Powered | None:
        """``(z)^2`` right after a function name: the argument, and the power of the value."""
        if j >= len(items) or items[j][0] != "":
            return None
        node = items[j][1]
        if not (
            isinstance(node, Scripted)
            and isinstance(node.base, Group)
            and node.base.kind in ("paren", "bracket")
            and node.sub is None
            and not node.primes
            and node.sup is not None
            and node.sup.expr is not None
        ):
            return None
        return Powered(self.expr(node.base), self.expr(node.sup.expr))

    def _arguments(self, value: Value, items: tuple[tuple[str, Node], ...], j: int) -> int:
        """1 to skip ``(w_1, ..., b_beta)`` after the error E: the parameters it is a function
        of."""
        after_error = value in (ERROR, self.scope.e_case) and j < len(items)
        if after_error and (is_arguments(items[j]) or parameter_vector(self, items[j])):
            return 1
        if isinstance(value, sp.Basic) and j < len(items) and self.scope.case_argument(items[j]):
            return 1  # Haykin's v_j(n): the quantity for case n
        return 0

    def case_follows(self, items: tuple[tuple[str, Node], ...], j: int) -> bool:
        return j < len(items) and self.scope.case_argument(items[j])

    def _iterated(self, value: Value, items: tuple[tuple[str, Node], ...], j: int) -> Value | None:
        """``w_{ji}(n+1)``: a parameter followed by its iteration in parentheses."""
        if not isinstance(value, sp.Basic) or j >= len(items) or items[j][0] != "":
            return None
        return self.iteration(value, items[j][1])

    def _segment(self, run: list[Sym]) -> Iterator[Value]:
        """Split adjacent letters into the longest names the notation knows (NdInpt_o, SSE)."""
        try:
            yield from self._split(run)
        except ResolveError as exc:
            if len(run) == 1 or not isinstance(exc, UnknownName):
                raise
            last = run[-1]
            word = "".join(s.head for s in run) + (
                f"_{{{script_key(last.sub, self.env)}}}" if last.sub else ""
            )
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


def resolver(
    scope: Scope, binding: Mapping[str, int | str], named: Mapping[str, sp.Expr] | None = None
) -> Resolver:
    """A resolver for one binding: index letters to unit numbers, generic names to parameters."""
    env = {**scope.layer_env, **{k: v for k, v in binding.items() if isinstance(v, int)}}
    names = dict(named or {})
    for key, pid in binding.items():
        if isinstance(pid, str):
            names[key] = scope.objects[pid]
    return Resolver(scope, env, names)
