"""Read a claim in vector or matrix form into matrices (:mod:`symbackprop.verify.matrix`,
:mod:`symbackprop.verify.shapes`) under one binding of its layer letters: names of the
``[matrices]`` table, products with their shape checks, ``\\odot``, functions entry by entry,
``\\Sigma'(z)``, ``\\nabla_a C``, ``\\frac{\\partial C}{\\partial W}``, sums over a batch's
examples.
:mod:`symbackprop.verify.vectors` judges the result."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy as sp

from symbackprop.backprop.forms import ERROR
from symbackprop.verify.elision import elided_product
from symbackprop.verify.extrema import entrywise, extremum, extremum_arguments
from symbackprop.verify.iterations import iteration_step
from symbackprop.verify.layernames import is_slope_matrix, slope_layer
from symbackprop.verify.layers import layer_letter
from symbackprop.verify.matrix import (
    COUNT_LETTERS,
    PER_CASE_KINDS,
    VECTOR_KINDS,
    Entry,
    Named,
    OutOfRange,
    Table,
    layer_value,
    layered,
    lookup,
    merged,
    names_in,
    split_sup,
)
from symbackprop.verify.norms import frobenius, normed
from symbackprop.verify.numeric import CASES
from symbackprop.verify.penalties import (
    data_error,
    data_gradient,
    is_argument_group,
    is_data_error,
    j_after_error,
    omega,
    penalty_function,
    penalty_gradient,
    sums_case_errors,
)
from symbackprop.verify.quantities import Layout, Quantities, build, check_layer
from symbackprop.verify.reader import (
    Add,
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
    Transpose,
)
from symbackprop.verify.resolver import Resolver
from symbackprop.verify.scope import FuncMarker, ResolveError, Scope
from symbackprop.verify.shapes import (
    Arr,
    Val,
    add,
    diagonal,
    divide,
    each,
    hadamard,
    norm,
    product,
    scale,
    transpose,
)
from symbackprop.verify.upstream import is_upstream
from symbackprop.verify.values import as_partial, is_arguments

GRADIENT_OF = {
    "weight": "dweight",
    "bias": "dbias",
    "activation": "dactivation",
    "net": "delta",
    "weight_vector": "dweight_vector",
    "parameter_vector": "dparameter_vector",
}


@dataclass
class Reading:
    """Nodes to vectors, matrices and numbers under one binding of the layer letters."""

    scope: Scope
    res: Resolver
    tab: Table
    lay: Layout
    env: dict[str, int] = field(default_factory=dict)
    upstream: Entry | None = None  # what the running gradient g stands for in this step
    example: bool = False  # the claim is written for one example (names of [example_matrices])

    @property
    def q(self) -> Quantities:
        return Quantities(self.scope, self.res)

    def value(self, node: Node) -> Val:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Sym):
            return self.prod(Prod((("", node),)))
        if isinstance(node, Group) and node.kind == "norm":
            return norm(self.value(node.items[0]))
        if isinstance(node, Group) and len(node.items) == 1 and node.kind != "tuple":
            return self.value(node.items[0])
        if isinstance(node, Transpose):
            return transpose(self.value(node.body))
        if isinstance(node, Add):
            total: Val = sp.Integer(0)
            axis = self.lay.batch_axis if self.lay.batched else None
            for k, (sign, term) in enumerate(node.terms):
                v = self.value(term)
                total = (
                    (v if sign == "+" else each(v, lambda x: -x))
                    if k == 0
                    else add(total, v, sign, axis)
                )
            return total
        if isinstance(node, Scripted):
            return self.scripted(node)
        if isinstance(node, Sqrt):
            return each(self.value(node.body), sp.sqrt)
        if isinstance(node, Frac):
            return self.frac(node)
        if isinstance(node, BigSum):
            return self.bigsum(node)
        if isinstance(node, Prod):
            return self.prod(node)
        raise ResolveError(f"cannot read {type(node).__name__} in a vector form")

    def scripted(self, node: Scripted) -> Val:
        if normed(node):  # \|W\|_F^2
            assert isinstance(node.base, Group)
            base: Val = frobenius(self.value(node.base.items[0]), node.sub)
            node = replace(node, sub=None)
        else:
            base = self.value(node.base)
        if node.sub is not None or node.primes or node.sup is None or node.sup.expr is None:
            raise ResolveError("a subscript or prime on a bracket has no meaning here")
        power = self.res.expr(node.sup.expr)
        return each(base, lambda x: x**power)

    # -- names ----------------------------------------------------------------------------
    def check(self, node: Node) -> None:
        """Every matrix name of a side exists at this binding's layers (else OutOfRange: the
        binding is skipped, before any shape is compared)."""
        for sym in names_in(node):
            found = lookup(self.tab, sym.head, sym.sub, sym.sup, self.env)
            if found is None:
                self.check_range(sym)
            else:
                check_layer(found.entry, self.scope.spec.sizes)

    def named(self, sym: Sym) -> Val | None:
        """A matrix name's matrix; None when the name is not one."""
        found = lookup(self.tab, sym.head, sym.sub, sym.sup, self.env)
        if found is None:
            self.check_range(sym)
            return None
        entry = found.entry
        if (
            self.example
            and self.lay.batched
            and not entry.one_example
            and entry.kind in PER_CASE_KINDS
        ):
            raise ResolveError(
                f"{sym.text} is a batch's matrix, in a claim written for one example;"
                " write one example's vectors throughout"
            )
        example = None
        if found.example is not None:
            example = layer_value(found.example, self.env)
            if example is None:
                raise ResolveError(f"{sym.text}: the example index is not bound (sum over it)")
            if not 1 <= example <= CASES:
                raise OutOfRange(f"{sym.text}: example {example} is not in the batch")
        out = build(self.q, self.lay, found, example)
        return transpose(out) if found.transposed else out

    def new_value(self, sym: Sym | None) -> Val:
        """A parameter matrix's value after the step, W - η ∂E/∂W."""
        found = lookup(self.tab, sym.head, sym.sub, sym.sup, self.env) if sym else None
        if found is None or found.entry.kind not in ("weight", "bias", *VECTOR_KINDS):
            raise ResolveError("an assignment in vector form must assign a weight matrix or a bias")
        if found.transposed:
            raise ResolveError("assign the matrix itself, not its transpose")
        params = build(self.q, self.lay, found, None)
        kind = GRADIENT_OF[found.entry.kind]
        grads = build(self.q, self.lay, Named(replace(found.entry, kind=kind)), None)
        return add(params, scale(-self.scope.net.lr, grads, grads.shown), "+")

    def check_range(self, sym: Sym) -> None:
        """A matrix name at a layer outside the network: the binding is skipped."""
        layer = layer_value(split_sup(sym.sup)[0], self.env)
        if layer is not None and layered(self.tab, sym.head, sym.sub, self.env):
            raise OutOfRange(f"{sym.text} is layer {layer}, which this network does not have")

    def gradient_named(self, named: Named, one_case: bool = False) -> Arr:
        kind = GRADIENT_OF.get(named.entry.kind)
        if kind is None:
            raise ResolveError(f"the derivative by {named.entry.shown} is not read in vector form")
        error = self.scope.notation.get("error") or "E"
        shown = f"\\partial {error}/\\partial {named.entry.shown}"
        one = self.example and kind in PER_CASE_KINDS  # one example's δ, not the batch's
        entry = Entry(kind, named.entry.layer, shown, one)
        return build(replace(self.q, per_case=one_case), self.lay, Named(entry), None)

    # -- products -------------------------------------------------------------------------
    def prod(self, node: Prod) -> Val:
        items = elided_product(node.items, {**self.res.env, **self.env})
        vals: list[tuple[str, Val | None]] = []  # None: a vector of ones, sized by its neighbour
        i = 0
        while i < len(items):
            op, item = items[i]
            if is_ones(item):
                vals.append((op, None))
                i += 1
            elif not isinstance(item, Sym):
                vals.append((op, self.value(item)))
                i += 1
            else:
                value, i = self.name_at(items, i)
                vals.append((op, value))
        sized = [(op, ones_beside(vals, k) if v is None else v) for k, (op, v) in enumerate(vals)]
        result = sized[0][1]
        for op, v in sized[1:]:
            result = combine(result, v, op)
        return result

    def name_at(self, items: tuple[tuple[str, Node], ...], i: int) -> tuple[Val, int]:
        """The value of the name at item i (a matrix, a number, or a function applied to the
        next item), and the index after it."""
        item = items[i][1]
        assert isinstance(item, Sym)
        nxt = items[i + 1][1] if i + 1 < len(items) and items[i + 1][0] == "" else None
        ext = extremum_arguments(item, nxt)
        if ext is not None:  # \max(0, z^{(1)}): entry by entry
            head, args = ext
            vals = [self.value(a) for a in args]
            shown = f"{head}({', '.join(_shown(v) for v in vals)})"
            return entrywise(vals, lambda xs: extremum(head, xs), shown), i + 2
        if is_upstream(self.scope, item):
            if self.upstream is None:
                raise ResolveError(
                    f"{item.text or item.head}, the running gradient, is read only where the left"
                    " side is a gradient (\\nabla_{a} J, \\nabla_{W} J, \\nabla_{h} J)"
                )
            return build(self.q, self.lay, Named(self.upstream), None), i + 1
        if item.head == "\\nabla" and item.sub is not None and nxt is not None:
            by = self.partial_name(item.sub.expr) if item.sub.expr is not None else None
            if by is not None:
                return self.nabla(by, items, i + 1)
        if item.head == "\\nabla" and item.sub is not None and isinstance(nxt, Sym):
            shown = f"\\nabla_{{{item.sub.text}}} C"
            entry = Entry("dactivation", self.scope.spec.depth, shown, self.example)
            return build(self.q, self.lay, Named(entry), None), i + 2
        dotted = is_slope_matrix(self.scope, item)
        if ((item.head == "\\Sigma" and item.primes == 1) or dotted) and nxt is not None:
            marker = self.res.function_marker(self.scope.function_key, "greek", None, 1)
            assert marker is not None
            if dotted:  # Hagan's \\dot{F}^m(n^m)
                marker = replace(marker, layer=slope_layer(self.scope, item, self.env))
            slopes = each(self.value(nxt), lambda x: self.apply(marker, x))
            return diagonal(slopes, f"{item.text}({_shown(slopes)})"), i + 2
        if j := j_after_error(self.scope, items, i):
            return data_error(self.scope), j
        if item.head == penalty_function(self.scope) and not item.scripted:
            skip = i + 1 < len(items) and is_argument_group(items[i + 1])
            return omega(self.scope), i + 1 + skip
        sym, j = merged(items, i)
        matrix = self.named(sym)
        if matrix is not None and j < len(items) and self.scope.case_argument(items[j]):
            j += 1  # Nielsen's y(x), a^L(x): example x's vector
        if matrix is not None:
            step = iteration_step(items[j][1], self.res.known_letter) if j < len(items) else None
            if step is not None and items[j][0] == "":  # Hagan's W^m(k+1), W^m(k)
                return self.new_value(sym) if step else matrix, j + 1
            return matrix, j
        if j - i == 1 and self.lay.batched and self.is_count(sym):
            return sp.Integer(CASES), j
        value = (
            self.res.name(
                sym.head, sym.kind, sym.sub, self.bound_sup(sym.sup), sym.primes, sym.text
            )
            if j - i == 1
            else self.res.value(Prod((("", items[i][1]), *items[i + 1 : j])))
        )
        if value in (ERROR, self.scope.objects.get("E_data")):
            return value, j + (j < len(items) and is_argument_group(items[j]))
        if isinstance(value, FuncMarker):
            if j >= len(items) or items[j][0] != "":
                raise ResolveError(f"{sym.text} needs an argument")
            arg = self.value(items[j][1])
            shown = f"{sym.text}({_shown(arg)})"
            return each(arg, lambda x: self.apply(value, x), shown), j + 1
        if not isinstance(value, sp.Basic):
            raise ResolveError(f"{sym.text} is not read in a vector form")
        return value, j

    def nabla(self, by: Named, items: tuple[tuple[str, Node], ...], j: int) -> tuple[Val, int]:
        """``\\nabla_{W} J`` (the error's gradient) or ``\\nabla_{W} \\Omega(\\theta)`` (the
        penalty's), and the index after it."""
        of = items[j][1]
        if isinstance(of, BigSum) and sums_case_errors(self.scope, of):
            count = CASES if self.scope.spec.mean else 1  # the sum of the cases' errors: n E
            data = data_gradient(self.q, self.lay, by, self.gradient_named(by))
            return scale(sp.Integer(count), data, data.shown), j + 1
        if not isinstance(of, Sym):
            raise ResolveError("a gradient \\nabla is read of the error or of Ω(θ)")
        after = j + 1 + (j + 1 < len(items) and is_arguments(items[j + 1]))
        if of.head == penalty_function(self.scope) and not of.scripted:
            argument = j + 1 < len(items) and is_argument_group(items[j + 1])
            return penalty_gradient(self.q, self.lay, by), j + 1 + argument
        if j + 1 < len(items) and is_data_error(self.scope, of, items[j + 1]):
            return data_gradient(self.q, self.lay, by, self.gradient_named(by)), after
        value = self.res.name(of.head, of.kind, of.sub, of.sup, of.primes, of.text)
        if value != ERROR:
            raise ResolveError(f"a gradient \\nabla is read only of the error, not of {of.text}")
        return self.gradient_named(by), after

    def is_count(self, sym: Sym) -> bool:
        if sym.scripted:
            return False
        cases = self.scope.notation.get("cases") or "n"
        if sym.head not in (cases, *COUNT_LETTERS):
            return False
        return self.res.lookup(sym.head, None, None) is None

    def bound_sup(self, sup: Script | None) -> Script | None:
        """``g^{[l]\\prime}`` with l bound: the layer tag as a number of the network."""
        if sup is None or sup.expr is None:
            return sup
        node = sup.expr
        inner = node.items[0] if isinstance(node, Group) and len(node.items) == 1 else None
        if not (isinstance(node, Group) and node.kind in ("paren", "bracket")) or inner is None:
            return sup
        written = layer_value(inner, self.env)
        if written is None:
            return sup
        layer = written - self.tab.first
        num = Num(sp.Integer(layer), str(layer))
        return Script((("DIGIT", str(layer)),), Group(node.kind, (num,)), str(layer))

    def apply(self, marker: FuncMarker, x: sp.Expr) -> sp.Expr:
        """A function of one entry; an entry of example c is read as the case's quantity."""
        case = self.scope.net.case
        indexed = x.atoms(sp.Indexed)
        cases = {a.indices[0] for a in indexed if a.indices[0].is_Integer}
        if case is None or len(cases) != 1:
            return self.res.apply(marker, x)
        c = cases.pop()
        general = x.xreplace({a: a.base[case] for a in indexed})
        return self.res.apply(marker, general).xreplace({case: c})

    # -- fractions and sums -----------------------------------------------------------------
    def frac(self, node: Frac) -> Val:
        num, den = as_partial(node.num), as_partial(node.den)
        if isinstance(num, Partial) and isinstance(den, Partial) and den.body is not None:
            named = self.partial_name(den.body)
            if named is not None:
                of = self.res.value(num.body) if num.body is not None else None
                if of not in (ERROR, self.scope.e_case):
                    raise ResolveError("a derivative of a vector is read only of the error")
                one_case = of == self.scope.e_case and self.scope.net.case is not None
                return self.gradient_named(named, one_case)
            return self.res.expr(node)
        return divide(self.value(node.num), self.value(node.den))

    def partial_name(self, node: Node) -> Named | None:
        sym = node if isinstance(node, Sym) else None
        if isinstance(node, Prod) and isinstance(node.items[0][1], Sym):
            sym, j = merged(node.items, 0)
            sym = sym if j == len(node.items) else None
        if sym is None:
            return None
        return lookup(self.tab, sym.head, sym.sub, sym.sup, self.env)

    def bigsum(self, node: BigSum) -> Val:
        """A sum over the examples of the batch (``\\sum_{i=1}^m dZ^{[l](i)}``); any other sum is
        the scalar reading's."""
        if not self.lay.batched or not self.names_example(node.body, node.var):
            if self.writes_matrix(node) and node.lo is None and node.hi is None:
                if node.var == layer_letter(self.scope):  # \sum_l \|W^{[l]}\|_F^2
                    return self.layer_sum(node)
                if node.var == self.scope.notation.get("case") and self.scope.net.case:
                    return self.case_sum(node)  # \sum_x \|y(x) - a^L(x)\|^2
            return self.res.expr(node)
        total: Val | None = None
        for c in range(1, CASES + 1):
            self.env[node.var] = c
            v = self.value(node.body)
            total = v if total is None else add(total, v, "+")
        del self.env[node.var]
        assert total is not None
        return total

    def writes_matrix(self, node: BigSum) -> bool:
        """Whether a sum's body writes a matrix name of the notation (at the first layer, when
        the sum runs over a layer letter)."""
        env = {**self.env, node.var: self.tab.first}
        return any(lookup(self.tab, s.head, s.sub, s.sup, env) for s in names_in(node.body))

    def layer_sum(self, node: BigSum) -> Val:
        """A sum over the layers where the body's matrix names exist."""
        total: Val | None = None
        for layer in self.tab.written_layers:
            self.env[node.var] = layer
            try:
                v = self.value(node.body)
            except OutOfRange:
                continue
            finally:
                del self.env[node.var]
            total = v if total is None else add(total, v, "+")
        if total is None:
            raise ResolveError(f"\\sum_{node.var}: its names exist at no layer of this network")
        return total

    def case_sum(self, node: BigSum) -> Val:
        """A sum over the cases of one example's vectors (written for the case the letter
        stands for): each entry summed over the n cases (by a variable of its own, so that
        the example the claim is judged at does not reach inside the sum)."""
        net = self.scope.net
        assert net.case is not None and net.n_cases is not None
        var = sp.Dummy(str(net.case), integer=True)
        body = self.value(node.body)
        return each(body, lambda x: sp.Sum(x.xreplace({net.case: var}), (var, 1, net.n_cases)))

    def names_example(self, node: Node, var: str) -> bool:
        """Whether a sum's body writes one example of the batch by its index (``Z^{[l](i)}``,
        ``\\delta^{x,l}``, the handout's ``a^{(2)}_n``)."""
        env = {**self.env, var: 1}
        for sym in names_in(node):
            found = lookup(self.tab, sym.head, sym.sub, sym.sup, env)
            if found is not None and isinstance(found.example, Sym) and found.example.head == var:
                return True
        return False


