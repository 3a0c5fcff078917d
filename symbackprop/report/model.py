"""The report as data: frozen dataclasses that the HTML and LaTeX templates both read.

Everything a template shows is computed here or in the builders; the templates only lay it
out (no maths, no decisions beyond "is this section present").
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICT_CLASSES = {
    "holds": "holds",
    "does not hold": "fails",
    "undecided": "undecided",
    "unreadable": "unreadable",
    "defines": "setup",
    "fixes": "setup",
    "no claim": "setup",
}


@dataclass(frozen=True)
class Math:
    """A piece of LaTeX; ``typeset`` is False when it cannot be typeset safely (shown as code)."""

    tex: str
    display: bool = False
    typeset: bool = True


@dataclass(frozen=True)
class Segment:
    """A run of prose: plain text, or maths inside it."""

    text: str
    math: Math | None = None


@dataclass(frozen=True)
class Unit:
    x: float
    y: float
    label: Math
    kind: str  # input, hidden, output, ellipsis
    caption: str = ""  # e.g. the unit's activation value name, shown under it


@dataclass(frozen=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    label: Math | None  # None on collapsed networks
    param: str  # the parameter id, or "" for a summarised bundle
    lx: float = 0.0
    ly: float = 0.0
    bias: bool = False


@dataclass(frozen=True)
class LayerCaption:
    x: float
    title: str  # "input", "hidden layer 1", "output"
    size: int
    activation: str


@dataclass(frozen=True)
class Diagram:
    width: float
    height: float
    units: tuple[Unit, ...]
    edges: tuple[Edge, ...]
    layers: tuple[LayerCaption, ...]
    collapsed: bool
    note: str


@dataclass(frozen=True)
class Symbol:
    role: str
    name: Math


@dataclass(frozen=True)
class NetworkSection:
    label: str
    description: str
    notation: str
    sizes: str
    loss: str
    error: Math  # the error's definition in the notation
    diagram: Diagram
    symbols: tuple[Symbol, ...]
    parameters: int


@dataclass(frozen=True)
class Equation:
    number: int
    anchor: str
    name: Math  # the parameter's name in the notation
    chain: Math | None
    compact: Math


@dataclass(frozen=True)
class EquationGroup:
    anchor: str
    title: str
    equations: tuple[Equation, ...]
    omitted: int = 0  # parameters of this group not typeset (large networks)


@dataclass(frozen=True)
class DerivationSection:
    groups: tuple[EquationGroup, ...]
    total: int
    shown: int
    note: str


@dataclass(frozen=True)
class Verdicted:
    """One judged equation: a claim step from a claims file, or an equation of a document."""

    anchor: str
    number: int
    where: str
    written: Math
    verdict: str  # holds, does not hold, undecided, unreadable (audits also: defines, fixes)
    css: str
    what: tuple[Segment, ...]  # kind, parameter and binding
    correct: Math | None
    details: tuple[tuple[Segment, ...], ...]  # diagnosis lines, maths typeset
    line: int = 0


@dataclass(frozen=True)
class ClaimsSection:
    source: str
    path: str
    items: tuple[Verdicted, ...]


@dataclass(frozen=True)
class Block:
    """A block of an audited document: a heading, a paragraph, or a judged equation."""

    kind: str  # heading, paragraph, equation
    line: int
    segments: tuple[Segment, ...] = ()
    item: Verdicted | None = None


@dataclass(frozen=True)
class AuditSection:
    document: str
    blocks: tuple[Block, ...]
    found: int
    read: int
    understood: int


@dataclass(frozen=True)
class Figure:
    anchor: str
    title: str
    caption: str
    svg: str  # inline SVG for HTML
    pdf_name: str  # the PDF file beside the .tex
    pdf: bytes


@dataclass(frozen=True)
class Stat:
    label: str
    value: str


@dataclass(frozen=True)
class TrainingSection:
    data: str
    settings: str
    stats: tuple[Stat, ...]
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Count:
    verdict: str
    css: str
    count: int


@dataclass(frozen=True)
class Failing:
    anchor: str
    label: str
    verdict: str
    css: str
    latex: Math


@dataclass(frozen=True)
class Summary:
    counts: tuple[Count, ...]
    failing: tuple[Failing, ...]


@dataclass(frozen=True)
class Timing:
    part: str
    seconds: float


@dataclass(frozen=True)
class TocEntry:
    anchor: str
    title: str
    level: int


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    version: str
    network: NetworkSection | None = None
    summary: Summary | None = None
    claims: ClaimsSection | None = None
    audit: AuditSection | None = None
    derivations: DerivationSection | None = None
    training: TrainingSection | None = None
    toc: tuple[TocEntry, ...] = ()
    timings: tuple[Timing, ...] = ()
