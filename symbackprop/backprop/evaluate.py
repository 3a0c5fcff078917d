"""Numbers: the forward pass, the error, every gradient and one update step.

Values are read as exact decimals (0.11 is 11/100, never a binary float) and the
maths is done in SymPy at 40 significant digits, so printed figures are the
exact values rounded, not float artefacts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from symbackprop.backprop.forms import gradients
from symbackprop.errors import SymbackpropError
from symbackprop.files import big, parse_toml, read_text
from symbackprop.model.losses import loss_for
from symbackprop.model.network import Network

DIGITS = 40
MAX_INT = 10**300  # as large as a float may be


def exact_number(value: Any, where: str) -> sp.Rational:
    """An int or float from TOML as the exact decimal it was written as."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SymbackpropError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise SymbackpropError(f"{where}: {value!r} is not a finite number")
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise SymbackpropError(f"{where}: {big(value)} is too large (at most 1e300)")
    fr = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    return sp.Rational(fr.numerator, fr.denominator)


@dataclass(frozen=True)
class Values:
    """Training cases, learning rate and parameter values, all exact."""

    x: tuple[tuple[sp.Rational, ...], ...]
    y: tuple[tuple[sp.Rational, ...], ...]
    lr: sp.Rational | None
    params: Mapping[str, sp.Rational]
    gain: sp.Rational | None = None


def _cases(data: Any, width: int, key: str) -> tuple[tuple[sp.Rational, ...], ...]:
    if not isinstance(data, list) or not data:
        raise SymbackpropError(
            f"values: '{key}' must be a list of {width} numbers, or a list of such lists"
        )
    rows = data if isinstance(data[0], list) else [data]
    out = []
    for r, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != width:
            raise SymbackpropError(
                f"values: '{key}' case {r} must have {width} numbers, got {row!r}"
            )
        out.append(tuple(exact_number(v, f"values: {key} case {r}") for v in row))
    return tuple(out)


def values_from_toml(text: str, net: Network, param_id: Any, where: str = "values") -> Values:
    """Parse a values file; ``param_id`` maps a notation name or id to a canonical id."""
    data = parse_toml(text, where)
    allowed = {"x", "y", "lr", "gain", "params"}
    unknown = set(data) - allowed
    if unknown:
        raise SymbackpropError(
            f"{where}: unknown key(s) {[k[:40] for k in sorted(unknown)][:5]}; valid keys are"
            f" {sorted(allowed)}"
        )
    for key in ("x", "y", "params"):
        if key not in data:
            raise SymbackpropError(f"{where}: missing '{key}'")
    x = _cases(data["x"], net.spec.sizes[0], "x")
    y = _cases(data["y"], net.spec.sizes[-1], "y")
    if len(x) != len(y):
        raise SymbackpropError(f"{where}: {len(x)} input cases but {len(y)} target cases")
    if len(x) > 1 and net.case is None:
        raise SymbackpropError(
            f"{where}: {len(x)} cases given, but this spec's error is for one case; use a spec "
            "with reduce = 'mean' or 'sum' (--mean, --sum)"
        )
    _check_targets(net, y, where)
    if not isinstance(data["params"], dict):
        raise SymbackpropError(f"{where}: [params] must be a table keyed by parameter id or name")
    params = {
        param_id(str(k)): exact_number(v, f"{where}: params.{k}") for k, v in data["params"].items()
    }
    missing = [p.id for p in net.params if p.id not in params]
    if missing:
        raise SymbackpropError(f"{where}: no value for {', '.join(missing)}")
    lr = exact_number(data["lr"], f"{where}: lr") if "lr" in data else None
    gain = exact_number(data["gain"], f"{where}: gain") if "gain" in data else None
    if net.gain is not None and gain is None:
        raise SymbackpropError(
            f"{where}: this network has a symbolic gain; give its value as gain = ..."
        )
    return Values(x, y, lr, params, gain)


def _check_targets(net: Network, y: tuple[tuple[sp.Rational, ...], ...], where: str) -> None:
    """Cross-entropy targets are probabilities; categorical ones sum to 1."""
    if net.spec.loss != "cross_entropy":
        return
    for r, row in enumerate(y, start=1):
        if any(not 0 <= v <= 1 for v in row):
            raise SymbackpropError(
                f"{where}: cross_entropy targets must lie in [0, 1]; case {r} has "
                f"{list(map(float, row))}"
            )
        if net.loss.target_sum is not None and sum(row) != net.loss.target_sum:
            raise SymbackpropError(
                f"{where}: softmax cross_entropy targets must sum to 1 (one-hot); case {r} sums "
                f"to {float(sum(row))}"
            )


def load_values(path: str, net: Network, param_id: Any) -> Values:
    text = read_text(path, "values file")
    return values_from_toml(text, net, param_id, where=path)


