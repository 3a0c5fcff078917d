"""LaTeX and JSON of the index-form formulas (:mod:`symbackprop.backprop.indexform`)."""

from __future__ import annotations

from string import Template
from typing import Any

import sympy as sp

from symbackprop.backprop.indexform import CASE_ERROR, Block, IndexForm
from symbackprop.backprop.indexscheme import Formula, Partial, Scheme
from symbackprop.model.notation import Notation
from symbackprop.printing.latex import NotationPrinter, styled
from symbackprop.printing.srepr import srepr


class IndexPrinter(NotationPrinter):
    """LaTeX of index-form expressions: each base through its notation template."""

    def __init__(self, s: Scheme, notation: Notation, mean: bool) -> None:
        case = notation.get("case") or "i"
        names = dict(s.latex) | {
            "E": notation.get("error") or "E",
            "E_case": Template(notation.get("case_error") or "E_{$i}").substitute(i=case),
            "case": case,
            "cases": notation.get("cases") or "n",
            "p": "p",
        }
        super().__init__(names, notation, case_error=mean)
        self.scheme = s

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr == CASE_ERROR:
            return self.names["E_case"]
        return super()._print_Symbol(expr, style)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        template = self.scheme.templates[expr.base]
        shown = [self._print(i) for i in expr.indices]
        name = Template(template).substitute(j=shown[0], k=shown[-1])
        return styled(name, self._settings["multiletter"])

    def _print_Partial(self, expr: Partial) -> str:
        den = self._print(expr.den)
        if isinstance(expr.num, (sp.Symbol, sp.Indexed)):
            return rf"\frac{{\partial {self._print(expr.num)}}}{{\partial {den}}}"
        return rf"\frac{{\partial}}{{\partial {den}}} \left({self._print(expr.num)}\right)"

    def row(self, row: Any) -> str:
        if isinstance(row, tuple):
            return r" \cdot ".join(self.factor(f) for f in row)
        return self._print(row)

    def formula(self, f: Formula) -> str:
        lhs = self._print(f.lhs)
        rows = [self.row(r) for r in f.rows]
        if len(rows) == 1:
            return f"{lhs} = {rows[0]}"
        body = [rf"{lhs} &= {rows[0]}"] + [rf"&= {r}" for r in rows[1:]]
        return "\\begin{aligned}\n" + " \\\\\n".join(body) + "\n\\end{aligned}"


def block_printer(form: IndexForm, block: Block, per_case: bool = True) -> IndexPrinter:
    return IndexPrinter(block.scheme, form.notation, form.spec.over_cases and per_case)


def index_latex(form: IndexForm) -> list[str]:
    """One ``aligned`` block per formula, labelled by its left-hand side; the mean last."""
    out = []
    for block in form.blocks:
        pr = block_printer(form, block)
        out.append(f"% {block.title}")
        out += [pr.formula(f) for f in block.formulas]
    if form.mean is not None:
        out.append(block_printer(form, form.blocks[0], per_case=False).formula(form.mean))
    return out


def index_json(form: IndexForm) -> dict[str, Any]:
    entries = []
    for block in form.blocks:
        pr = block_printer(form, block)
        entries += [
            {
                "block": block.title,
                "id": f.key,
                "layer": f.layer,
                "lhs": pr.doprint(f.lhs),
                "latex": pr.formula(f),
                "srepr": srepr(f.value),
            }
            for f in block.formulas
        ]
    if form.mean is not None:
        pr = block_printer(form, form.blocks[0], per_case=False)
        entries.append(
            {
                "block": form.mean.key,
                "id": form.mean.key,
                "layer": "",
                "lhs": pr.doprint(form.mean.lhs),
                "latex": pr.formula(form.mean),
                "srepr": srepr(form.mean.value),
            }
        )
    return {"spec": form.spec.label, "notation": form.notation.name, "formulas": entries}
