"""Loop code for wide networks: forward and backward passes that loop over units.

The unrolled module (``codegen.plan``) prints one line per unit and parameter, so
its size, derivation and Numba compile time grow with the widths. This module
prints a fixed body per layer instead, and the parameter tables are built when the
module is imported, so the code size does not depend on the widths.

theta keeps the order of the unrolled modules (the weights of layer l row by row,
(n_l, n_{l-1}), then its biases). The passes work on a copy of theta with every
weight block transposed to (n_{l-1}, n_l), so that every inner loop of the forward
pass and of the weight gradient runs along contiguous memory with no reduction
(z += a_k W[k, :], g[k, :] += a_k d) and vectorises without fastmath.

Python does the maths: every activation's value and slope (the slope in terms of
the value where it has one: a sigmoid costs one exp per unit), every loss term and
the output delta dE/dz are derived here from the SymPy tables in ``activations``
and ``losses`` and printed by ``NumbaPrinter``. The template ``loops.py.j2`` only
arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbackprop.codegen.common import (
    InitRange,
    Penalty,
    check_gain_value,
    code_spec,
    header_fields,
    init_ranges,
    penalty_plan,
    stable_error,
)
from symbackprop.codegen.numba_printer import NumbaPrinter, helpers_needed
from symbackprop.model.activations import ACTIVATIONS, Activation
from symbackprop.model.losses import Loss, loss_for
from symbackprop.model.notation import load_notation
from symbackprop.model.spec import NetworkSpec

LOOP_TEMPLATE = "loops.py.j2"
Z, A, Y, G, S = sp.symbols("z a y g s", real=True)  # S: the slope da/dz the forward pass stored
GAIN = sp.Symbol("alpha", positive=True)
# The output softmax's largest net input and sum_k exp(z_k - zmax): locals of _pass after the
# forward pass.
ZMAX, ZSUM = sp.Symbol("zmax", real=True), sp.Symbol("total", positive=True)
SOFTMAX_PROBE = 3  # units of the instance on which a layer-wise output delta is derived
# Minibatches are split into at most CHUNKS fixed chunks whose gradient sums are added in
# chunk order: the same arithmetic whether the chunks run on one thread or several.
CHUNKS = 2  # one per core of the machine it was measured on
# The chunks run on threads from this batch size up: on an idle 2-core machine threads were
# 1.3-2x faster at batch 32 and 128 (64-32-10, 16-16-16-1, 256-128-10, 784-128-10) and
# slower at batch 8 for 64-32-10 (the README's multi-core figures).
PARALLEL_MIN_BATCH = 32
# Batches from this size up are computed a layer at a time over the whole batch, the matrix
# products by BLAS (np.dot): on 64-32-10 that was faster than the per-row loops from batch 8 up
# (docs/performance.md, bench/batch.py).
BATCH_MIN = 8
# The batch pass runs over each chunk of a batch this many rows at a time, so its work arrays stay
# small and in cache at any batch size (bench/batch.py: full batch as fast as batch 128).
BATCH_BLOCK = 64


@dataclass(frozen=True)
class LayerCode:
    """One non-input layer: its sizes, where its parameters and units sit, how its units fire.

    ``w`` and ``b`` index theta (``b`` is None without biases); ``inp`` and ``out`` index the
    unit arrays, where layer 0 (the inputs) comes first. ``unit`` are the printed lines that
    take a net input ``z`` to the activation ``a`` and its slope ``s`` = da/dz, and ``vunit``
    the same maths printed for the batch pass (``_vexp``, ``_vsigmoid``); a layer-wise
    activation (softmax) has none and ``softmax`` set.
    """

    index: int
    activation: str
    n_in: int
    n_out: int
    w: int
    b: int | None
    inp: int
    out: int
    unit: tuple[str, ...]
    softmax: bool
    vunit: tuple[str, ...] = ()  # the same lines for the batch pass: exp and sigmoid vectorisable


@dataclass(frozen=True)
class LoopPlan:
    """Everything ``loops.py.j2`` needs, already printed."""

    label: str
    description: str
    regenerate: str
    version: str
    sympy_version: str
    spec_toml: str
    layer_names: tuple[tuple[str, str], ...]  # per layer: the notation's weight and bias templates
    name_overrides: tuple[tuple[str, str], ...]  # the notation's [names] of parameters, by id
    n_params: int
    n_inputs: int
    n_outputs: int
    n_units: int  # every unit of every layer, inputs included: the length of the work arrays
    gain: str | None
    scalars: tuple[str, ...]  # the stable scalar helpers the printed code calls (_sigmoid)
    layers: tuple[LayerCode, ...]
    error_term: str  # E of one output unit, in a and y (cross-entropy: in z and y, and zmax, total)
    out_delta: str  # dE/dz (or dE/da when out_softmax) of one output unit, in z, a and y
    out_softmax: bool  # dE/da of the outputs then the softmax Jacobian (no per-unit delta)
    depth: int
    init: tuple[InitRange, ...]
    mean_note: bool
    summed: bool  # train steps on the sum of a batch's gradients (the mean otherwise)
    penalty: Penalty | None
    chunks: int
    parallel_min_batch: int
    batch_min: int
    batch_block: int


def _printer(vector: bool = False) -> NumbaPrinter:
    return NumbaPrinter(GAIN, vector)


def unit_lines(
    act: Activation, gain: bool, vector: bool = False
) -> tuple[tuple[str, ...], list[sp.Expr]]:
    """The lines from z to a and s = da/dz (from the value a where SymPy gives it so), and their
    maths; ``vector``: printed with the vectorisable helpers (_vexp, _vsigmoid)."""
    if act.numba_lines:
        return act.numba_lines, []
    g = GAIN if gain else None
    value, slope = act.apply(Z, g), act.slope(A, Z, g)
    p = _printer(vector)
    return (f"a = {p.doprint(value)}", f"s = {p.doprint(slope)}"), [value, slope]


def loss_term(loss: Loss) -> sp.Expr:
    """E of one output unit: the loss of a one-unit output (every user loss is a sum over units)."""
    return loss.case_error([A], [Y])


def output_delta(loss: Loss, act: Activation, gain: bool) -> sp.Expr | None:
    """dE/dz_j of an output unit in a_j, y_j (and z_j), or None when it is not per unit.

    Per-unit activations: the loss slope times the activation slope, cancelled (the
    sigmoid with binary cross-entropy gives a - y). A softmax output: derived on a
    small instance from the Jacobian, with the targets' constraint (one-hot targets
    sum to 1) substituted; kept only if it depends on unit j alone (a_j - y_j).
    """
    g = GAIN if gain else None
    if not act.layerwise:
        slope = (
            S if act.numba_lines else act.slope(A, Z, g)
        )  # not from a: the stored one, no second exp
        return sp.factor(sp.cancel(loss.slope(A, Y) * slope))
    assert act.jacobian is not None
    n = SOFTMAX_PROBE
    a = sp.symbols(f"a0:{n}", positive=True)
    y = sp.symbols(f"y0:{n}", real=True)
    d0 = sum(loss.slope(a[i], y[i]) * act.jacobian(a, i, 0)[0] for i in range(n))
    if loss.target_sum is not None:
        d0 = d0.subs(y[-1], loss.target_sum - sum(y[:-1]))
    d0 = sp.expand(sp.cancel(d0))
    if d0.free_symbols - {a[0], y[0]}:
        return None
    return d0.xreplace({a[0]: A, y[0]: Y})


def _layers(spec: NetworkSpec) -> tuple[tuple[LayerCode, ...], list[sp.Expr]]:
    out, used = [], []
    index, unit = 0, spec.sizes[0]
    for l in range(1, len(spec.sizes)):
        n_in, n_out = spec.sizes[l - 1], spec.sizes[l]
        act = ACTIVATIONS[spec.activations[l - 1]]
        w_stop = index + n_in * n_out
        lines: tuple[str, ...] = ()
        vlines: tuple[str, ...] = ()
        if not act.layerwise:
            lines, maths = unit_lines(act, spec.gains[l - 1])
            vlines = unit_lines(act, spec.gains[l - 1], vector=True)[0]
            used += maths
        bias = w_stop if spec.biases[l - 1] else None
        out.append(
            LayerCode(
                l,
                act.name,
                n_in,
                n_out,
                index,
                bias,
                unit - n_in,
                unit,
                lines,
                act.layerwise,
                vlines,
            )
        )
        index = w_stop + (n_out if bias is not None else 0)
        unit += n_out
    return tuple(out), used


def loop_plan(spec: NetworkSpec, gain_value: float = 1.0) -> LoopPlan:
    """Print everything a loop module of ``spec`` needs; nothing printed grows with the widths."""
    check_gain_value(gain_value)
    cspec = code_spec(spec)
    notation = load_notation(spec.notation, spec.base_dir)
    layers, used = _layers(cspec)
    out_act = ACTIVATIONS[cspec.activations[-1]]
    loss = loss_for(cspec.loss, out_act.name)
    term = stable_error(loss, [Z], [Y], GAIN if cspec.gains[-1] else None, ZMAX, ZSUM)
    if term is None:
        term = loss_term(loss)
    delta = output_delta(loss, out_act, cspec.gains[-1])
    out_softmax = delta is None
    if delta is None:
        delta = loss.slope(A, Y)
    used += [term, delta]
    p = _printer()
    ids = set(param_ids(cspec))
    return LoopPlan(
        **header_fields(spec, gain_value),
        layer_names=tuple(
            (notation.layer_template(l, "weight"), notation.layer_template(l, "bias"))
            for l in range(1, len(cspec.sizes))
        ),
        name_overrides=tuple(sorted((k, v) for k, v in notation.names.items() if k in ids)),
        n_params=sum(c.n_in * c.n_out + (c.n_out if c.b is not None else 0) for c in layers),
        n_inputs=spec.sizes[0],
        n_outputs=spec.sizes[-1],
        n_units=sum(cspec.sizes),
        gain=repr(float(gain_value)) if any(cspec.gains) else None,
        scalars=helpers_needed(used, ("exp",) if any(c.softmax for c in layers) else ()),
        layers=layers,
        error_term=p.doprint(term),
        out_delta=p.doprint(delta),
        out_softmax=out_softmax,
        depth=len(layers),
        init=init_ranges(cspec),
        mean_note=spec.mean,
        summed=spec.summed,
        penalty=penalty_plan(spec),
        chunks=CHUNKS,
        parallel_min_batch=PARALLEL_MIN_BATCH,
        batch_min=BATCH_MIN,
        batch_block=BATCH_BLOCK,
    )


def param_ids(spec: NetworkSpec) -> tuple[str, ...]:
    """theta's ids in order, without building the symbolic network: w{l}_{j}_{k} row-major, then
    b{l}_{j}."""
    ids: list[str] = []
    for l in range(1, len(spec.sizes)):
        n_in, n_out = spec.sizes[l - 1], spec.sizes[l]
        ids += [f"w{l}_{j}_{k}" for j in range(1, n_out + 1) for k in range(1, n_in + 1)]
        if spec.biases[l - 1]:
            ids += [f"b{l}_{j}" for j in range(1, n_out + 1)]
    return tuple(ids)