@dataclass(frozen=True)
class Report:
    """Numbers for every quantity, keyed by canonical name."""

    forward: tuple[Mapping[str, sp.Float], ...]  # one mapping per case: z, a, o
    error: sp.Float
    gradients: Mapping[str, sp.Float]
    updates: Mapping[str, sp.Float]


def case_substitution(
    net: Network, x: Sequence[sp.Expr], y: Sequence[sp.Expr]
) -> dict[sp.Expr, sp.Expr]:
    """Values of one case's data objects, keyed as they appear in the network's expressions."""
    subs: dict[sp.Expr, sp.Expr] = dict(zip(net.inputs, x))
    subs.update(zip(net.targets, y))
    return subs


def evaluate(net: Network, values: Values, error_terms: bool = False) -> Report:
    base: dict[sp.Expr, sp.Expr] = {p.symbol: values.params[p.id] for p in net.params}
    if net.gain is not None:
        assert values.gain is not None
        base[net.gain] = values.gain
    grads = gradients(net, error_terms=error_terms)
    forward, errors = [], []
    sums = {g.param.id: sp.Integer(0) for g in grads}
    for x, y in zip(values.x, values.y):
        subs = dict(base) | case_substitution(net, x, y)
        known: dict[str, sp.Float] = {}
        for l in range(1, net.depth + 1):
            for z in net.z[l]:  # every net input first: a softmax needs the whole layer
                subs[z] = known[_name(z)] = net.definitions[z].xreplace(subs).evalf(DIGITS)
            for a in net.a[l]:
                subs[a] = known[_name(a)] = net.definitions[a].xreplace(subs).evalf(DIGITS)
        for o, e in zip(net.outputs, net.errors):
            subs[o] = subs[net.definitions[o]]
            subs[e] = net.definitions[e].xreplace(subs).evalf(DIGITS)
            known[_name(o)] = subs[o]
        forward.append(known)
        errors.append(_case_error(net, subs))
        for g in grads:
            sums[g.param.id] += g.per_case.value.xreplace(subs).evalf(DIGITS)
    n = len(values.x)
    scale = sp.Rational(1, n) if net.spec.mean else sp.Integer(1)
    penalty = {net.penalty: sp.Rational(net.spec.l2)} if net.penalty is not None else {}
    if net.n_cases is not None:
        penalty[net.n_cases] = sp.Integer(n)
    grad_values = {
        g.param.id: (
            sums[g.param.id] * scale + net.penalty_slope(g.param).xreplace(base | penalty)
        ).evalf(DIGITS)
        for g in grads
    }
    updates = {}
    if values.lr is not None:
        updates = {
            pid: (values.params[pid] - values.lr * g).evalf(DIGITS)
            for pid, g in grad_values.items()
        }
    error = sp.Add(*errors) * scale + net.penalty_error().xreplace(base | penalty)
    return Report(tuple(forward), error.evalf(DIGITS), grad_values, updates)


def _case_error(net: Network, subs: Mapping[sp.Expr, sp.Expr]) -> sp.Expr:
    """E of one case. Cross-entropy from the output net inputs z: an output rounded to 1 at DIGITS
    digits (a sigmoid of z = 100) would make (1 - y) log(1 - a) = 0 log 0 = nan, where the loss is
    y softplus(-z) + (1 - y) softplus(z), or, over a softmax, sum_j y_j (zmax - z_j + log1p(s)),
    s = sum over the other units of exp(z_k - zmax); log1p keeps a tiny loss to full precision."""
    spec = net.spec
    loss = loss_for(spec.loss, spec.activations[-1])
    if loss.name not in ("binary_cross_entropy", "cross_entropy"):
        return net.case_error.xreplace(subs).evalf(DIGITS)
    with mpmath.workdps(DIGITS + 10):
        zs = [mpmath.mpf(str(subs[z])) for z in net.z[net.depth]]
        ys = [mpmath.mpf(str(sp.Float(subs[y], DIGITS + 10))) for y in net.targets]
        if loss.name == "binary_cross_entropy":
            if spec.gains[-1] and net.gain is not None:
                zs = [mpmath.mpf(str(sp.Float(subs[net.gain], DIGITS + 10))) * z for z in zs]
            total = mpmath.fsum(
                (y * _softplus(-z) if y else 0) + ((1 - y) * _softplus(z) if y != 1 else 0)
                for z, y in zip(zs, ys)
            )
        else:
            top = max(range(len(zs)), key=lambda k: zs[k])
            rest = mpmath.fsum(mpmath.exp(z - zs[top]) for k, z in enumerate(zs) if k != top)
            lse = mpmath.log1p(rest)
            total = mpmath.fsum(y * (zs[top] - z + lse) for z, y in zip(zs, ys) if y)
        return sp.Float(total, DIGITS)


def _softplus(z: Any) -> Any:
    """log(1 + exp(z)) in mpmath, to full relative precision for every z."""
    return max(z, 0) + mpmath.log1p(mpmath.exp(-abs(z)))


def _name(e: sp.Expr) -> str:
    return str(e.base.label) if isinstance(e, sp.Indexed) else str(e)
