"""Random points that put each rectified unit on both sides of its kink.

A ReLU unit's slope is 0 for z < 0 and 1 for z > 0: a claim that is wrong only on one side
(``\\mathbb{1}(a \\geq 0)`` for the slope, which is 1 everywhere) agrees at every point where
the unit's net input has the other sign. At the random points of a network with ReLU layers,
unit j of layer l has a positive net input (of the first case) where ``seed + l + j`` is even
and a negative one where it is odd, layer by layer from the input: where the sampled
parameters give the other sign, the unit's weights and bias are negated (the net input is
negated, its size kept). Deterministic: the same seed gives the same point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

Evaluate = Callable[[sp.Expr, dict[Any, sp.Expr]], sp.Expr]


def both_signs(
    scope: Any, point: dict[Any, sp.Expr], seed: int, evaluate: Evaluate
) -> dict[Any, sp.Expr]:
    """The point with the signs of the rectified units' net inputs set as above."""
    net, spec = scope.net, scope.spec
    if "relu" not in spec.activations:
        return point
    params = {p.symbol for p in net.params}
    out = dict(point)
    for l, name in enumerate(spec.activations, start=1):
        if name != "relu":
            continue
        for j, z in enumerate(net.z[l], start=1):
            first = z if net.case is None else z.xreplace({net.case: sp.Integer(1)})
            value = evaluate(first, out)
            if not value.is_number or value == 0:
                continue
            if (value > 0) != ((seed + l + j) % 2 == 0):
                own = scope.definitions.get(z, sp.Integer(0)).free_symbols & params
                out.update({p: -out[p] for p in own if p in out})
    return out
