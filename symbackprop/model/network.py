"""The symbolic network: named symbols, their definitions and the error E.

Every quantity has a canonical ASCII name: inputs ``x{k}``, targets ``y{j}``,
parameters ``w{l}_{j}_{k}`` and ``b{l}_{j}``, net inputs ``z{l}_{j}``, activations
``a{l}_{j}``, outputs ``o{j}`` (equal to ``a{L}_{j}``, but named apart because
sources write the output of the loss differently, e.g. y-hat vs phi_y-hat) and
error terms ``e{j}``. With a mean or a sum over n cases, everything that depends on the
training case is an ``Indexed`` object ``x1[i]``. An L2 penalty adds (lambda/2) sum w^2 to E,
with the symbol ``lambda`` (its value is the spec's ``l2``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import sympy as sp

from symbackprop.errors import SpecError, choices
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.losses import Loss, loss_for
from symbackprop.model.spec import NetworkSpec
from symbackprop.util import once

RESIDUALS = ("target-output", "output-target")


@dataclass(frozen=True)
class Param:
    """One weight or bias: ``w{layer}_{to}_{frm}`` or ``b{layer}_{to}``."""

    id: str
    kind: str  # "weight" or "bias"
    layer: int
    to_unit: int
    from_unit: int | None

    @once
    def symbol(self) -> sp.Symbol:
        """Made on first use: deriving the compact gradients of a layer needs no weight symbols of
        it."""
        return _sym(self.id)


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Network:
    spec: NetworkSpec
    residual: str
    inputs: tuple[sp.Expr, ...]
    targets: tuple[sp.Expr, ...]
    params: tuple[Param, ...]
    z: tuple[tuple[sp.Expr, ...], ...]  # z[l] for l = 1..L, stored at index l (index 0 empty)
    a: tuple[tuple[sp.Expr, ...], ...]  # a[0] = inputs, a[l] activations
    outputs: tuple[sp.Expr, ...]
    errors: tuple[sp.Expr, ...]
    gain: sp.Symbol | None
    lr: sp.Symbol
    case: sp.Symbol | None
    n_cases: sp.Symbol | None
    definitions: Mapping[
        sp.Expr, sp.Expr
    ]  # intermediate -> value in lower intermediates (evaluated)
    displays: Mapping[sp.Expr, sp.Expr]  # intermediate -> the same, unevaluated, in source order
    closed: Mapping[sp.Expr, sp.Expr]  # intermediate -> closed form in inputs, targets, parameters
    case_error: sp.Expr  # E (or E_i) in terms of outputs and targets
    roles: Mapping[str, str]
    penalty: sp.Symbol | None = None  # lambda of the L2 penalty (lambda/2) sum w^2, if any
    display_memo: dict[sp.Expr, sp.Expr] = field(default_factory=dict, compare=False, repr=False)
    delta_memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    scaled_memo: dict[tuple[bool, int, int], object] = field(
        default_factory=dict, compare=False, repr=False
    )
    by_id: dict[str, Param] = field(default_factory=dict, compare=False, repr=False)

    @property
    def loss(self) -> Loss:
        return loss_for(self.spec.loss, self.spec.activations[-1])

    @property
    def depth(self) -> int:
        return self.spec.depth

    def param(self, pid: str) -> Param:
        if not self.by_id:
            self.by_id.update((p.id, p) for p in self.params)
        if pid in self.by_id:
            return self.by_id[pid]
        raise SpecError(
            f"unknown parameter {pid!r}; valid ids: {choices(p.id for p in self.params)}"
        )

    def to_closed(self, expr: sp.Expr) -> sp.Expr:
        """Replace every intermediate by its closed form (computing only the closed forms it
        needs)."""
        return expr.xreplace(self.closed)

    @property
    def error(self) -> sp.Expr:
        """E in closed form: the per-case loss, or its mean or sum over n symbolic cases, plus the
        L2 penalty if the spec has one."""
        e_case = self.to_closed(self.case_error)
        return self.objective(e_case)

    def objective(self, per_case: sp.Expr) -> sp.Expr:
        """E from the error of one case: gathered over the cases, plus the penalty."""
        return self.over_cases(per_case) + self.penalty_error()

    def over_cases(self, per_case: sp.Expr) -> sp.Expr:
        """The mean or the sum over the n cases (the case itself when E is of one case)."""
        if self.case is None:
            return per_case
        assert self.n_cases is not None
        total = sp.Sum(per_case, (self.case, 1, self.n_cases))
        return total / self.n_cases if self.spec.mean else total

    def penalised(self) -> tuple[Param, ...]:
        """The parameters the L2 penalty covers, in theta order (none without a penalty)."""
        return tuple(p for p in self.params if self.spec.penalised(p.kind))

    def penalty_error(self) -> sp.Expr:
        """(lambda/2) sum of the squares of the penalised parameters; 0 without a penalty."""
        if self.penalty is None:
            return sp.Integer(0)
        return self.penalty_scale / 2 * sp.Add(*[p.symbol**2 for p in self.penalised()])

    @property
    def penalty_scale(self) -> sp.Expr:
        """lambda, or lambda/n with l2_mean (the penalty divided by the number of cases)."""
        assert self.penalty is not None
        if self.spec.l2_mean:
            assert self.n_cases is not None
            return self.penalty / self.n_cases
        return self.penalty

    def penalty_slope(self, p: Param) -> sp.Expr:
        """d/dp of the penalty: lambda p (lambda p / n with l2_mean), or 0."""
        if self.penalty is None or not self.spec.penalised(p.kind):
            return sp.Integer(0)
        return self.penalty_scale * p.symbol

    def penalty_display(self, p: Param) -> sp.Expr:
        """The penalty's term of dE/dp as printed: lambda w, or (lambda/n) w."""
        assert self.penalty is not None
        return sp.Mul(self.penalty_scale, p.symbol, evaluate=False)

    def jacobian(self, l: int, i: int, j: int) -> tuple[sp.Expr, sp.Expr]:
        """da^{(l)}_i / dz^{(l)}_j (1-based units), evaluated and for display, in terms of a and
        z."""
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