ONES = ("\\mathbf{1}", "\\vec{1}", "\\boldsymbol{1}", "\\bm{1}", "\\mathbb{1}")


def is_ones(node: Node) -> bool:
    """``\\mathbf{1}``, ``\\mathbf{1}_m``, ``\\mathbf{1}^T``: a vector of ones (a sum over the batch
    written as a product)."""
    if isinstance(node, Transpose):
        node = node.body
    return isinstance(node, Sym) and node.head in ONES and node.sup is None and not node.primes


def ones_beside(vals: list[tuple[str, Val | None]], k: int) -> Arr:
    """The vector of ones at factor k: a column after a matrix (A 1), a row before one (1^T A)."""
    before = vals[k - 1][1] if k > 0 else None
    after = vals[k + 1][1] if k + 1 < len(vals) else None
    if isinstance(before, Arr):
        return Arr(sp.ImmutableMatrix.ones(before.shape[1], 1), "1")
    if isinstance(after, Arr):
        return Arr(sp.ImmutableMatrix.ones(1, after.shape[0]), "1^T")
    raise ResolveError("a vector of ones needs a matrix beside it (dZ \\mathbf{1})")


def combine(a: Val, b: Val, op: str) -> Val:
    """Two factors: side by side a matrix product, ``\\odot`` element-wise; ``*`` (also \\cdot,
    \\times) element-wise between two arrays of one shape, as NumPy's ``*``, else a product."""
    if op == "o":
        return hadamard(a, b)
    if op == "/":
        return divide(a, b)
    if op == "*" and isinstance(a, Arr) and isinstance(b, Arr) and a.shape == b.shape:
        return hadamard(a, b)
    return product(a, b)


def _shown(value: Val) -> str:
    return value.shown if isinstance(value, Arr) else str(value)
