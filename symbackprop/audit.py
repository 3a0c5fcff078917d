"""Audit a whole Markdown or LaTeX document: find its equations, read them, judge the claims.

Every maths segment ($..$, $$..$$, \\[..\\], \\(..\\), equation/align environments)
is listed: judged (a gradient ∂E/∂p, an update Δp, a new value p_{new}, or a local
chain-rule factor ∂N/∂D, and any other equation between quantities of the network),
or unreadable with the reason. Nothing is skipped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .errors import SymbackpropError
from .reader import Clause, Document, Node, ReadError, parse
from .verify import CLAIM_RELS, Claim, Context, Outcome, Step, verify_steps

DELIMITERS = (
    ("$$", "$$"),
    ("\\[", "\\]"),
    ("\\begin{equation}", "\\end{equation}"),
    ("\\begin{equation*}", "\\end{equation*}"),
    ("\\begin{align}", "\\end{align}"),
    ("\\begin{align*}", "\\end{align*}"),
    ("\\(", "\\)"),
    ("$", "$"),
)
VERDICT_ORDER = {"unreadable": 0, "does not hold": 1, "undecided": 2, "holds": 3}


@dataclass(frozen=True)
class Segment:
    line: int
    text: str
    display: bool


@dataclass(frozen=True)
class AuditRow:
    line: int
    equation: str
    status: str  # holds, does not hold, undecided, unreadable, no relation
    detail: str
    kind: str = ""


def segments(text: str) -> Iterator[Segment]:
    """The maths segments of a document, in order, with the line each starts on."""
    i, n = 0, len(text)
    while i < n:
        if text.startswith("\\$", i):
            i += 2
            continue
        found = _segment_at(text, i)
        if found is None:
            i += 1
            continue
        seg, i = found
        yield seg


def _segment_at(text: str, i: int) -> tuple[Segment, int] | None:
    for left, right in DELIMITERS:
        if not text.startswith(left, i):
            continue
        end = text.find(right, i + len(left))
        if end < 0:
            return None
        body = text[i + len(left) : end]
        if left == "$" and ("\n\n" in body or not body.strip()):
            return None
        line = text.count("\n", 0, i) + 1
        return Segment(line, body.strip(), left not in ("$", "\\(")), end + len(right)
    return None


def _steps(doc: Document, lhs: Node | None = None) -> list[tuple[Clause, Step]]:
    """(clause, step) for every claim relation; continuation rows keep the last left side
    (also across displayed equations: Maren's (6.29) and (6.30) continue (6.28))."""
    out = []
    for row in doc.rows:
        for clause in row.clauses:
            if not clause.rels:
                continue
            if clause.sides[0] is not None:
                lhs = clause.sides[0]
            for rel, rhs in zip(clause.rels, clause.sides[1:]):
                if rel in CLAIM_RELS and rhs is not None and lhs is not None:
                    out.append((clause, Step(lhs, rel, rhs)))
    return out


def audit(ctx: Context, text: str) -> list[AuditRow]:
    rows: list[AuditRow] = []
    last: Node | None = None
    for seg in segments(text):
        try:
            doc = parse(seg.text)
        except ReadError as exc:
            rows.append(AuditRow(seg.line, seg.text, "unreadable", str(exc)))
            continue
        steps = _steps(doc, last if seg.display else None)
        if steps:
            last = steps[-1][1].lhs
        if not steps:
            if any(c.rels for r in doc.rows for c in r.clauses):
                rows.append(AuditRow(seg.line, seg.text, "no claim", "a relation other than =, \\approx, :="))
            continue
        for n, (clause, step) in enumerate(steps):
            shown = seg.text[clause.start : clause.end] if clause.end > clause.start else seg.text
            same = [s for c, s in steps if c is clause]
            if len(same) > 1:
                shown += f"   [step {same.index(step) + 1} of {len(same)}]"
            try:
                outcomes = verify_steps(ctx, Claim(latex=shown, source=f"line {seg.line}"), [step], strict=False)
            except SymbackpropError as exc:
                rows.append(AuditRow(seg.line, shown, "unreadable", str(exc)))
                continue
            worst = min(outcomes, key=lambda o: VERDICT_ORDER[o.verdict])
            rows.append(AuditRow(seg.line, shown, worst.verdict, _detail(worst, outcomes), worst.kind))
    return rows


def _detail(worst: Outcome, outcomes: list[Outcome]) -> str:
    bound = f" [{worst.binding}]" if worst.binding else ""
    count = f" ({len(outcomes)} bindings)" if len(outcomes) > 1 else ""
    what = f"{worst.kind} {worst.param}".strip()
    diagnosis = worst.diagnosis if worst.verdict != "holds" else ""
    return f"{what}{bound}{count}" + (f": {diagnosis}" if diagnosis else "")


def summary(rows: list[AuditRow]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r.status] = out.get(r.status, 0) + 1
    return dict(sorted(out.items()))
