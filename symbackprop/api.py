"""The public entry point: a spec and its notation in, every gradient out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sympy as sp

from symbackprop.backprop.forms import Gradient, gradients, target_constraint
from symbackprop.errors import ArgumentError, UsageError
from symbackprop.model.network import Network, build
from symbackprop.model.notation import Notation, load_notation
from symbackprop.model.spec import NetworkSpec, as_spec
from symbackprop.printing.latex import FORMS, NotationPrinter, Rendered, latex_of, render
from symbackprop.printing.srepr import ReprPrinter, srepr
from symbackprop.report.notebook import derivation_html


@dataclass(frozen=True)
class Derivation:
    """The gradients of a spec, printable in its notation (``_repr_latex_`` for Jupyter)."""

    spec: NetworkSpec
    notation: Notation
    net: Network
    gradients: tuple[Gradient, ...]

    @cached_property
    def names(self) -> dict[str, str]:
        return self.notation.symbol_names(self.net)

    @cached_property
    def printer(self) -> NotationPrinter:
        """One printer for every gradient, so the sums they share are printed once."""
        return NotationPrinter(self.names, self.notation)

    def rendered(self, g: Gradient) -> Rendered:
        return render(g, self.notation, self.names, self.printer)

    def latex(self, form: str = "compact") -> list[str]:
        """One equation (or aligned block) per parameter."""
        _check_form(form)
        return [self.rendered(g).equation(form) for g in self.gradients]

    def _repr_latex_(self) -> str:
        rows = [self.rendered(g) for g in self.gradients]
        body = " \\\\\n".join(f"{r.lhs} &= {r.compact()}" for r in rows)
        return "$$\\begin{aligned}\n" + body + "\n\\end{aligned}$$"

    def _repr_html_(self) -> str:
        """The network diagram and every gradient, as the report's page (Jupyter)."""
        return derivation_html(self.spec, self.notation)

    def to_json(self, form: str = "compact") -> dict[str, Any]:
        _check_form(form)
        forms = ("exact", "chain", "compact") if form == "all" else (form,)
        out = []
        rp = ReprPrinter()  # one for all gradients: the sums they share (a unit's delta) print once
        for g in self.gradients:
            r = self.rendered(g)
            entry: dict[str, Any] = {
                "id": g.param.id,
                "name": self.names[g.param.id],
                "kind": g.param.kind,
                "layer": g.param.layer,
                "from": g.param.from_unit,
                "to": g.param.to_unit,
                "forms": {},
            }
            for f in forms:
                if f == "exact":
                    entry["forms"]["exact"] = {"latex": r.exact(), "srepr": srepr(g.exact, rp)}
                elif f == "compact":
                    entry["forms"]["compact"] = {
                        "latex": r.compact(),
                        "srepr": srepr(g.compact.value, rp),
                        **self._assumes(),
                    }
                else:
                    entry["forms"]["chain"] = {
                        "latex": r.equation("chain"),
                        "srepr": srepr(g.chain_value(), rp),
                        "paths": [
                            [
                                {
                                    "partial": r.printer.partial(f_.num, f_.den),
                                    "latex": latex_of(f_.display, self.notation, self.names),
                                    "srepr": srepr(f_.value, rp),
                                }
                                for f_ in path
                            ]
                            for path in g.chain
                        ],
                    }
            out.append(entry)
        return {
            "spec": self.spec.label,
            "notation": self.notation.name,
            "parameters": out,
            "symbols": dict(sorted(self.net.roles.items())),
        }

    def to_text(self, form: str = "compact") -> list[str]:
        _check_form(form)
        lines = []
        for g in self.gradients:
            head = f"dE/d{g.param.id} [{self.names[g.param.id]}]"
            if form in ("compact", "all"):
                lines.append(f"{head} = {sp.sstr(g.compact.value)}{self._caveat()}")
            if form in ("chain", "all"):
                paths = [" * ".join(f"({sp.sstr(f.value)})" for f in path) for path in g.chain]
                penalty = self.net.penalty_slope(g.param)
                paths += [sp.sstr(penalty)] if penalty != 0 else []
                lines.append(f"{head} = " + " + ".join(paths))
            if form in ("exact", "all"):
                lines.append(f"{head} = {sp.sstr(g.exact)}")
        return lines

    def _assumes(self) -> dict[str, str]:
        """The compact form's assumption about the targets (categorical targets sum to 1)."""
        constraint = target_constraint(self.net)
        if constraint is None:
            return {}
        total, value = constraint
        return {"assumes": f"{sp.sstr(total)} = {value}"}

    def _caveat(self) -> str:
        assumes = self._assumes()
        return f"  (for targets with {assumes['assumes']})" if assumes else ""


def _check_form(form: object) -> None:
    if not isinstance(form, str) or form not in FORMS:
        raise UsageError(f"unknown form {form!r:.60}; choose from {', '.join(FORMS)}")


def _check_params(params: object) -> list[str] | None:
    if params is None:
        return None
    if isinstance(params, str):
        return [params]
    if not isinstance(params, (list, tuple)) or not all(isinstance(p, str) for p in params):
        raise ArgumentError(
            f"params must be a list of parameter ids or notation names, not {type(params).__name__}"
        )
    return list(params)


def derive(
    spec: NetworkSpec | str | os.PathLike[str],
    notation: Notation | str | None = None,
    params: list[str] | None = None,
) -> Derivation:
    """Derive the gradients of ``spec`` (all parameters, or the named ones: ids or notation names).

    ``spec`` is a :class:`NetworkSpec`, a preset name, an inline spec (``"2-3-1"``) or the path
    of a spec TOML file; bad input raises a :class:`symbackprop.SymbackpropError` subclass.
    """
    spec = as_spec(spec)
    if notation is not None and not isinstance(notation, (str, Notation)):
        raise ArgumentError(
            f"notation must be a notation name, a .toml path or a Notation, not"
            f" {type(notation).__name__}"
        )
    wanted = _check_params(params)
    if notation is None or isinstance(notation, str):
        notation = load_notation(notation or spec.notation, spec.base_dir)
    net = build(spec, notation.residual)
    ids = [notation.param_id(p, net) for p in wanted] if wanted else None
    return Derivation(
        spec, notation, net, tuple(gradients(net, ids, error_terms=notation.has_error_terms))
    )