MAX_SYMBOLIC_PARAMS = 200_000  # 784-128-10 (101,770) derives in about 25 s


def build(spec: NetworkSpec, residual: str | None = None) -> Network:
    """Build the symbolic network of a spec: its symbols now, their definitions on demand.

    Only symbols are made here (one per unit, input and target; a parameter's on first use),
    so building costs little per parameter; definitions and closed forms are computed the
    first time they are looked up (``Intermediates``).
    """
    if spec.n_params > MAX_SYMBOLIC_PARAMS:
        raise SpecError(
            f"{spec.label[:60]} has {spec.n_params:,} parameters; symbolic work (derive, eval, "
            f"verify, audit, unrolled code) is bounded at {MAX_SYMBOLIC_PARAMS:,}; "
            "generate --loops and train take up to 10,000,000"
        )
    loss = loss_for(spec.loss, spec.activations[-1])
    residual = residual or loss.default_residual
    if residual not in RESIDUALS:
        raise SpecError(
            f"unknown residual orientation {residual!r}; choose from {choices(RESIDUALS)}"
        )
    case = _sym("i") if spec.over_cases else None
    n_cases = sp.Symbol("n", integer=True, positive=True) if spec.over_cases else None
    penalty = sp.Symbol("lambda", positive=True) if spec.l2_value else None
    roles: dict[str, str] = {}

    def data(name: str, role: str) -> sp.Expr:
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
    if penalty is not None:
        roles["lambda"] = "L2 penalty coefficient"

    params: list[Param] = []
    z: list[tuple[sp.Expr, ...]] = [()]
    a: list[tuple[sp.Expr, ...]] = [inputs]
    for l in range(1, L + 1):
        zl, al = [], []
        for j in range(1, spec.sizes[l] + 1):
            for k in range(1, spec.sizes[l - 1] + 1):
                pid = f"w{l}_{j}_{k}"
                params.append(Param(pid, "weight", l, j, k))
                roles[pid] = f"weight from unit {k} of layer {l - 1} to unit {j} of layer {l}"
            if spec.biases[l - 1]:
                roles[f"b{l}_{j}"] = f"bias of unit {j} of layer {l}"
            zl.append(data(f"z{l}_{j}", f"net input of unit {j} of layer {l}"))
            al.append(data(f"a{l}_{j}", f"activation of unit {j} of layer {l}"))
        params.extend(
            Param(f"b{l}_{j}", "bias", l, j, None)
            for j in range(1, spec.sizes[l] + 1)
            if spec.biases[l - 1]
        )
        z.append(tuple(zl))
        a.append(tuple(al))

    outputs, errors = [], []
    for j in range(1, spec.sizes[-1] + 1):
        outputs.append(data(f"o{j}", f"output {j}"))
        errors.append(data(f"e{j}", f"error term of output {j}"))
    forms = Intermediates(
        spec, residual, gain, tuple(z), tuple(a), tuple(outputs), tuple(errors), targets
    )

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
        definitions=forms.definitions,
        displays=forms.displays,
        closed=forms.closed,
        case_error=loss.case_error(outputs, targets),
        roles=roles,
        penalty=penalty,
    )


