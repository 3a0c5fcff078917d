"""The entries a matrix name stands for: each kind's quantities in the network's symbols
(:class:`Quantities`), the declared orientation (:class:`Layout`), and the matrix or vector
:func:`build` writes out for a name of the notation's ``[matrices]`` or ``[example_matrices]``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp

from symbackprop.backprop.forms import deltas
from symbackprop.verify.matrix import VECTOR_KINDS, Entry, Named, OutOfRange
from symbackprop.verify.numeric import CASES, unroll
from symbackprop.verify.resolver import Resolver
from symbackprop.verify.scope import ResolveError, Scope
from symbackprop.verify.shapes import Arr, arr


@dataclass(frozen=True)
class Quantities:
    """The entries of each kind of matrix, in the network's symbols (one case: symbolic i)."""

    scope: Scope
    res: Resolver
    per_case: bool = False  # gradients of one case's error (Nielsen's C_x), not of the mean

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.scope.spec.sizes

    def unit(self, kind: str, layer: int, j: int) -> sp.Expr:
        """One unit's quantity of a per-case kind (j 1-based)."""
        net, objects = self.scope.net, self.scope.objects
        if kind == "input" or (kind == "activation" and layer == 0):
            return net.inputs[j - 1]
        if kind == "target":
            return net.targets[j - 1]
        if kind == "activation":
            return objects[f"a{layer}_{j}"]
        if kind == "net":
            return objects[f"z{layer}_{j}"]
        if kind == "delta":
            delta = deltas(net, self.scope.notation.has_error_terms)[(layer, j)].value
            return delta.xreplace(self.scope.canon)
        return self.upstream(layer, j)

    def upstream(self, layer: int, j: int) -> sp.Expr:
        """dE/da of one unit (of one case)."""
        net = self.scope.net
        if layer == net.depth:
            return self.res.derivative(self.scope.e_case, net.a[layer][j - 1])
        return sp.Add(
            *[
                net.param(f"w{layer + 1}_{k}_{j}").symbol * self.unit("delta", layer + 1, k)
                for k in range(1, self.sizes[layer + 1] + 1)
            ]
        )

    def gradient(self, pid: str) -> sp.Expr:
        """dE/dp of the whole error (a mean over the batch written out), or of one case's error
        when ``per_case``."""
        if self.per_case and self.scope.net.case is not None:
            return self.scope.gradient(pid).per_case.value.xreplace(self.scope.canon)
        return batch_sum(self.scope, self.scope.grad_mid(pid))

    def param(self, kind: str, layer: int, j: int, k: int | None) -> sp.Expr:
        pid = f"w{layer}_{j}_{k}" if kind in ("weight", "dweight") else f"b{layer}_{j}"
        symbol = self.scope.net.param(pid).symbol
        return self.gradient(pid) if kind in ("dweight", "dbias") else symbol


def batch_sum(scope: Scope, expr: sp.Expr) -> sp.Expr:
    """A mean over the n cases written out over the batch's CASES examples."""
    net = scope.net
    if net.n_cases is None or not expr.has(sp.Sum):
        return expr
    return unroll(expr.xreplace({net.n_cases: sp.Integer(CASES)}))


def at_case(scope: Scope, expr: sp.Expr, case: int) -> sp.Expr:
    net = scope.net
    return expr if net.case is None else expr.xreplace({net.case: sp.Integer(case)})


@dataclass(frozen=True)
class Layout:
    """The declared orientation: weights out-in or in-out, vectors as columns or rows, a batch's
    examples as columns or rows."""

    weights_out_in: bool
    columns: bool
    batch_columns: bool
    batched: bool  # the spec takes a mean over cases: a layer's quantities form a batch

    @property
    def batch_axis(self) -> int:
        return 1 if self.batch_columns else 0


def layout(scope: Scope) -> Layout:
    top = scope.notation.top
    return Layout(
        top.get("weight_orientation", "out-in") == "out-in",
        top.get("vectors", "column") == "column",
        top.get("batch", "columns") == "columns",
        scope.net.case is not None,
    )


def check_layer(entry: Entry, sizes: tuple[int, ...]) -> int:
    """The network's layer of a matrix name; OutOfRange when the network has no such
    quantity there (a weight or δ of the input layer)."""
    kind = entry.kind
    layer = entry.layer if entry.layer is not None else (0 if kind == "input" else len(sizes) - 1)
    if layer < 0 or layer >= len(sizes) or (layer == 0 and kind not in ("activation", "input")):
        raise OutOfRange(f"{entry.shown} is not a quantity of this network")
    return layer


def build(q: Quantities, lay: Layout, named: Named, example: int | None) -> Arr:
    """The matrix a name stands for (one example's vector when ``example`` is given; a name of
    ``[example_matrices]`` is the quantity of the symbolic case i, its gradients of that case's
    error)."""
    entry = named.entry
    kind, sizes = entry.kind, q.sizes
    if entry.one_example:
        q, lay = replace(q, per_case=True), replace(lay, batched=False)
    if kind.endswith(VECTOR_KINDS):
        params = [p for p in q.scope.net.params if p.kind == "weight" or "parameter" in kind]
        got = [q.gradient(p.id) if kind.startswith("d") else p.symbol for p in params]
        return vector(got, lay, entry.shown)
    layer = check_layer(entry, sizes)
    kind = "activation" if kind == "output" else kind
    n = sizes[layer]
    if kind in ("weight", "dweight"):
        rows = [
            [q.param(kind, layer, j, k) for k in range(1, sizes[layer - 1] + 1)]
            for j in range(1, n + 1)
        ]
        m = arr(rows, entry.shown)
        return Arr(m.m if lay.weights_out_in else m.m.T, entry.shown)
    if kind in ("bias", "dbias"):
        if not q.scope.spec.biases[layer - 1]:
            raise ResolveError(f"{entry.shown}: this spec has no biases in that layer")
        return vector([q.param(kind, layer, j, None) for j in range(1, n + 1)], lay, entry.shown)
    values = [q.unit(kind, layer, j) for j in range(1, n + 1)]
    if example is not None and q.scope.net.case is not None:
        shown = f"{entry.shown}^{{({example})}}"
        return vector([at_case(q.scope, v, example) for v in values], lay, shown)
    if not lay.batched:
        return vector(values, lay, entry.shown)
    cols = [[at_case(q.scope, v, c) for c in range(1, CASES + 1)] for v in values]
    m = arr(cols, entry.shown)
    return m if lay.batch_columns else Arr(m.m.T, entry.shown)


def vector(values: list[sp.Expr], lay: Layout, shown: str) -> Arr:
    rows = [[v] for v in values] if lay.columns else [values]
    return arr(rows, shown)
