"""Loop code for wide networks: forward and backward passes that loop over units.

The unrolled module (``codegen.plan``) prints one line per unit and parameter, so
its size, derivation and Numba compile time grow with the widths. This module
prints a fixed body per layer instead: the weights of layer l are a 2-D view
``theta[start:stop].reshape((n_l, n_{l-1}))`` of the same flat theta (same order
as the unrolled modules), and the textbook delta recursion runs in loops.

Python does the maths: every activation's value and slope (the slope in terms of
the activation value, so a sigmoid costs one exp per unit), every loss term and
the output delta dE/dz are derived here from the SymPy tables in
``activations`` and ``losses`` and printed by ``NumbaPrinter`` into small jitted
helpers. The template ``loops.py.j2`` only arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

import sympy as sp

from ._version import __version__
from .activations import ACTIVATIONS, Activation
from .codegen import InitRange, _one_line, check_gain_value, code_spec, init_ranges, regenerate_command
from .losses import Loss, loss_for
from .notation import Notation, load_notation
from .numba_printer import NumbaPrinter, helpers_needed
from .spec import NetworkSpec

LOOP_TEMPLATE = "loops.py.j2"
Z, A, Y, G = sp.symbols("z a y g", real=True)
GAIN = sp.Symbol("alpha", positive=True)
SOFTMAX_PROBE = 3  # units of the instance on which a layer-wise output delta is derived


@dataclass(frozen=True)
class Helper:
    """A small jitted function of the module: its name, arguments, docstring and body lines."""

    name: str
    args: str
    doc: str
    body: tuple[str, ...]


@dataclass(frozen=True)
class LayerCode:
    """One non-input layer: the printed views and calls of its forward and backward steps."""

    index: int
    forward: tuple[str, ...]  # z = W a_prev + b, then a = act(z)
    grads: tuple[str, ...]  # dE/dW += d a_prev^T, dE/db += d (grad accumulates)
    back: tuple[str, ...]  # d_prev = slope * (W^T d); empty for the first layer


@dataclass(frozen=True)
class LoopPlan:
    """Everything ``loops.py.j2`` needs, already printed."""

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
    functions: tuple[Helper, ...]
    layers: tuple[LayerCode, ...]
    out_delta: tuple[str, ...]  # the calls that put dE/dz of the output layer into its d row
    outputs: str  # the view of the output activations
    depth: int
    width: int  # the widest non-input layer: the columns of the work arrays
    init: tuple[InitRange, ...]
    mean_note: bool


def _printer() -> NumbaPrinter:
    return NumbaPrinter(GAIN)


def _helper_name(act: str, gain: bool) -> str:
    return f"{act}_gain" if gain else act


def _per_unit(name: str, args: str, doc: str, loads: tuple[str, ...], line: str) -> Helper:
    return Helper(name, args, doc, ("for j in range(zv.shape[0]):", *(f"    {x}" for x in loads), f"    {line}"))


def unit_helpers(act: Activation, gain: bool) -> tuple[Helper, Helper]:
    """_fwd_<act> (a = act(z)) and _bwd_<act> (d *= da/dz, the slope in terms of a), printed from SymPy."""
    g = GAIN if gain else None
    p = _printer()
    name = _helper_name(act.name, gain)
    if act.layerwise:
        return LAYERWISE[act.name](name)
    value, slope = p.doprint(act.apply(Z, g)), p.doprint(act.slope(A, Z, g))
    return (
        _per_unit(f"_fwd_{name}", "zv, av", f"a = {act.name}(z), unit by unit.", ("z = zv[j]",), f"av[j] = {value}"),
        _per_unit(
            f"_bwd_{name}", "zv, av, dv", "dE/da in dv becomes dE/dz: times the slope, from the value a.",
            ("z = zv[j]", "a = av[j]"), f"dv[j] *= {slope}",
        ),
    )


def _softmax_helpers(name: str) -> tuple[Helper, Helper]:
    """The stable softmax (shift by the largest z: one exp per unit) and its Jacobian-vector product.

    da_i/dz_j = a_i (delta_ij - a_j) (``ACTIVATIONS['softmax'].jacobian``), so
    dE/dz_j = a_j (dE/da_j - sum_i dE/da_i a_i); the tests check it against sympy.diff.
    """
    fwd = (
        "zmax = zv[0]",
        "for j in range(1, zv.shape[0]):",
        "    zmax = max(zmax, zv[j])",
        "total = 0.0",
        "for j in range(zv.shape[0]):",
        "    av[j] = math.exp(zv[j] - zmax)",
        "    total += av[j]",
        "for j in range(zv.shape[0]):",
        "    av[j] /= total",
    )
    bwd = (
        "s = 0.0",
        "for j in range(zv.shape[0]):",
        "    s += dv[j] * av[j]",
        "for j in range(zv.shape[0]):",
        "    dv[j] = av[j] * (dv[j] - s)",
    )
    return (
        Helper(f"_fwd_{name}", "zv, av", "a = softmax(z) over the layer, stably.", fwd),
        Helper(f"_bwd_{name}", "zv, av, dv", "dE/da in dv becomes dE/dz: the softmax Jacobian times dv.", bwd),
    )


LAYERWISE = {"softmax": _softmax_helpers}
# The scalar functions printed code calls (NumbaPrinter prints Sigmoid as _sigmoid, Softplus as _softplus).
SCALARS = {
    "sigmoid": Helper(
        "_sigmoid", "z",
        "1/(1 + exp(-z)), never overflowing: exp(708) is finite, and below z = -708 the result is < 4e-308.",
        ("return 1.0 / (1.0 + math.exp(-max(z, -708.0)))",),
    ),
    "softplus": Helper(
        "_softplus", "z", "log(1 + exp(z)) without overflow.", ("return max(z, 0.0) + math.log1p(math.exp(-abs(z)))",)
    ),
}


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
        return sp.factor(sp.cancel(loss.slope(A, Y) * act.slope(A, Z, g)))
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


def loss_helpers(
    loss: Loss, act: Activation, gain: bool, rows: tuple[str, str, str]
) -> tuple[tuple[Helper, ...], tuple[str, ...], list[sp.Expr]]:
    """_loss (E as a sum over output units), _out_delta (dE/dz, or dE/da then the layer's backward).

    ``rows`` are the output layer's z, a and d views: the calls are printed on them.
    """
    z, a, d = rows
    p = _printer()
    term = loss_term(loss)
    total = Helper("_loss", "av, yv", "E of one case: the sum of the per-unit loss terms.", (
        "E = 0.0", "for j in range(av.shape[0]):", "    a = av[j]", "    y = yv[j]", f"    E += {p.doprint(term)}", "return E",
    ))
    delta = output_delta(loss, act, gain)
    if delta is not None:
        calls: tuple[str, ...] = (f"_out_delta({z}, {a}, y, {d})",)
        line, used = f"dv[j] = {p.doprint(delta)}", [term, delta]
        doc = "dE/dz of the output units, in the compact form derived by SymPy."
    else:
        slope = loss.slope(A, Y)
        line, used = f"dv[j] = {p.doprint(slope)}", [term, slope]
        calls = (f"_out_delta({z}, {a}, y, {d})", f"_bwd_{_helper_name(act.name, gain)}({z}, {a}, {d})")
        doc = "dE/da of the output units (the layer's backward makes it dE/dz)."
    body = ("for j in range(zv.shape[0]):", "    z = zv[j]", "    a = av[j]", "    y = yv[j]", f"    {line}")
    return (total, Helper("_out_delta", "zv, av, yv, dv", doc, body)), calls, used


def _row(name: str, l: int, n: int) -> str:
    return f"{name}[{l - 1}, :{n}]"


def _layers(spec: NetworkSpec) -> tuple[LayerCode, ...]:
    out = []
    index = 0
    for l in range(1, len(spec.sizes)):
        n_in, n_out = spec.sizes[l - 1], spec.sizes[l]
        name = _helper_name(spec.activations[l - 1], spec.gains[l - 1])
        w_stop = index + n_in * n_out
        b_stop = w_stop + (n_out if spec.biases[l - 1] else 0)
        w = f"theta[{index}:{w_stop}].reshape(({n_out}, {n_in}))"
        inp = "x" if l == 1 else _row("a", l - 1, n_in)
        z, a, d = _row("z", l, n_out), _row("a", l, n_out), _row("d", l, n_out)
        forward = [f"_affine({w}, {inp}, {z})"]
        grads = [f"_outer({d}, {inp}, grad[{index}:{w_stop}].reshape(({n_out}, {n_in})))"]
        if spec.biases[l - 1]:
            forward.append(f"_add({z}, theta[{w_stop}:{b_stop}])")
            grads.append(f"_add(grad[{w_stop}:{b_stop}], {d})")
        forward.append(f"_fwd_{name}({z}, {a})")
        back: tuple[str, ...] = ()
        if l > 1:
            prev = _helper_name(spec.activations[l - 2], spec.gains[l - 2])
            dp = _row("d", l - 1, n_in)
            back = (f"_back({w}, {d}, {dp})", f"_bwd_{prev}({_row('z', l - 1, n_in)}, {_row('a', l - 1, n_in)}, {dp})")
        out.append(LayerCode(l, tuple(forward), tuple(grads), back))
        index = b_stop
    return tuple(out)


def loop_plan(spec: NetworkSpec, gain_value: float = 1.0) -> LoopPlan:
    """Print everything a loop module of ``spec`` needs; only the ids and names grow with the widths."""
    check_gain_value(gain_value)
    cspec = code_spec(spec)
    notation = load_notation(spec.notation, spec.base_dir)
    kinds = sorted({(a, bool(g)) for a, g in zip(cspec.activations, cspec.gains)})
    functions = [h for a, g in kinds for h in unit_helpers(ACTIVATIONS[a], g)]
    out_act = ACTIVATIONS[cspec.activations[-1]]
    L = len(cspec.sizes) - 1
    n_out = cspec.sizes[-1]
    rows = (_row("z", L, n_out), _row("a", L, n_out), _row("d", L, n_out))
    losses, out_delta, used = loss_helpers(loss_for(cspec.loss, out_act.name), out_act, cspec.gains[-1], rows)
    per_unit = [ACTIVATIONS[a] for a, _ in kinds if not ACTIVATIONS[a].layerwise]
    used += [e for act in per_unit for e in (act.apply(Z, None), act.slope(A, Z, None))]
    return LoopPlan(
        label=_one_line(spec.label),
        description=_one_line(spec.description),
        regenerate=regenerate_command(spec, gain_value),
        version=__version__,
        sympy_version=sp.__version__,
        spec_toml=spec.to_toml(),
        param_ids=param_ids(cspec),
        param_names=param_names(cspec, notation),
        n_inputs=spec.sizes[0],
        n_outputs=n_out,
        gain=repr(float(gain_value)) if any(cspec.gains) else None,
        functions=(*(SCALARS[h] for h in helpers_needed(used)), *functions, *losses),
        layers=_layers(cspec),
        out_delta=out_delta,
        outputs=rows[1],
        depth=L,
        width=max(cspec.sizes[1:]),
        init=init_ranges(cspec),
        mean_note=spec.mean,
    )


def param_ids(spec: NetworkSpec) -> tuple[str, ...]:
    """theta's ids in order, without building the symbolic network: w{l}_{j}_{k} row-major, then b{l}_{j}."""
    ids: list[str] = []
    for l in range(1, len(spec.sizes)):
        n_in, n_out = spec.sizes[l - 1], spec.sizes[l]
        ids += [f"w{l}_{j}_{k}" for j in range(1, n_out + 1) for k in range(1, n_in + 1)]
        if spec.biases[l - 1]:
            ids += [f"b{l}_{j}" for j in range(1, n_out + 1)]
    return tuple(ids)


def param_names(spec: NetworkSpec, notation: Notation) -> tuple[str, ...]:
    """The notation's LaTeX name of every parameter, in theta order (as ``Notation.symbol_names``)."""
    names: list[str] = []
    for l in range(1, len(spec.sizes)):
        n_in, n_out = spec.sizes[l - 1], spec.sizes[l]
        weight = Template(notation.layer_template(l, "weight"))
        names += [weight.substitute(l=str(l), j=str(j), k=str(k)) for j in range(1, n_out + 1) for k in range(1, n_in + 1)]
        if spec.biases[l - 1]:
            bias = Template(notation.layer_template(l, "bias"))
            names += [bias.substitute(l=str(l), j=str(j), k="") for j in range(1, n_out + 1)]
    return tuple(notation.names.get(pid, name) for pid, name in zip(param_ids(spec), names))