class Lazy(Mapping[sp.Expr, sp.Expr]):
    """A mapping with fixed keys whose values are computed on first look-up, each once."""

    def __init__(
        self, keys: Mapping[sp.Expr, object], compute: Callable[[sp.Expr], sp.Expr]
    ) -> None:
        self._keys = keys
        self._compute = compute
        self._values: dict[sp.Expr, sp.Expr] = {}

    def __getitem__(self, key: sp.Expr) -> sp.Expr:
        if key in self._values:
            return self._values[key]
        if key not in self._keys:
            raise KeyError(key)
        value = self._values[key] = self._compute(key)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[sp.Expr]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True)
class Unit:
    """Where an intermediate sits: kind z, a (layer ``layer``), o or e (output ``unit``)."""

    kind: str
    layer: int
    unit: int


class Intermediates:
    """The definitions of z, a, o and e: evaluated, displayed in source order, and closed.

    Each is computed on first use. The keys come in the order the network defines them
    (per layer its net inputs, then its activations; then per output o and e).
    """

    def __init__(
        self,
        spec: NetworkSpec,
        residual: str,
        gain: sp.Symbol | None,
        z: tuple[tuple[sp.Expr, ...], ...],
        a: tuple[tuple[sp.Expr, ...], ...],
        outputs: tuple[sp.Expr, ...],
        errors: tuple[sp.Expr, ...],
        targets: tuple[sp.Expr, ...],
    ) -> None:
        self.spec, self.residual, self.gain = spec, residual, gain
        self.z, self.a, self.outputs, self.errors, self.targets = z, a, outputs, errors, targets
        where: dict[sp.Expr, Unit] = {}
        for l in range(1, spec.depth + 1):
            where.update((s, Unit("z", l, j)) for j, s in enumerate(z[l], start=1))
            where.update((s, Unit("a", l, j)) for j, s in enumerate(a[l], start=1))
        for j, (o, e) in enumerate(zip(outputs, errors), start=1):
            where[o] = Unit("o", spec.depth, j)
            where[e] = Unit("e", spec.depth, j)
        self.where = where
        self.definitions = Lazy(where, self._definition)
        self.displays = Lazy(where, self._display)
        self.closed = Lazy(where, self._closed)
        self._layers: dict[tuple[int, bool], list[sp.Expr]] = {}

    def _terms(self, u: Unit) -> tuple[list[tuple[sp.Symbol, sp.Expr]], sp.Symbol | None]:
        """The (weight, input) pairs of a net input, and its bias."""
        l, j = u.layer, u.unit
        terms = [(_sym(f"w{l}_{j}_{k}"), prev) for k, prev in enumerate(self.a[l - 1], start=1)]
        return terms, _sym(f"b{l}_{j}") if self.spec.biases[l - 1] else None

    def _activations(self, l: int, closed: bool) -> list[sp.Expr]:
        """Layer l's activations, of its net inputs (or of their closed forms)."""
        if (l, closed) not in self._layers:
            act = ACTIVATIONS[self.spec.activations[l - 1]]
            zs = [self.closed[z] for z in self.z[l]] if closed else list(self.z[l])
            if act.apply_layer is not None:
                values = act.apply_layer(zs)
            else:
                g = self.gain if self.spec.gains[l - 1] else None
                values = [act.apply(z, g) for z in zs]
            self._layers[(l, closed)] = values
        return self._layers[(l, closed)]

    def _definition(self, key: sp.Expr) -> sp.Expr:
        u = self.where[key]
        if u.kind == "z":
            terms, bias = self._terms(u)
            return sp.Add(*[w * prev for w, prev in terms]) + (bias if bias is not None else 0)
        if u.kind == "a":
            return self._activations(u.layer, False)[u.unit - 1]
        if u.kind == "o":
            return self.a[u.layer][u.unit - 1]
        o, y = self.outputs[u.unit - 1], self.targets[u.unit - 1]
        return y - o if self.residual == "target-output" else o - y

    def _display(self, key: sp.Expr) -> sp.Expr:
        u = self.where[key]
        if u.kind == "z":
            terms, bias = self._terms(u)
            shown = [sp.Mul(prev, w, evaluate=False) for w, prev in terms] + (
                [bias] if bias is not None else []
            )
            return sp.Add(*shown, evaluate=False) if len(shown) > 1 else shown[0]
        if u.kind == "e":
            o, y = self.outputs[u.unit - 1], self.targets[u.unit - 1]
            first, second = (y, o) if self.residual == "target-output" else (o, y)
            return sp.Add(first, sp.Mul(-1, second, evaluate=False), evaluate=False)
        return self.definitions[key]

    def _closed(self, key: sp.Expr) -> sp.Expr:
        u = self.where[key]
        if u.kind == "a":
            return self._activations(u.layer, True)[u.unit - 1]
        if u.kind == "o":
            return self.closed[self.a[u.layer][u.unit - 1]]
        return self.definitions[key].xreplace(self.closed)
