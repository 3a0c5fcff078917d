"""From a spec to the source text of a Numba gradient module.

Python does the maths and the printing: the forward pass as one line per net input
and activation, then ``sympy.cse`` over the per-case error and the compact per-case
gradients (the delta recursion in named intermediates, so a sigmoid's slope is
``a*(1 - a)`` of the value already computed, never a second exponential). The
Jinja templates in ``templates/`` only arrange the flat (lhs, rhs) lines.

With a spec whose error is a mean over cases (the essay's), the module works with
the per-case error E_i; ``train`` averages over each batch (or sums, with reduce = "sum"),
so full-batch training descends the mean E = (1/n) sum E_i (or the sum) exactly. An L2
penalty is added by ``train``: each step also takes lr*L2*p off every penalised parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbackprop.backprop.forms import gradients
from symbackprop.codegen.common import (
    Block,
    InitRange,
    Line,
    Penalty,
    check_gain_value,
    code_spec,
    header_fields,
    init_ranges,
    penalty_plan,
    stable_error,
)
from symbackprop.codegen.numba_printer import NumbaPrinter, helpers_needed
from symbackprop.codegen.sgd import SgdPlan, sgd_plan
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.losses import loss_for
from symbackprop.model.network import Network, build
from symbackprop.model.notation import load_notation
from symbackprop.model.spec import NetworkSpec

MODULE_TEMPLATE = "module.py.j2"


@dataclass(frozen=True)
class ModulePlan:
    """Everything the module template needs, already printed."""

    label: str
    description: str
    regenerate: str
    version: str
    sympy_version: str
    spec_toml: str
    param_ids: tuple[str, ...]
    param_names: tuple[str, ...]
    n_inputs: int
    n_outputs: int
    gain: str | None
    helpers: tuple[str, ...]
    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    forward: tuple[Line, ...]
    outputs: tuple[str, ...]
    loss: Block  # values: (E,)
    grad: Block  # the lines shared by E and every dE/dp
    error: str  # E, in the names of grad.lines
    grads: tuple[Line, ...]  # (parameter id, dE/dp), in theta order
    init: tuple[InitRange, ...]
    mean_note: bool
    summed: bool  # train steps on the sum of a batch's gradients (the mean otherwise)
    penalty: Penalty | None
    decay: tuple[Line, ...]  # per-sample SGD: d_p += L2*p for every penalised parameter
    sgd: SgdPlan | None  # per-sample SGD: the layer-1 net inputs carried from case to case


def gradient_exprs(net: Network) -> list[sp.Expr]:
    """dE_i/dp for every parameter in theta order: the compact per-case form, deltas computed
    once."""
    return [g.per_case.value for g in gradients(net)]


Cse = tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]


def _cse(exprs: list[sp.Expr]) -> Cse:
    pairs, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("t", real=True), order="canonical")
    return pairs, reduced


def _cse_block(exprs: list[sp.Expr], printer: NumbaPrinter, cse: Cse | None = None) -> Block:
    pairs, reduced = _cse(exprs) if cse is None else cse
    lines = tuple(Line(printer.doprint(lhs), printer.doprint(rhs)) for lhs, rhs in pairs)
    return Block(lines, tuple(printer.doprint(e) for e in reduced))


def _forward_lines(net: Network, printer: NumbaPrinter) -> tuple[Line, ...]:
    lines = []
    spec = net.spec
    for l in range(1, net.depth + 1):
        act = ACTIVATIONS[spec.activations[l - 1]]
        gain = net.gain if spec.gains[l - 1] else None
        for j in range(1, spec.sizes[l] + 1):
            terms = [
                f"w{l}_{j}_{k}*{printer.doprint(net.a[l - 1][k - 1])}"
                for k in range(1, spec.sizes[l - 1] + 1)
            ]
            if spec.biases[l - 1]:
                terms.append(f"b{l}_{j}")
            z = net.z[l][j - 1]
            lines.append(Line(printer.doprint(z), " + ".join(terms)))
            if not act.layerwise:
                lines.append(
                    Line(printer.doprint(net.a[l][j - 1]), printer.doprint(act.apply(z, gain)))
                )
        if act.layerwise:
            lines.extend(_softmax_lines(net, l, printer))
    return tuple(lines)


def _softmax_lines(net: Network, l: int, printer: NumbaPrinter) -> list[Line]:
    """A stable softmax over layer l: shift by the largest net input, so no exp overflows."""
    zs = [printer.doprint(z) for z in net.z[l]]
    shifted = [f"ez{l}_{j}" for j in range(1, len(zs) + 1)]
    lines = [Line(f"zmax{l}", f"max({', '.join(zs)})")]
    lines += [Line(e, f"_exp({z} - zmax{l})") for e, z in zip(shifted, zs)]
    lines.append(Line(f"zsum{l}", " + ".join(shifted)))
    lines += [Line(printer.doprint(a), f"{e}/zsum{l}") for a, e in zip(net.a[l], shifted)]
    return lines


def _error(net: Network) -> sp.Expr:
    """E of one case as printed: the maths, or its cross-entropy from the output net inputs
    (``stable_error``: finite wherever the true loss is, 0 log 0 = 0)."""
    spec, l = net.spec, net.depth
    act = ACTIVATIONS[spec.activations[-1]]
    gain = net.gain if spec.gains[-1] else None
    stable = stable_error(
        loss_for(spec.loss, act.name),
        net.z[l],
        net.targets,
        gain,
        sp.Symbol(f"zmax{l}", real=True),  # the names of _softmax_lines
        sp.Symbol(f"zsum{l}", positive=True),
    )
    return net.case_error if stable is None else stable


def plan(spec: NetworkSpec, gain_value: float = 1.0) -> ModulePlan:
    """Derive and print everything a module of this spec needs."""
    check_gain_value(gain_value)
    net = build(code_spec(spec))
    printer = NumbaPrinter(net.gain)
    outputs = {o: net.a[net.depth][j] for j, o in enumerate(net.outputs)}
    error = _error(net).xreplace(outputs)
    grads = [g.xreplace(outputs) for g in gradient_exprs(net)]
    notation = load_notation(spec.notation, spec.base_dir)
    names = notation.symbol_names(net)
    cse = _cse([error, *grads])
    joint = _cse_block([error, *grads], printer, cse)
    forward = _forward_lines(net, printer)
    used = [net.definitions[a] for layer in net.a[1:] for a in layer] + grads + [error]
    sgd = None if spec.l2_value else sgd_plan(net, forward, cse, printer)
    return ModulePlan(
        **header_fields(spec, gain_value),
        param_ids=tuple(p.id for p in net.params),
        param_names=tuple(names[p.id] for p in net.params),
        n_inputs=spec.sizes[0],
        n_outputs=spec.sizes[-1],
        gain=repr(float(gain_value)) if net.gain is not None else None,
        helpers=helpers_needed(used, () if sgd is None else ("fma",)),
        inputs=tuple(printer.doprint(x) for x in net.inputs),
        targets=tuple(printer.doprint(y) for y in net.targets),
        forward=forward,
        outputs=tuple(printer.doprint(a) for a in net.a[net.depth]),
        loss=_cse_block([error], printer),
        grad=joint,
        error=joint.values[0],
        grads=tuple(Line(p.id, v) for p, v in zip(net.params, joint.values[1:])),
        init=init_ranges(net.spec),
        mean_note=spec.mean,
        summed=spec.summed,
        penalty=penalty_plan(spec),
        decay=tuple(Line(p.id, f"L2*{p.id}") for p in net.params if spec.penalised(p.kind)),
        sgd=sgd,
    )
