"""LaTeX in the notation of a source, by printer methods (no string patching).

The printer keeps the order of the unevaluated display expressions built by
:mod:`symbackprop.derive` (``order='none'``), so factors stay in chain order and
differences keep the source's orientation: ``(y - \\hat{y})``, ``1 - \\varphi``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from string import Template
from typing import TYPE_CHECKING, Any, ClassVar

import sympy as sp
from sympy.printing.latex import LatexPrinter

from symbackprop.backprop.forms import ERROR, Gradient
from symbackprop.model.notation import Notation

FORMS = ("compact", "chain", "exact", "all")


if TYPE_CHECKING:
    # what SumsOnce is mixed into, so that mypy knows the _print_Add its super() calls
    from sympy.printing.printer import Printer as _Printer
else:
    _Printer = object


class SumsOnce(_Printer):
    """A printer mixin: a sum prints the same wherever it stands, so each is printed once per
    printer (a unit's delta, shared by every gradient of its parameters)."""

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        sums: dict[sp.Expr, str] = self.__dict__.setdefault("_sums", {})
        if order is not None:
            return super()._print_Add(expr, order)
        if expr not in sums:
            sums[expr] = super()._print_Add(expr)
        return sums[expr]


MULTILETTER = re.compile(r"^([A-Za-z]{2,})(?=[_^]|$)")


def styled(name: str, style: str) -> str:
    """A name whose head is several letters (SSE, NdInpt_{1}) as one word: ``\\mathit{SSE}``
    (or ``\\mathrm``), so that LaTeX does not typeset it as a product S S E."""
    if style == "plain":
        return name
    return MULTILETTER.sub(lambda m: rf"\{style}{{{m.group(1)}}}", name, count=1)


class NotationPrinter(SumsOnce, LatexPrinter):
    """A LaTeX printer that writes every symbol as the notation names it.

    Setting ``multiletter``: how a name of several letters prints (``mathit``, the default;
    ``mathrm``; ``plain``); the notation file's ``multiletter`` key gives it."""

    _default_settings: ClassVar[dict[str, Any]] = {
        **LatexPrinter._default_settings,
        "multiletter": "mathit",
    }

    def __init__(self, names: dict[str, str], notation: Notation, case_error: bool = False) -> None:
        style = notation.get("multiletter") or "mathit"
        super().__init__({"order": "none", "mul_symbol": None, "multiletter": style})
        self.names = {key: styled(name, style) for key, name in names.items()}
        self.notation = notation
        self.case_error = case_error
        self._seen: dict[sp.Expr, str] = {}

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr == ERROR:
            return self.names["E_case"] if self.case_error else self.names["E"]
        if expr.name in self.names:
            return self.names[expr.name]
        return super()._print_Symbol(expr, style)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        name = self.names.get(str(expr.base.label), self._print(expr.base.label))
        case = self._print(expr.indices[0])
        template = self.notation.get("case_format") or "{$name}_{$i}"
        return Template(template).substitute(name=name, i=case)

    def _print_Sigmoid(self, expr: sp.Function, exp: str | None = None) -> str:
        # exact forms repeat the same activation many times: print each one once
        text = self._seen.get(expr)
        if text is None:
            head = self.notation.get("function") or r"\sigma"
            text = self._seen[expr] = rf"{head}\left({self._print(expr.args[0])}\right)"
        return rf"{text}^{{{exp}}}" if exp else text

    def _print_ReLU(self, expr: sp.Function, exp: str | None = None) -> str:
        text = rf"\operatorname{{ReLU}}\left({self._print(expr.args[0])}\right)"
        return rf"{text}^{{{exp}}}" if exp else text

    def _print_Softplus(self, expr: sp.Function, exp: str | None = None) -> str:
        text = rf"\operatorname{{softplus}}\left({self._print(expr.args[0])}\right)"
        return rf"{text}^{{{exp}}}" if exp else text

    def _print_Heaviside(self, expr: sp.Function, exp: str | None = None) -> str:
        text = rf"H\left({self._print(expr.args[0])}\right)"
        return rf"{text}^{{{exp}}}" if exp else text

    def _print_Mul(self, expr: sp.Mul) -> str:
        """``(1/n) * Sum(...)`` prints as the sources write a mean: \\frac{1}{n} \\sum ..."""
        args = list(expr.args)
        if len(args) == 2 and isinstance(args[1], sp.Sum) and args[0].is_Pow and args[0].exp == -1:
            return rf"\frac{{1}}{{{self._print(args[0].base)}}} {self._print(args[1])}"
        return super()._print_Mul(expr)

    def partial(self, num: sp.Expr, den: sp.Expr) -> str:
        return rf"\frac{{\partial {self._print(num)}}}{{\partial {self._print(den)}}}"

    def factor(self, expr: sp.Expr) -> str:
        """A factor of a chain, bracketed when it is not a single atom-like term."""
        text = self._print(expr)
        if isinstance(expr, (sp.Add, sp.Mul)) or (expr.is_Number and expr < 0):
            return rf"\left({text}\right)"
        return text


@dataclass(frozen=True)
class Rendered:
    """The LaTeX of one gradient in one notation."""

    gradient: Gradient
    notation: Notation
    names: dict[str, str]
    shared: NotationPrinter | None = field(
        default=None, compare=False, repr=False
    )  # one for many gradients

    @property
    def printer(self) -> NotationPrinter:
        return self.shared or NotationPrinter(self.names, self.notation)

    @property
    def lhs(self) -> str:
        return self.printer.partial(ERROR, self.gradient.param.symbol)

    def compact(self) -> str:
        text = self.printer.doprint(self.gradient.compact.display)
        loss = self.gradient.net.loss
        if loss.target_sum is not None:  # the simplification used the targets' constraint
            targets = self.printer.doprint(sp.Add(*self.gradient.net.targets))
            text += rf" \quad \text{{(for targets with }} {targets} = {loss.target_sum}\text{{)}}"
        return text

    def exact(self) -> str:
        return self.printer.doprint(self.gradient.exact_display.display)

    def chain_lines(self) -> list[str]:
        """Partials, then their values, one path per line when there are several."""
        net = self.gradient.net
        inner = NotationPrinter(self.names, self.notation, case_error=net.case is not None)
        paths = self.gradient.chain
        symbolic = [" ".join(inner.partial(f.num, f.den) for f in path) for path in paths]
        values = [r" \cdot ".join(inner.factor(f.display) for f in path) for path in paths]
        penalty = self.penalty(inner)
        if net.case is None:
            return [_joined(symbolic) + penalty, _joined(values) + penalty]
        n, i = inner._print(net.n_cases), inner._print(net.case)
        mean = rf"\sum_{{{i}=1}}^{{{n}}}"
        if net.spec.mean:
            mean = rf"\frac{{1}}{{{n}}} {mean}"
        return [
            rf"{mean} {inner.partial(ERROR, self.gradient.param.symbol)}{penalty}",
            rf"{mean} \Big[ {_joined(symbolic)} \Big]{penalty}",
            rf"{mean} \Big[ {_joined(values)} \Big]{penalty}",
        ]

    def penalty(self, printer: NotationPrinter) -> str:
        """' + \\lambda w' when the L2 penalty covers the parameter, else ''."""
        net, p = self.gradient.net, self.gradient.param
        if net.penalty_slope(p) == 0:
            return ""
        return f" + {printer.doprint(net.penalty_display(p))}"

    def _repr_latex_(self) -> str:
        return "$$" + self.equation("chain") + "$$"

    def equation(self, form: str) -> str:
        """One labelled equation, or an aligned block for ``chain`` and ``all``."""
        if form == "compact":
            return f"{self.lhs} = {self.compact()}"
        if form == "exact":
            return f"{self.lhs} = {self.exact()}"
        rows = self.chain_lines()
        body = [rf"{self.lhs} &= {rows[0]}"] + [rf"&= {row}" for row in rows[1:]]
        body.append(rf"&= {self.compact()}")
        if form == "all":
            body.append(rf"&= {self.exact()}")
        return "\\begin{aligned}\n" + " \\\\\n".join(body) + "\n\\end{aligned}"


def _joined(parts: list[str]) -> str:
    return " + ".join(parts) if len(parts) < 4 else " \\\\\n&\\quad + ".join(parts)


def render(
    gradient: Gradient,
    notation: Notation,
    names: dict[str, str] | None = None,
    printer: NotationPrinter | None = None,
) -> Rendered:
    """The LaTeX of a gradient; pass one ``printer`` (of the same names) to share its memory across
    gradients."""
    return Rendered(gradient, notation, names or notation.symbol_names(gradient.net), printer)


def latex_of(expr: sp.Expr, notation: Notation, names: dict[str, str]) -> str:
    """Any expression of the network in the notation (used for numbers and JSON)."""
    return NotationPrinter(names, notation).doprint(expr)
