"""``srepr`` for JSON output: SymPy's repr in canonical argument order, each function and sum
once."""

from __future__ import annotations

import sympy as sp
from sympy.printing.repr import ReprPrinter as SympyReprPrinter

from symbackprop.printing.latex import SumsOnce


class ReprPrinter(SumsOnce, SympyReprPrinter):
    """``sympy.srepr`` in the expressions' own (canonical) argument order, each function and sum
    printed once."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})
        self._seen: dict[sp.Expr, str] = {}

    def _print_Function(self, expr: sp.Function) -> str:
        text = self._seen.get(expr)
        if text is None:
            text = self._seen[expr] = super()._print_Function(expr)
        return text


def srepr(expr: sp.Expr, printer: ReprPrinter | None = None) -> str:
    return (printer or ReprPrinter()).doprint(expr)
