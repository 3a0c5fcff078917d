"""An audited document as report blocks: its prose in order, each equation with its verdict.

The audit (:mod:`symbackprop.audit`) gives one row per equation with its line; the document's
paragraphs are kept between them, so the report reads as the document does. A progress bar
(tqdm, on stderr) counts the equations as they are judged.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from symbackprop.audit.auditor import Auditor, AuditRow, shares
from symbackprop.audit.text import Piece, pieces
from symbackprop.report.build import verdict_css
from symbackprop.report.model import AuditSection, Block, Segment, Verdicted
from symbackprop.report.tex import factor_value, highlight, math, prose, segments, split_parts
from symbackprop.verify.claim import Context

_WHAT = re.compile(
    r"^(gradient|update|new|equation|calculus|number)( [^\s\[(:]+)?( \[[^\]]*\])?"
    r"( \(\d+ bindings\))?(?:: (.*))?$",
    re.S,
)


class ProgressAuditor(Auditor):
    """The auditor, ticking a progress bar once per maths piece judged."""

    def __init__(self, ctx: Context, bar: Any = None) -> None:
        super().__init__(ctx)
        self.bar = bar
        self.seen: set[int] = set()

    def _judge(self, piece: Piece, part: Any) -> None:
        super()._judge(piece, part)
        if self.bar is not None and id(piece) not in self.seen:
            self.seen.add(id(piece))
            self.bar.update(1)


def progress_bar(total: int, show: bool | None) -> Any:
    """A tqdm bar on stderr: when asked (True), or by default (None) only on a terminal."""
    if show is False or (show is None and not sys.stderr.isatty()):
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="audit", unit="eq", file=sys.stderr, leave=False)


def run_audit(ctx: Context, text: str, progress: bool | None = None) -> list[AuditRow]:
    maths = [p for p in pieces(text) if p.kind != "heading"]
    bar = progress_bar(len(maths), progress)
    try:
        return ProgressAuditor(ctx, bar).run(text)
    finally:
        if bar is not None:
            bar.update(bar.total - bar.n)
            bar.close()


def row_item(row: AuditRow, n: int) -> Verdicted:
    what: tuple[Segment, ...] = ()
    correct = None
    details: list[tuple[Segment, ...]] = []
    detail = row.detail.strip()
    m = _WHAT.match(detail) if row.status not in ("fixes", "defines") else None
    if m:
        parts = [Segment(m.group(1) + " ")]
        if m.group(2):
            parts.append(Segment("", math(m.group(2).strip())))
        parts += [Segment(g) for g in (m.group(3), m.group(4)) if g]
        what = tuple(parts)
        factor = ""
        rest = split_parts(m.group(5) or "")
        factor = next((factor_value(p) for p in rest if factor_value(p)), "")
        for part in rest:
            if part.startswith("correct: ") and row.status != "holds":
                tex = part.removeprefix("correct: ")
                correct = math(highlight(tex, factor), display=True)
                if not correct.typeset:
                    correct = math(tex, display=True)
            else:
                details.append(segments(part))
    elif row.status in ("fixes", "defines") and detail.startswith(row.status + " "):
        what = (Segment(row.status + " "), Segment("", math(detail[len(row.status) + 1 :])))
    elif detail:
        details = [segments(p) for p in split_parts(detail)]
    return Verdicted(
        anchor=f"line-{row.line}-{n}",
        number=n,
        where=f"line {row.line}",
        written=math(row.equation, display=True),
        verdict=row.status,
        css=verdict_css(row.status),
        what=what,
        correct=correct,
        details=tuple(details),
        line=row.line,
    )


def paragraphs(text: str) -> list[tuple[int, int, str, bool]]:
    """(first line, last line, text, is heading) for each paragraph and heading."""
    out: list[tuple[int, int, str, bool]] = []
    start = 0
    buf: list[str] = []
    display = False  # inside a $$ block that spans blank lines
    for n, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not display and stripped.startswith("#"):
            if buf:
                out.append((start, n - 1, "\n".join(buf), False))
                buf = []
            out.append((n, n, stripped.lstrip("#").strip(), True))
            continue
        if not stripped and not display:
            if buf:
                out.append((start, n - 1, "\n".join(buf), False))
                buf = []
            continue
        if not buf:
            start = n
        buf.append(line)
        display ^= line.count("$$") % 2 == 1
    if buf:
        out.append((start, start + len(buf) - 1, "\n".join(buf), False))
    return out


def audit_section(ctx: Context, text: str, name: str, progress: bool | None = None) -> AuditSection:
    rows = run_audit(ctx, text, progress)
    items = [row_item(r, n) for n, r in enumerate(rows, start=1)]
    blocks: list[Block] = []
    left = list(items)
    for first, last, body, heading in paragraphs(text):
        if heading:
            blocks.append(Block("heading", first, (Segment(body),)))
        else:
            blocks.append(Block("paragraph", first, prose(body)))
        while left and left[0].line <= last:
            item = left.pop(0)
            blocks.append(Block("equation", item.line, item=item))
    blocks += [Block("equation", i.line, item=i) for i in left]
    share = shares(rows)
    return AuditSection(name, tuple(blocks), share["found"], share["read"], share["understood"])
