"""Series and sums in a reading: ``a_1 + ... + a_N``, tuples, ``\\sum`` and written-out elisions.

A mixin of :class:`symbackprop.verify.resolver.Resolver`: the methods read ``self`` as the
resolver they are part of.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from symbackprop.verify.keys import name_key
from symbackprop.verify.layernames import layer_size
from symbackprop.verify.layers import (
    index_layer,
    layer_units,
    letter_range,
    names_letter,
    sum_units,
)
from symbackprop.verify.reader import (
    Add,
    BigSum,
    Group,
    Node,
    Num,
    Sym,
)
from symbackprop.verify.reading import ResolverBase
from symbackprop.verify.scope import MAX_SUM, ResolveError, UnknownName
from symbackprop.verify.values import (
    SERIES_INDEX,
    SERIES_KEY,
    among_zeros,
    is_dots,
    letters_of,
    plus,
    shape_of,
    templated,
)

SETS = {"output": -1, "input": 0, "hidden": 1}
SET_NAMES = ("\\text{outputs}", "\\text{inputs}", "\\text{hidden}")


class SeriesReading(ResolverBase):
    """Series, vectors and sums, for the resolver."""

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
        """A tuple (0.7, 0.1, 0.4) or (w_1, w_2, \\dots, w_n): a SymPy Tuple, or a SeqFormula in
        a free count."""
        nodes = list(node.items)
        if not any(is_dots(n) for n in nodes):
            return sp.Tuple(*[self.expr(n) for n in nodes])
        start, d, count = self.elision(nodes)
        self.note_written(nodes[start:d])
        if start or d + 2 != len(nodes):
            raise ResolveError("a tuple with \\dots must read (a_1, a_2, \\dots, a_N)")
        return self.series_value(nodes[-1], count, vector=True)

    def sum_range(self, node: BigSum) -> tuple[sp.Expr, sp.Expr]:
        """A sum's limits: as written; ``\\sum_k`` runs over the layer index k belongs to,
        ``\\sum_{k \\in \\text{outputs}}`` over the named layer, and an upper limit in a count
        letter nobody defined (m, N, P) is the size of the index's layer."""
        if self.components is not None and node.lo is None and node.hi is None and not node.over:
            return sp.Integer(1), sp.Integer(self.components)  # over a vector's components
        layer = self.scope.indices.get(node.var)
        if layer is None and node.over is None and not self.free and node.var not in self.env:
            layer = index_layer(self.scope, node.body, node.var, self.env)
        if node.over is not None:
            name = node.over.head.lower() if isinstance(node.over, Sym) else ""
            layer = SETS.get(name.rstrip("s"), SETS.get(name))
            if layer is None:
                raise ResolveError(f"\\sum over a set: the set must be {', '.join(SET_NAMES)}")
            layer = layer if layer >= 0 else self.scope.spec.depth + 1 + layer
            return sp.Integer(1), sp.Integer(self.scope.spec.sizes[max(layer, 0)])
        if node.lo is None or node.hi is None:
            if layer is None and not self.free and not names_letter(node.body, node.var):
                raise ResolveError(
                    f"\\sum_{{{node.var}}}: the summed expression does not contain "
                    f"{node.var}; write it in the names summed, as in z_{{{node.var}}}"
                )
            if layer is None:
                letters = ", ".join(k for k in self.scope.indices if "'" not in k) or "none"
                raise ResolveError(
                    f"\\sum_{node.var} without limits: {node.var} is not an index letter"
                    " of notation "
                    f"{self.scope.notation.name} (its index letters: {letters}); write the limits"
                )
            return sp.Integer(1), sp.Integer(self.scope.spec.sizes[layer])
        lo = self.expr(node.lo)
        hi_node = node.hi
        size = layer_size(self.scope, hi_node, self.env)
        if size is not None:
            return lo, sp.Integer(size)  # Hagan's \sum_{j=1}^{S^{m-1}}
        if (
            not self.free
            and layer is not None
            and isinstance(hi_node, Sym)
            and hi_node.kind == "letter"
            and not hi_node.scripted
            and not self.known(hi_node.head, None, None)
            and hi_node.head not in self.scope.counts
        ):
            return lo, sp.Integer(self.scope.spec.sizes[layer])  # \sum_{k=1}^{m}: k's layer
        return lo, self.expr(hi_node)

    def units_summed(self, node: BigSum) -> list[int]:
        """In a layered notation, the units a sum over a unit letter runs over: those for which
        the names it sums exist (from the written lower limit, 0 or 1, when the upper one is a
        count letter the notation does not know)."""
        if not self.scope.notation.layered or self.free:
            return []
        lo = 0
        if node.lo is not None or node.hi is not None:
            hi = node.hi
            if not (
                isinstance(node.lo, Num)
                and node.lo.value in (0, 1)
                and isinstance(hi, Sym)
                and (
                    (not hi.scripted and not self.known(hi.head, None, None))
                    or name_key(hi.head, hi.sub, hi.sup) in self.scope.counts  # n_H
                )
            ):
                return []
            lo = int(node.lo.value)
        units = sum_units(self.scope, node.body, node.var, self.env)
        if not units and node.var in self.scope.indices:  # w_{jk} transposed: unconnected, 0
            units = [v for v in letter_range(self.scope, node.var) if v > 0]
        named = node.over.head.lower() if isinstance(node.over, Sym) else ""
        layer = SETS.get(named.rstrip("s"), SETS.get(named))
        if layer is not None:  # \sum_{k \in \text{outputs}}: that layer's units only
            depth = self.scope.spec.depth
            allowed = layer_units(self.scope, layer if layer >= 0 else depth + 1 + layer)
            units = [v for v in units if v in allowed]
        return [v for v in units if v >= lo]

    def bigsum(self, node: BigSum) -> sp.Expr:
        over_cases = self.case_sum(node)
        if over_cases is not None:
            return over_cases
        fed = self.fed_units(node)
        if fed is not None:
            return sp.Add(*[self.with_env(**{node.var: v}).expr(node.body) for v in fed])
        units = self.units_summed(node)
        if units:
            return sp.Add(*[self.with_env(**{node.var: v}).expr(node.body) for v in units])
        lo, hi = self.sum_range(node)
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
