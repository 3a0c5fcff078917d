"""Plan pieces every generated module shares: lines, init ranges, names, the header fields."""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import sympy as sp

from symbackprop._version import __version__
from symbackprop.codegen.numba_printer import BinaryCrossEntropy, SoftmaxCrossEntropy
from symbackprop.errors import SymbackpropError
from symbackprop.model.losses import Loss
from symbackprop.model.spec import NetworkSpec, preset, preset_names

REPO_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


UPDATE_COMMAND = "python -m symbackprop generate --all-presets -o generated/"


@dataclass(frozen=True)
class Line:
    """One assignment ``lhs = rhs`` of generated code."""

    lhs: str
    rhs: str


@dataclass(frozen=True)
class Block:
    """Straight-line code: assignments, then the expressions that use them."""

    lines: tuple[Line, ...]
    values: tuple[str, ...]


@dataclass(frozen=True)
class InitRange:
    """theta[start:stop] are the weights of one layer, drawn uniformly in (-limit, limit)."""

    start: int
    stop: int
    limit: str


def module_name(spec: NetworkSpec) -> str:
    """A Python module name for the spec's label: deterministic, never code."""
    name = re.sub(r"[^0-9a-z_]", "_", spec.label.lower())
    name = re.sub(r"_+", "_", name).strip("_") or "net"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"net_{name}"
    return name


def code_spec(spec: NetworkSpec) -> NetworkSpec:
    """The spec whose maths the code computes: one case without the penalty (``train`` takes the
    batch mean or sum and adds the penalty's gradient, ``Penalty``)."""
    per_case = replace(spec, mean=False, summed=False, l2="0", l2_biases=False, l2_mean=False)
    return per_case if per_case != spec else spec


@dataclass(frozen=True)
class Penalty:
    """The L2 penalty of a generated module: its coefficient and the ranges of theta it covers
    (DECAY in the module: L2 on those entries, 0 elsewhere)."""

    l2: str
    ranges: tuple[tuple[int, int], ...]
    divided: bool  # l2_mean: each step divides the penalty by its batch's size (its n cases)


def penalty_plan(spec: NetworkSpec) -> Penalty | None:
    """The weights of every layer (and the biases with l2_biases), or None without a penalty."""
    if not spec.l2_value:
        return None
    ranges: list[tuple[int, int]] = []
    index = 0
    for l in range(1, len(spec.sizes)):
        n_weights = spec.sizes[l] * spec.sizes[l - 1]
        n_biases = spec.sizes[l] if spec.biases[l - 1] else 0
        stop = index + n_weights + (n_biases if spec.l2_biases else 0)
        if ranges and ranges[-1][1] == index:
            ranges[-1] = (ranges[-1][0], stop)
        else:
            ranges.append((index, stop))
        index += n_weights + n_biases
    return Penalty(repr(float(spec.l2_value)), tuple(ranges), spec.l2_mean)


def _is_preset(spec: NetworkSpec) -> bool:
    return spec.name in preset_names() and preset(spec.name) == spec


def regenerate_command(spec: NetworkSpec, gain_value: float) -> str:
    gain = (
        f" --gain-value {gain_value!r}"
        if spec.gains and any(spec.gains) and gain_value != 1.0
        else ""
    )
    if _is_preset(spec):
        return f"python -m symbackprop generate {spec.name}{gain} -o {module_name(spec)}.py"
    return (
        "save SPEC below as spec.toml, then: "
        f"python -m symbackprop generate spec.toml{gain} -o {module_name(spec)}.py"
    )


def _one_line(text: str) -> str:
    """User text for a comment: its repr, so no newline or quote can end the comment."""
    return repr(text)


def header_fields(spec: NetworkSpec, gain_value: float) -> dict[str, str]:
    """The header fields of every generated module, unrolled or loops: label, versions, the spec."""
    return {
        "label": _one_line(spec.label),
        "description": _one_line(spec.description),
        "regenerate": regenerate_command(spec, gain_value),
        "version": __version__,
        "sympy_version": sp.__version__,
        "spec_toml": spec.to_toml(),
    }


def init_ranges(spec: NetworkSpec) -> tuple[InitRange, ...]:
    """Glorot-uniform weights, zero biases: one range of theta per layer (from the sizes alone)."""
    out = []
    index = 0
    sizes = spec.sizes
    for l in range(1, len(sizes)):
        n_weights = sizes[l] * sizes[l - 1]
        limit = math.sqrt(6.0 / (sizes[l] + sizes[l - 1]))
        out.append(InitRange(index, index + n_weights, repr(limit)))
        index += n_weights + (sizes[l] if spec.biases[l - 1] else 0)
    return tuple(out)


def stable_error(
    loss: Loss,
    zs: Sequence[sp.Expr],
    ys: Sequence[sp.Expr],
    gain: sp.Expr | None,
    zmax: sp.Symbol,
    zsum: sp.Symbol,
) -> sp.Expr | None:
    """The cross-entropy of the outputs from their net inputs zs, finite wherever the true loss is.

    Computed from the activations, -y log a gives NaN once a confident prediction rounds a to 0
    (0 log 0) or to 1 (log(1 - a) = log 0). From z: the sigmoid's binary cross-entropy is
    y softplus(-z) + (1 - y) softplus(z) (``BinaryCrossEntropy``), and the softmax's
    -log a_j = (zmax - z_j) + log(zsum), with zmax and zsum = sum_k exp(z_k - zmax) of the
    stable softmax, each term y_j times that with 0 (anything) = 0 (``SoftmaxCrossEntropy``).
    None for the other losses, whose printed maths is already finite.
    """
    if loss.name == "binary_cross_entropy":
        return sp.Add(
            *[BinaryCrossEntropy(z if gain is None else gain * z, y) for z, y in zip(zs, ys)]
        )
    if loss.name == "cross_entropy":
        return sp.Add(*[SoftmaxCrossEntropy(y, z, zmax, zsum) for z, y in zip(zs, ys)])
    return None


def check_gain_value(gain_value: float) -> None:
    if not math.isfinite(gain_value):
        raise SymbackpropError(f"--gain-value must be a finite number, got {gain_value!r}")
