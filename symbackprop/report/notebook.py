"""Reports in Jupyter: the self-contained HTML page in an iframe (its KaTeX inside it, so it
renders with no network and without the notebook's own maths renderer)."""

from __future__ import annotations

import html as html_escape
from dataclasses import dataclass

from symbackprop.model.notation import Notation
from symbackprop.model.spec import NetworkSpec
from symbackprop.report.build import Model, assemble, derivation_section, model, network_section
from symbackprop.report.model import Report
from symbackprop.report.render import html


@dataclass(frozen=True)
class Shown:
    """A report for a notebook cell: ``display(Shown(report))`` or the last expression."""

    report: Report
    height: int = 600

    def _repr_html_(self) -> str:
        page = html_escape.escape(html(self.report), quote=True)
        return (
            f'<iframe srcdoc="{page}" '
            f'style="width:100%;height:{self.height}px;border:1px solid #d0d7de" '
            'sandbox="allow-scripts" title="symbackprop report"></iframe>'
        )


def derivation_report(spec: NetworkSpec, notation: Notation, chain: bool = True) -> Report:
    """The network and its gradients as a report (what ``Derivation._repr_html_`` shows)."""
    m: Model = model(spec, notation)
    return assemble(
        f"{spec.label}: gradients",
        f"{spec.label}, notation {notation.name}",
        [],
        network_section(m),
        derivation_section(m, chain=chain),
    )


def derivation_html(spec: NetworkSpec, notation: Notation) -> str:
    return Shown(derivation_report(spec, notation))._repr_html_()
