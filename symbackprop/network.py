"""The symbolic network: named symbols, their definitions and the error E.

Every quantity has a canonical ASCII name: inputs ``x{k}``, targets ``y{j}``,
parameters ``w{l}_{j}_{k}`` and ``b{l}_{j}``, net inputs ``z{l}_{j}``, activations
``a{l}_{j}``, outputs ``o{j}`` (equal to ``a{L}_{j}``, but named apart because
sources write the output of the loss differently, e.g. y-hat vs phi_y-hat) and
error terms ``e{j}``. With a mean over n cases, everything that depends on the
training case is an ``Indexed`` object ``x1[i]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import sympy as sp

from .activations import ACTIVATIONS
from .errors import SpecError, choices
from .losses import Loss, loss_for
from .spec import NetworkSpec

Expr = sp.Expr
RESIDUALS = ("target-output", "output-target")


@dataclass(frozen=True)
class Param:
    """One weight or bias: ``w{layer}_{to}_{frm}`` or ``b{layer}_{to}``."""

    id: str
    kind: str  # "weight" or "bias"
    layer: int
    to_unit: int
    from_unit: int | None
    symbol: sp.Symbol


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Network:
    spec: NetworkSpec
    residual: str
    inputs: tuple[Expr, ...]
    targets: tuple[Expr, ...]
    params: tuple[Param, ...]
    z: tuple[tuple[Expr, ...], ...]  # z[l] for l = 1..L, stored at index l (index 0 empty)
    a: tuple[tuple[Expr, ...], ...]  # a[0] = inputs, a[l] activations
    outputs: tuple[Expr, ...]
    errors: tuple[Expr, ...]
    gain: sp.Symbol | None
    lr: sp.Symbol
    case: sp.Symbol | None
    n_cases: sp.Symbol | None
    definitions: Mapping[Expr, Expr]  # intermediate -> value in lower intermediates (evaluated)
    displays: Mapping[Expr, Expr]  # intermediate -> the same, unevaluated, in source order
    closed: Mapping[Expr, Expr]  # intermediate -> closed form in inputs, targets, parameters
    case_error: Expr  # E (or E_i) in terms of outputs and targets
    roles: Mapping[str, str]
    display_memo: dict[Expr, Expr] = field(default_factory=dict, compare=False, repr=False)
    delta_memo: dict[bool, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def loss(self) -> Loss:
        return loss_for(self.spec.loss, self.spec.activations[-1])

    @property
    def depth(self) -> int:
        return self.spec.depth

    def param(self, pid: str) -> Param:
        for p in self.params:
            if p.id == pid:
                return p
        raise SpecError(f"unknown parameter {pid!r}; valid ids: {choices(p.id for p in self.params)}")

    def to_closed(self, expr: Expr) -> Expr:
        """Replace every intermediate by its closed form."""
        return expr.xreplace(dict(self.closed))

    @property
    def error(self) -> Expr:
        """E in closed form: the per-case loss, or its mean over n symbolic cases."""
        e_case = self.to_closed(self.case_error)
        return self.over_cases(e_case)

    def over_cases(self, per_case: Expr) -> Expr:
        if self.case is None:
            return per_case
        assert self.n_cases is not None
        return sp.Sum(per_case, (self.case, 1, self.n_cases)) / self.n_cases

    def jacobian(self, l: int, i: int, j: int) -> tuple[Expr, Expr]:
        """da^{(l)}_i / dz^{(l)}_j (1-based units), evaluated and for display, in terms of a and z."""
        act = ACTIVATIONS[self.spec.activations[l - 1]]
        if act.jacobian is not None:
            return act.jacobian(self.a[l], i - 1, j - 1)
        if i != j:
            return sp.Integer(0), sp.Integer(0)
        gain = self.gain if self.spec.gains[l - 1] else None
        a, z = self.a[l][j - 1], self.z[l][j - 1]
        return act.slope(a, z, gain), act.slope_display(a, z, gain)

    def feeds(self, l: int, j: int) -> list[int]:
        """The units i of layer l whose activation depends on z^{(l)}_j: all of them for softmax."""
        if ACTIVATIONS[self.spec.activations[l - 1]].layerwise:
            return list(range(1, self.spec.sizes[l] + 1))
        return [j]


def build(spec: NetworkSpec, residual: str | None = None) -> Network:
    """Build the symbolic network of a spec."""
    loss = loss_for(spec.loss, spec.activations[-1])
    residual = residual or loss.default_residual
    if residual not in RESIDUALS:
        raise SpecError(f"unknown residual orientation {residual!r}; choose from {choices(RESIDUALS)}")
    case = _sym("i") if spec.mean else None
    n_cases = sp.Symbol("n", integer=True, positive=True) if spec.mean else None
    roles: dict[str, str] = {}

    def data(name: str, role: str) -> Expr:
        roles[name] = role
        if case is None:
            return _sym(name)
        return sp.IndexedBase(name, real=True)[case]

    L = spec.depth
    inputs = tuple(data(f"x{k}", f"input {k}") for k in range(1, spec.sizes[0] + 1))
    targets = tuple(data(f"y{j}", f"target {j}") for j in range(1, spec.sizes[-1] + 1))
    gain = _sym("alpha") if any(spec.gains) else None
    lr = sp.Symbol("eta", positive=True)
    roles["eta"] = "learning rate"
    if gain is not None:
        roles["alpha"] = "gain"
    if case is not None:
        roles["i"] = "case index"
        roles["n"] = "number of cases"

    params: list[Param] = []
    z: list[tuple[Expr, ...]] = [()]
    a: list[tuple[Expr, ...]] = [inputs]
    definitions: dict[Expr, Expr] = {}
    displays: dict[Expr, Expr] = {}
    closed: dict[Expr, Expr] = {}
    for l in range(1, L + 1):
        act = ACTIVATIONS[spec.activations[l - 1]]
        g = gain if spec.gains[l - 1] else None
        zl, al = [], []
        for j in range(1, spec.sizes[l] + 1):
            terms = []
            for k in range(1, spec.sizes[l - 1] + 1):
                pid = f"w{l}_{j}_{k}"
                w = _sym(pid)
                params.append(Param(pid, "weight", l, j, k, w))
                roles[pid] = f"weight from unit {k} of layer {l - 1} to unit {j} of layer {l}"
                terms.append((w, a[l - 1][k - 1]))
            bias = None
            if spec.biases[l - 1]:
                bid = f"b{l}_{j}"
                bias = _sym(bid)
                roles[bid] = f"bias of unit {j} of layer {l}"
            zs = data(f"z{l}_{j}", f"net input of unit {j} of layer {l}")
            as_ = data(f"a{l}_{j}", f"activation of unit {j} of layer {l}")
            value = sp.Add(*[w * prev for w, prev in terms]) + (bias if bias is not None else 0)
            shown = [sp.Mul(prev, w, evaluate=False) for w, prev in terms] + ([bias] if bias is not None else [])
            definitions[zs] = value
            displays[zs] = sp.Add(*shown, evaluate=False) if len(shown) > 1 else shown[0]
            closed[zs] = value.xreplace(closed)
            zl.append(zs)
            al.append(as_)
        if act.apply_layer is not None:
            values, closed_values = act.apply_layer(zl), act.apply_layer([closed[z_] for z_ in zl])
        else:
            values = [act.apply(z_, g) for z_ in zl]
            closed_values = [act.apply(closed[z_], g) for z_ in zl]
        for as_, v, cv in zip(al, values, closed_values):
            definitions[as_] = displays[as_] = v
            closed[as_] = cv
        params.extend(
            Param(f"b{l}_{j}", "bias", l, j, None, _sym(f"b{l}_{j}"))
            for j in range(1, spec.sizes[l] + 1)
            if spec.biases[l - 1]
        )
        z.append(tuple(zl))
        a.append(tuple(al))

    outputs, errors = [], []
    for j in range(1, spec.sizes[-1] + 1):
        o = data(f"o{j}", f"output {j}")
        e = data(f"e{j}", f"error term of output {j}")
        y = targets[j - 1]
        definitions[o] = displays[o] = a[L][j - 1]
        closed[o] = closed[a[L][j - 1]]
        if residual == "target-output":
            definitions[e] = y - o
            displays[e] = sp.Add(y, sp.Mul(-1, o, evaluate=False), evaluate=False)
        else:
            definitions[e] = o - y
            displays[e] = sp.Add(o, sp.Mul(-1, y, evaluate=False), evaluate=False)
        closed[e] = definitions[e].xreplace(closed)
        outputs.append(o)
        errors.append(e)

    return Network(
        spec=spec,
        residual=residual,
        inputs=inputs,
        targets=targets,
        params=tuple(params),
        z=tuple(z),
        a=tuple(a),
        outputs=tuple(outputs),
        errors=tuple(errors),
        gain=gain,
        lr=lr,
        case=case,
        n_cases=n_cases,
        definitions=definitions,
        displays=displays,
        closed=closed,
        case_error=loss.case_error(outputs, targets),
        roles=roles,
    )
