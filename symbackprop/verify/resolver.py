"""The resolver: a read node to SymPy under one binding of free indices and generic names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

import sympy as sp
from sympy.core.function import AppliedUndef

from symbackprop.backprop.forms import ERROR
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.verify.reader import (
    Add,
    Alt,
    BigSum,
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
)
from symbackprop.verify.scope import (
    FUNCTION_HEADS,
    FUNCTION_LETTERS,
    MAX_SUM,
    PROSE,
    DeltaOp,
    DerivOp,
    FuncMarker,
    ResolveError,
    Scope,
    UnknownName,
    Value,
    name_key,
    script_key,
)
from symbackprop.verify.values import (
    SERIES_INDEX,
    SERIES_KEY,
    among_zeros,
    as_partial,
    free_variables_of,
    is_arguments,
    is_dots,
    is_vector,
    letters_of,
    marker_error,
    mentions,
    plus,
    shape_of,
    templated,
    times,
    trim_suffix,
    undefined_function,
)


@dataclass
class FreeRecord:
    """What a reading in free variables met: names of network quantities, and the
    derivatives ∂N/∂D taken between free names (they make N depend on D)."""

    network: list[str] = field(default_factory=list)
    pairs: list[tuple[sp.Expr, sp.Expr]] = field(default_factory=list)
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
    names: Mapping[str, sp.Expr] = field(default_factory=dict)  # name key -> bound object
    free: bool = False
    record: FreeRecord | None = field(default=None, compare=False)
    functions: Mapping[sp.Expr, sp.Expr] = field(default_factory=dict)

    def with_env(self, **more: int) -> Resolver:
        return replace(self, env={**self.env, **more})

    def free_reading(self, functions: Mapping[sp.Expr, sp.Expr] | None = None) -> Resolver:
        return replace(self, free=True, record=FreeRecord(), functions=dict(functions or {}))

    # -- names -------------------------------------------------------------
    def lookup(self, head: str, sub: Script | None, sup: Script | None) -> sp.Expr | None:
        key = name_key(head, sub, sup, self.env)
        value = self.names.get(key)
        if value is None:
            cid = self.scope.table.get(key)
            value = self.scope.objects[cid] if cid is not None else None
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
            if layer == depth and isinstance(self.env.get(letter), int)
        ]
        values = [v for v in found if v is not None]
        return values[0] if len(values) == 1 else None

    def free_symbol(self, head: str, sub: Script | None) -> sp.Expr:
        """A free variable: x, or x_1 / w_n as an indexed variable (so that series can be
        summed)."""
        name = head if "{" in head else head.lstrip("\\")  # \\vec{w} stays, \\beta -> beta
        if sub is None:
            base: sp.Expr = sp.Symbol(name, real=True)
        elif sub.expr is not None and not isinstance(sub.expr, Group):
            index = sub.expr
            bound = (
                self.env.get(index.head) if isinstance(index, Sym) and not index.scripted else None
            )
            value = sp.Integer(bound) if isinstance(bound, int) else self.expr(index)
            base = sp.IndexedBase(name, real=True)[value]
        else:
            base = sp.Symbol(name_key(head, sub, None, self.env), real=True)
        return self.functions.get(base, base)

    def _free(
        self, head: str, kind: str, sub: Script | None, sup: Script | None, primes: int
    ) -> Value:
        if kind not in ("letter", "greek", "accent") or head == "\\nabla":
            raise self.scope.unknown(
                head + (f"_{{{script_key(sub, self.env)}}}" if sub is not None else "")
            )
        if (
            head == self.scope.function_key
            and sub is not None
            and sup is None
            and sub.expr is not None
        ):
            return self.activation(self.expr(sub.expr), primes)  # Sears' \\varphi_x := \\varphi(x)
        if head in FUNCTION_LETTERS and sub is None and sup is None:
            return FuncMarker(head, primes, undefined=True)
        if head.startswith("\\vec{") and self.record is not None:
            self.record.vectors.append(
                head
            )  # a vector only a definition may name without its value
        if primes:
            raise ResolveError(
                f"a prime on the variable {head} has no meaning here; write its derivative"
            )
        base = self.free_symbol(head, sub)
        if sup is None:
            return base
        if sup.expr is None:
            raise ResolveError("a superscript that is not one expression")
        return base ** self.expr(sup.expr)

    def name(
        self, head: str, kind: str, sub: Script | None, sup: Script | None, primes: int
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
        if sup is not None:
            base = self.lookup(head, sub, None)
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
        if sub is None and (head == self.scope.function_key or head in FUNCTION_HEADS):
            # in a statement of calculus f, g, h are any functions, even where the notation's
            # activation is f
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

    def _primed(self, value: sp.Expr, primes: int) -> sp.Expr:
        if primes == 0:
            return value
        pid = self.scope.param_of(value)
        if primes == 1 and pid is not None:
            return value + self.scope.update_mid(pid)
        raise ResolveError(f"a prime on {value} has no meaning here")

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
            if node.kind == "aside":
                raise ResolveError(
                    "a relation inside parentheses is an aside, not part of the expression"
                )
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
        raise ResolveError(f"cannot read {type(node).__name__}")  # pragma: no cover

    def series(self, node: Add) -> sp.Expr:
        """``a_1 + a_2 + \\dots + a_N`` (with any other terms before or after): the terms follow
        the first ones up to a count N, a layer size from the notation's [counts], the number of
        cases n, or (in a statement of calculus) a free count: a SymPy Sum. An elision among
        zeros (``0 + 0 + \\dots + 0 + 1``) stands for zeros."""
        terms = list(node.terms)
        nodes = [t for _, t in terms]
        if among_zeros(nodes):
            return self.expr(Add(tuple((sign, t) for sign, t in terms if not is_dots(t))))
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
        dots = [k for k, n in enumerate(nodes) if is_dots(n)]
        if len(dots) != 1 or dots[0] == 0 or dots[0] == len(nodes) - 1:
            raise ResolveError("an elided series (\\dots) must read a_1 + a_2 + \\dots + a_N")
        d = dots[0]
        last = nodes[d + 1]
        for count in letters_of(last):
            for m in range(d, 0, -1):  # the longest run of terms 1..m just before the dots
                if all(
                    shape_of(templated(last, count, k)) == shape_of(nodes[d - m + k - 1])
                    for k in range(1, m + 1)
                ):
                    return d - m, d, count
        raise ResolveError(
            "an elided series (\\dots) whose terms do not follow one index up to its last term"
        )

    def series_value(self, last: Node, count: str, vector: bool) -> sp.Expr:
        """The series' sum (or, for a vector, its components) from its last term and count
        letter."""
        cases = self.scope.notation.get("cases") or "n"
        net = self.scope.net
        if count == cases and net.case is not None and not vector and not self.free:
            assert net.n_cases is not None
            body = self.expr(templated(last, count, None, str(net.case)))
            return sp.Sum(body, (net.case, 1, net.n_cases))
        if count in self.scope.counts:
            size = self.scope.spec.sizes[self.scope.counts[count]]
            items = [self.expr(templated(last, count, k)) for k in range(1, size + 1)]
            return sp.Tuple(*items) if vector else sp.Add(*items)
        if not self.free:  # (a statement of calculus may still read it, with a free count)
            raise UnknownName(
                f"an elided series up to {count}: {count} is not a count this notation knows"
            )
        upper = self.expr(Sym("letter", count, None, None, 0, 0, 0))
        body = replace(self, names={**self.names, SERIES_KEY: SERIES_INDEX}).expr(
            templated(last, count, None, SERIES_KEY)
        )
        if vector:
            return sp.SeqFormula(body, (SERIES_INDEX, 1, upper))
        return sp.Sum(body, (SERIES_INDEX, 1, upper))

    def note_written(self, nodes: list[Node]) -> None:
        """In a free reading, the written first terms of a series are read too: a network quantity
        among them makes the statement one about the network (their values come from the last
        term)."""
        if self.free:
            for n in nodes:
                self.expr(n)

    def vector(self, node: Group) -> sp.Expr:
        """A tuple (0.7, 0.1, 0.4) or (w_1, w_2, \\dots, w_n): a SymPy Tuple, or a SeqFormula in a
        free count."""
        nodes = list(node.items)
        if not any(is_dots(n) for n in nodes):
            return sp.Tuple(*[self.expr(n) for n in nodes])
        start, d, count = self.elision(nodes)
        self.note_written(nodes[start:d])
        if start or d + 2 != len(nodes):
            raise ResolveError("a tuple with \\dots must read (a_1, a_2, \\dots, a_N)")
        return self.series_value(nodes[-1], count, vector=True)

    def bigsum(self, node: BigSum) -> sp.Expr:
        lo, hi = self.expr(node.lo), self.expr(node.hi)
        if self.free and not (
            lo.is_Integer and hi.is_Integer
        ):  # a statement of calculus: a sum in a free count
            body = replace(self, names={**self.names, node.var: SERIES_INDEX}).expr(node.body)
            return sp.Sum(body, (SERIES_INDEX, lo, hi))
        if not (lo.is_Integer and hi.is_Integer) or int(hi) - int(lo) > MAX_SUM:
            raise ResolveError(
                f"the sum over {node.var} needs whole-number limits, got {lo} and {hi}"
            )
        return sp.Add(
            *[self.with_env(**{node.var: v}).expr(node.body) for v in range(int(lo), int(hi) + 1)]
        )

    def frac(self, node: Frac) -> Value:
        num_d, den_d = self.after_d(node.num), self.after_d(node.den)
        if num_d is not None and den_d is not None and den_d[0] is not None:
            return self.operator(
                num_d[0], den_d[0]
            )  # \\frac{d}{dx}, \\frac{dy}{dx}, \\frac{dx^2}{dx}
        num, den_node = as_partial(node.num), as_partial(node.den)
        if isinstance(num, Partial) or isinstance(den_node, Partial):
            if (
                not (isinstance(num, Partial) and isinstance(den_node, Partial))
                or den_node.body is None
            ):
                raise ResolveError(
                    "a partial derivative must read \\frac{\\partial N}{\\partial D}"
                )
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
        if not (
            isinstance(first, Sym)
            and first.kind == "letter"
            and first.head == "d"
            and not first.scripted
        ):
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

    def unit_activation(self, expr: sp.Expr) -> sp.Expr:
        found = self.scope.unit_activation(expr)
        if found is None:
            raise ResolveError(
                f"the bare function {self.scope.function_key} needs a unit: {expr} belongs to none"
            )
        return found

    def variable(self, node: Node) -> sp.Expr:
        value = self.expr(node)
        value = self.scope.reverse.get(value, value)
        if (
            isinstance(node, Sym)
            and name_key(node.head, node.sub, node.sup, self.env) in self.names
            and not value.is_number
        ):
            return value  # a local name (u = o_1 - d_1): differentiate by it where its value occurs
        if not isinstance(value, (sp.Symbol, sp.Indexed, AppliedUndef)) or value.is_number:
            raise ResolveError(
                f"cannot differentiate with respect to {value}: not one quantity of the network"
            )
        return value

    def primed_derivative(self, base: sp.Expr, primes: int) -> sp.Expr:
        """``[f(g(x))]'``: the derivative in the statement's one free variable."""
        variables = sorted(free_variables_of(base, self.scope), key=str)
        if len(variables) != 1:
            shown = ", ".join(map(str, variables)) or "none"
            raise ResolveError(
                f"a prime on an expression needs exactly one variable, found {shown}"
            )
        return sp.diff(base, variables[0], primes)

    def derivative(self, num: sp.Expr, den: sp.Expr) -> sp.Expr:
        if not isinstance(
            den, (sp.Symbol, sp.Indexed, AppliedUndef)
        ):  # a local name's value, held whole
            held = sp.Dummy("held", real=True)
            return sp.diff(num.xreplace({den: held}), held).xreplace({held: den})
        if (
            self.record is not None
            and isinstance(num, (sp.Symbol, sp.Indexed))
            and num != den
            and not mentions(num, self.scope.network_atoms)
            and not mentions(den, self.scope.network_atoms)
        ):
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
        out: list[tuple[str, sp.Expr]] = []
        i = 0
        while i < len(values):
            op, v = values[i]
            if isinstance(v, (FuncMarker, DerivOp, DeltaOp)):
                if i + 1 >= len(values) or isinstance(
                    values[i + 1][1], (FuncMarker, DerivOp, DeltaOp)
                ):
                    if isinstance(v, FuncMarker) and v.undefined and not v.primes:
                        out.append(
                            (op, self.free_symbol(v.head, None))
                        )  # a bare f: a dependent variable
                        i += 1
                        continue
                    raise ResolveError(marker_error(v))
                arg_node_value = values[i + 1][1]
                assert isinstance(arg_node_value, sp.Basic)
                v = self.apply(v, arg_node_value)
                i += 1
            out.append((op, v))
            i += 1
        result: sp.Expr = sp.Integer(1)
        for op, v in out:
            result = times(result, v, op)
        return result

    def apply(self, marker: FuncMarker | DerivOp | DeltaOp, arg: sp.Expr) -> sp.Expr:
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
            raise ResolveError(
                f"{marker.head} is applied to a vector; it takes one number (write it for each "
                "entry)"
            )
        if marker.head in FUNCTION_HEADS:
            if marker.primes:
                raise ResolveError(
                    f"a prime on {marker.head} is not read; write the derivative out"
                )
            return FUNCTION_HEADS[marker.head](arg)
        return self.activation(arg, marker.primes)

    def activation(self, arg: sp.Expr, primes: int) -> sp.Expr:
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
                first = True
                value = sp.Integer(1)
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
        """1 to skip ``(w_1, ..., b_beta)`` after the error E: the parameters it is a function
        of."""
        if value in (ERROR, self.scope.e_case) and j < len(items) and is_arguments(items[j]):
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
    env = {k: v for k, v in binding.items() if isinstance(v, int)}
    names = dict(named or {})
    for key, pid in binding.items():
        if isinstance(pid, str):
            names[key] = scope.objects[pid]
    return Resolver(scope, env, names)
