"""Loss functions, each next to its local derivative rule dE/do_j."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from symbackprop.model.activations import ACTIVATIONS


def _diff(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a - b, kept in that order for display."""
    return sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False)


def _scaled(c: int, e: sp.Expr) -> sp.Expr:
    if c == 1:
        return e
    return sp.Mul(sp.Integer(c), e, evaluate=False)


def _frac(num: sp.Expr, den: sp.Expr) -> sp.Expr:
    return sp.Mul(num, sp.Pow(den, -1, evaluate=False), evaluate=False)


def _sse_slope(c: int) -> Callable[[sp.Expr, sp.Expr], sp.Expr]:
    return lambda o, y: c * o - c * y


def _sse_display(c: int) -> Callable[[sp.Expr, sp.Expr, str], sp.Expr]:
    def shown(o: sp.Expr, y: sp.Expr, residual: str) -> sp.Expr:
        if residual == "output-target":
            return _scaled(c, _diff(o, y))
        return _scaled(-c, _diff(y, o))

    return shown


def _categorical(o: Sequence[sp.Expr], y: Sequence[sp.Expr]) -> sp.Expr:
    return -sp.Add(*[yj * sp.log(oj) for oj, yj in zip(o, y)])


def _binary(o: Sequence[sp.Expr], y: Sequence[sp.Expr]) -> sp.Expr:
    return -sp.Add(*[yj * sp.log(oj) + (1 - yj) * sp.log(1 - oj) for oj, yj in zip(o, y)])


def _binary_display(o: sp.Expr, y: sp.Expr, residual: str) -> sp.Expr:
    return sp.Add(
        sp.Mul(-1, _frac(y, o), evaluate=False),
        _frac(_diff(sp.Integer(1), y), _diff(sp.Integer(1), o)),
        evaluate=False,
    )


@dataclass(frozen=True)
class Loss:
    """A per-case loss E(o, y) and its slope dE/do_j (evaluated, and for display).

    ``scale`` is c in dE/do_j = c (o_j - y_j) for the squared errors (None otherwise);
    ``target_sum`` is a constraint the targets obey (one-hot targets sum to 1), used
    to simplify the output delta.
    """

    name: str
    case_error: Callable[[Sequence[sp.Expr], Sequence[sp.Expr]], sp.Expr]
    slope: Callable[[sp.Expr, sp.Expr], sp.Expr]
    slope_display: Callable[[sp.Expr, sp.Expr, str], sp.Expr]
    default_residual: str  # "target-output" or "output-target": how sources write it
    summary: str
    scale: int | None = None
    target_sum: int | None = None

    def slope_by_error_term(self, e: sp.Expr) -> sp.Expr:
        """dE/de for a named error term e = y - o (or o - y): the chapter's SSE -> E_o step."""
        assert self.scale is not None, "named error terms are for squared errors"
        return _scaled(self.scale, e)


LOSSES: dict[str, Loss] = {
    "half_sse": Loss(
        "half_sse",
        lambda o, y: sp.Rational(1, 2) * sp.Add(*[(yj - oj) ** 2 for oj, yj in zip(o, y)]),
        _sse_slope(1),
        _sse_display(1),
        "target-output",
        "E = 1/2 sum_j (y_j - o_j)^2",
        scale=1,
    ),
    "sse": Loss(
        "sse",
        lambda o, y: sp.Add(*[(oj - yj) ** 2 for oj, yj in zip(o, y)]),
        _sse_slope(2),
        _sse_display(2),
        "output-target",
        "E = sum_j (o_j - d_j)^2",
        scale=2,
    ),
    "cross_entropy": Loss(
        "cross_entropy",
        _categorical,
        lambda o, y: -y / o,
        lambda o, y, residual: sp.Mul(-1, _frac(y, o), evaluate=False),
        "output-target",
        "softmax output: E = -sum_j y_j log o_j (one-hot targets); sigmoid output: the binary form",
        target_sum=1,
    ),
    # chosen by the network for cross_entropy over a sigmoid output layer
    "binary_cross_entropy": Loss(
        "binary_cross_entropy",
        _binary,
        lambda o, y: -y / o + (1 - y) / (1 - o),
        _binary_display,
        "output-target",
        "with a sigmoid output: E = -sum_j [y_j log o_j + (1 - y_j) log(1 - o_j)]",
    ),
}
USER_LOSSES = ("half_sse", "sse", "cross_entropy")


def loss_for(name: str, output_activation: str) -> Loss:
    """The loss a spec names; cross_entropy over sigmoid outputs is the binary one."""
    if name == "cross_entropy":
        meant = ACTIVATIONS[output_activation].cross_entropy
        return LOSSES[meant or name]
    return LOSSES[name]
