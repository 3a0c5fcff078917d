"""The network diagram's layout: one computation of positions that feeds both the inline SVG
(HTML) and the TikZ picture (LaTeX).

Layers are columns, units rows; every weight is an edge labelled with its name in the notation,
every bias an edge from a bias unit ``1`` above the layer before. A layer wider than ``SHOWN``
units collapses to its first and last units around an ellipsis, and a network with more than
``LABELLED`` parameters drops the edge labels, so a 784-100-10 network stays readable.
"""

from __future__ import annotations

from symbackprop.model.network import Network
from symbackprop.report.model import Diagram, Edge, LayerCaption, Unit
from symbackprop.report.tex import math

SHOWN = 6  # a layer with more units shows HEAD + TAIL of them
HEAD, TAIL = 2, 2
LABELLED = 40  # edge labels on networks up to this many drawn parameters
COLUMN, ROW, MARGIN, TOP = 230.0, 78.0, 60.0, 70.0


def shown_units(n: int) -> list[int | None]:
    """The units drawn of a layer of ``n``: all, or the first and last with None for the gap."""
    if n <= SHOWN:
        return list(range(1, n + 1))
    return [*range(1, HEAD + 1), None, *range(n - TAIL + 1, n + 1)]


def layout(net: Network, names: dict[str, str]) -> Diagram:
    spec = net.spec
    sizes, L = spec.sizes, len(spec.sizes) - 1
    columns = [shown_units(n) for n in sizes]
    collapsed = any(None in c for c in columns)
    any_bias = any(spec.biases)
    rows = max(len(c) for c in columns)
    height = TOP + (rows + (1 if any_bias else 0)) * ROW + MARGIN
    width = 2 * MARGIN + L * COLUMN + 40
    pos: dict[tuple[int, int], tuple[float, float]] = {}
    units: list[Unit] = []
    for l, col in enumerate(columns):
        x = MARGIN + 20 + l * COLUMN
        offset = TOP + (ROW if any_bias else 0) + (rows - len(col)) * ROW / 2 + ROW / 2
        for r, j in enumerate(col):
            y = offset + r * ROW
            if j is None:
                units.append(
                    Unit(x, y, math("\\vdots"), "ellipsis", f"{sizes[l] - HEAD - TAIL} more")
                )
                continue
            pos[(l, j)] = (x, y)
            if l == 0:
                key, kind = f"x{j}", "input"
            elif l == L:
                key, kind = f"o{j}", "output"
            else:
                key, kind = f"a{l}_{j}", "hidden"
            units.append(Unit(x, y, math(names.get(key, key)), kind))
    for l in range(L):  # bias units: above the column that feeds a layer with biases
        if spec.biases[l]:
            x = MARGIN + 20 + l * COLUMN
            pos[(l, 0)] = (x, TOP + ROW / 2)
            units.append(Unit(x, TOP + ROW / 2, math("1"), "bias"))
    drawn = [
        p
        for p in net.params
        if (p.layer - 1, p.from_unit or 0) in pos and (p.layer, p.to_unit) in pos
    ]
    labelled = len(drawn) <= LABELLED
    edges: list[Edge] = []
    for p in drawn:
        x1, y1 = pos[(p.layer - 1, p.from_unit or 0)]
        x2, y2 = pos[(p.layer, p.to_unit)]
        n_to = len([j for j in columns[p.layer] if j is not None])
        rank = [j for j in columns[p.layer] if j is not None].index(p.to_unit)
        t = 0.3 + 0.4 * (rank / max(n_to - 1, 1)) if n_to > 1 else 0.5
        edges.append(
            Edge(
                x1,
                y1,
                x2,
                y2,
                math(names[p.id]) if labelled else None,
                p.id,
                x1 + t * (x2 - x1),
                y1 + t * (y2 - y1),
                p.kind == "bias",
            )
        )
    captions = []
    for l, n in enumerate(sizes):
        title = "input" if l == 0 else "output" if l == L else f"hidden layer {l}"
        act = "" if l == 0 else spec.activations[l - 1]
        captions.append(LayerCaption(MARGIN + 20 + l * COLUMN, title, n, act))
    total = len(net.params)
    note = (
        f"{len(edges)} of {total} parameters drawn: layers wider than {SHOWN} units show their "
        f"first {HEAD} and last {TAIL} units"
        if collapsed
        else f"every parameter drawn ({total})"
    )
    if not labelled:
        note += "; edge labels are left off above " + str(LABELLED) + " drawn parameters"
    return Diagram(width, height, tuple(units), tuple(edges), tuple(captions), collapsed, note)
