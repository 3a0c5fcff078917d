"""Activation functions as SymPy functions that know their own derivative.

Each activation sits next to its local derivative rule (micrograd style): the
forward map ``apply(z, gain)`` and the slope da/dz written in terms of the
activation value ``a`` itself, so that the sigmoid's slope stays a(1 - a)
instead of being re-expanded into exponentials.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp


class Sigmoid(sp.Function):
    """Logistic sigmoid 1/(1 + exp(-g z)); the optional second argument is the gain g."""

    nargs = (1, 2)

    @classmethod
    def eval(cls, *args: sp.Expr) -> sp.Expr | None:
        z = args[0]
        gain = args[1] if len(args) == 2 else sp.Integer(1)
        if z.is_zero:
            return sp.Rational(1, 2)
        if gain.is_zero:
            return sp.Rational(1, 2)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = self
        if argindex == 1:
            gain = self.args[1] if len(self.args) == 2 else sp.Integer(1)
            return gain * s * (1 - s)
        if argindex == 2:
            return self.args[0] * s * (1 - s)
        raise sp.ArgumentIndexError(self, argindex)

    def _eval_rewrite_as_exp(self, *args: sp.Expr, **kwargs: object) -> sp.Expr:
        gain = args[1] if len(args) == 2 else sp.Integer(1)
        return 1 / (1 + sp.exp(-gain * args[0]))

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


class ReLU(sp.Function):
    """max(0, z); its derivative is the Heaviside step (taken as 0 at z = 0)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return sp.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, z: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.Max(0, z)

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return sp.Max(0, self.args[0])._eval_evalf(prec)


class Softplus(sp.Function):
    """log(1 + exp(z)); its derivative is the sigmoid."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return Sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, z: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.log(1 + sp.exp(z))

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return sp.log(1 + sp.exp(self.args[0]))._eval_evalf(prec)


def _one_minus(a: sp.Expr) -> sp.Expr:
    """1 - a, kept in that order for display."""
    return sp.Add(sp.Integer(1), sp.Mul(-1, a, evaluate=False), evaluate=False)


def _sigmoid_apply(z: sp.Expr, gain: sp.Expr | None) -> sp.Expr:
    return Sigmoid(z) if gain is None else Sigmoid(z, gain)


def _sigmoid_slope(a: sp.Expr, z: sp.Expr, gain: sp.Expr | None) -> sp.Expr:
    return (gain if gain is not None else 1) * a * (1 - a)


def _sigmoid_display(a: sp.Expr, z: sp.Expr, gain: sp.Expr | None) -> sp.Expr:
    factors = ([gain] if gain is not None else []) + [a, _one_minus(a)]
    return sp.Mul(*factors, evaluate=False)


def _tanh_display(a: sp.Expr, z: sp.Expr, gain: sp.Expr | None) -> sp.Expr:
    return sp.Add(sp.Integer(1), sp.Mul(-1, sp.Pow(a, 2), evaluate=False), evaluate=False)


def _softmax_layer(zs: Sequence[sp.Expr]) -> list[sp.Expr]:
    total = sp.Add(*[sp.exp(z) for z in zs])
    return [sp.exp(z) / total for z in zs]


def _softmax_jacobian(a: Sequence[sp.Expr], i: int, j: int) -> tuple[sp.Expr, sp.Expr]:
    """da_i/dz_j = a_i (delta_ij - a_j), evaluated and for display (0-based i, j)."""
    if i == j:
        return a[i] * (1 - a[i]), sp.Mul(a[i], _one_minus(a[i]), evaluate=False)
    return -a[i] * a[j], sp.Mul(-1, a[i], a[j], evaluate=False)


@dataclass(frozen=True)
class Activation:
    """One activation: its forward map and its slope da/dz (evaluated and for display).

    A layer-wise activation (softmax) maps the whole layer's net inputs at once and
    has a full Jacobian da_i/dz_j instead of a slope.
    """

    name: str
    apply: Callable[[sp.Expr, sp.Expr | None], sp.Expr]
    slope: Callable[[sp.Expr, sp.Expr, sp.Expr | None], sp.Expr]
    slope_display: Callable[[sp.Expr, sp.Expr, sp.Expr | None], sp.Expr]
    takes_gain: bool = False
    summary: str = ""
    # The loss that ``cross_entropy`` means over an output layer of this activation (None: refused).
    cross_entropy: str | None = None
    # Loop code's lines from z to a and s = da/dz, when one shared computation serves both
    # (otherwise they are printed from ``apply`` and ``slope``).
    numba_lines: tuple[str, ...] = ()
    apply_layer: Callable[[Sequence[sp.Expr]], list[sp.Expr]] | None = None
    jacobian: Callable[[Sequence[sp.Expr], int, int], tuple[sp.Expr, sp.Expr]] | None = None

    @property
    def layerwise(self) -> bool:
        return self.apply_layer is not None


def _per_unit_only(*args: object) -> sp.Expr:
    raise TypeError("softmax is applied to a whole layer: use apply_layer and jacobian")


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid",
        _sigmoid_apply,
        _sigmoid_slope,
        _sigmoid_display,
        takes_gain=True,
        summary="1/(1+e^(-z)), or 1/(1+e^(-alpha z)) with a gain; slope a(1-a)",
        cross_entropy="binary_cross_entropy",
    ),
    "tanh": Activation(
        "tanh",
        lambda z, g: sp.tanh(z),
        lambda a, z, g: 1 - a**2,
        _tanh_display,
        summary="tanh(z); slope 1 - a^2",
    ),
    "linear": Activation(
        "linear",
        lambda z, g: z,
        lambda a, z, g: sp.Integer(1),
        lambda a, z, g: sp.Integer(1),
        summary="identity; slope 1",
    ),
    "relu": Activation(
        "relu",
        lambda z, g: ReLU(z),
        lambda a, z, g: sp.Heaviside(z, 0),
        lambda a, z, g: sp.Heaviside(z, 0),
        summary="max(0, z); slope H(z)",
    ),
    "softplus": Activation(
        "softplus",
        lambda z, g: Softplus(z),
        lambda a, z, g: Sigmoid(z),
        lambda a, z, g: Sigmoid(z),
        summary="log(1+e^z); slope sigmoid(z)",
        # softplus(z) = max(z, 0) + log(1 + e) and softplus'(z) = sigmoid(z) = (1 or e)/(1 + e)
        # for z > 0 or z <= 0, with e = exp(-|z|) <= 1: one exp, never overflowing (the tests
        # check these lines against SymPy).
        numba_lines=(
            "e = math.exp(-abs(z))",
            "a = max(z, 0.0) + math.log1p(e)",
            "s = (1.0 if z > 0.0 else e) / (1.0 + e)",
        ),
    ),
    "softmax": Activation(
        "softmax",
        _per_unit_only,
        _per_unit_only,
        _per_unit_only,
        summary="e^(z_j) / sum_m e^(z_m) over the layer; da_i/dz_j = a_i (delta_ij - a_j)",
        apply_layer=_softmax_layer,
        jacobian=_softmax_jacobian,
        cross_entropy="cross_entropy",
    ),
}


def to_elementary(expr: sp.Expr) -> sp.Expr:
    """Rewrite the custom activations in elementary functions (for independent checks)."""
    return expr.replace(
        lambda e: isinstance(e, (Sigmoid, Softplus, ReLU)),
        lambda e: (
            e._eval_rewrite_as_Max(*e.args)
            if isinstance(e, ReLU)
            else e._eval_rewrite_as_exp(*e.args)
        ),
    )
