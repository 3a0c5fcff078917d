"""Loss functions, each next to its local derivative rule dE/do_j."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy as sp

Expr = sp.Expr


def _diff(a: Expr, b: Expr) -> Expr:
    """a - b, kept in that order for display."""
    return sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False)


def _scaled(c: int, e: Expr) -> Expr:
    if c == 1:
        return e
    return sp.Mul(sp.Integer(c), e, evaluate=False)


@dataclass(frozen=True)
class Loss:
    """A per-case loss and its slope with respect to one output.

    ``scale`` is the constant c in dE/do_j = c (o_j - y_j): 1 for half_sse, 2 for sse.
    """

    name: str
    case_error: Callable[[Sequence[Expr], Sequence[Expr]], Expr]
    scale: int
    default_residual: str  # "target-output" or "output-target": how sources write it
    summary: str

    def slope(self, o: Expr, y: Expr) -> Expr:
        return self.scale * o - self.scale * y

    def slope_display(self, o: Expr, y: Expr, residual: str) -> Expr:
        """dE/do as the sources write it: -(y - o) or (o - y), times the constant."""
        if residual == "output-target":
            return _scaled(self.scale, _diff(o, y))
        return _scaled(-self.scale, _diff(y, o))

    def slope_by_error_term(self, e: Expr) -> Expr:
        """dE/de for the named error term e = y - o (or o - y): the chapter's SSE -> E_o step."""
        return _scaled(self.scale, e)


LOSSES: dict[str, Loss] = {
    "half_sse": Loss(
        "half_sse",
        lambda o, y: sp.Rational(1, 2) * sp.Add(*[(yj - oj) ** 2 for oj, yj in zip(o, y)]),
        1,
        "target-output",
        "E = 1/2 sum_j (y_j - o_j)^2",
    ),
    "sse": Loss(
        "sse",
        lambda o, y: sp.Add(*[(oj - yj) ** 2 for oj, yj in zip(o, y)]),
        2,
        "output-target",
        "E = sum_j (o_j - d_j)^2",
    ),
}
