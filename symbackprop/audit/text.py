"""A document as text: equations found in prose, Markdown and LaTeX, table rows, continuation
rows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

LEAD = {
    "where",
    "by",
    "substituting",
    "using",
    "with",
    "and",
    "let",
    "since",
    "if",
    "when",
    "setting",
    "defining",
}


GLOSSARY = {"learning rate": "eta", "step size": "eta"}  # prose words -> the network's quantity


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


@dataclass(frozen=True)
class Piece:
    """A maths segment, a table row read as ``name = value``, or a heading (a new section)."""

    line: int
    text: str
    display: bool
    kind: str = "maths"  # maths, table, heading
    note: str = ""


def pieces(text: str) -> list[Piece]:
    """Headings, table rows and maths segments, in reading order."""
    lines = text.split("\n")
    found: list[Piece] = []
    kept: list[str] = []
    for n, line in enumerate(lines, start=1):
        stripped = line.strip()
        if _heading(stripped):
            found.append(Piece(n, stripped, False, "heading"))
        rows = list(_table_row(line, n))
        found += rows
        kept.append(" " * len(line) if rows else line)
    found += list(segments("\n".join(kept)))
    return sorted(found, key=lambda p: (p.line, p.kind != "heading"))


def _heading(line: str) -> bool:
    """A Markdown heading, ``\\section``, or a numbered title on its own line (``3 The Error
    Function``)."""
    if line.startswith(("#", "\\section", "\\subsection")):
        return True
    number, _, title = line.partition(" ")
    return (
        bool(title)
        and len(line) < 80
        and "$" not in line
        and number.replace(".", "").isdigit()
        and title[:1].isupper()
        and not title.rstrip().endswith((".", ",", ":"))
    )


def _table_row(line: str, n: int) -> Iterator[Piece]:
    """``$w_1$ <tab> 0.11`` -> ``w_1 = 0.11``; a cell with several numbers counts its last."""
    if "\t" not in line:
        return
    cells = [c.strip() for c in line.split("\t")]
    for name, value in itertools.pairwise(cells):
        numbers = value.split()
        if not (len(name) > 2 and name.startswith("$") and name.endswith("$")) or not numbers:
            continue
        if not all(_is_number(t) for t in numbers):
            continue
        note = f"the cell reads {value!r}: its last number counts" if len(numbers) > 1 else ""
        yield Piece(n, f"{name[1:-1].strip()} = {numbers[-1]}", False, "table", note)


def _is_number(text: str) -> bool:
    body = text.lstrip("+-")
    whole, dot, frac = body.partition(".")
    return (
        bool(body)
        and (whole.isdigit() or not whole)
        and (frac.isdigit() or not dot)
        and bool(whole or frac)
    )


def segments(text: str) -> Iterator[Piece]:
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


def _segment_at(text: str, i: int) -> tuple[Piece, int] | None:
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
        return Piece(line, body.strip(), left not in ("$", "\\(")), end + len(right)
    return None


def asides(text: str) -> tuple[str, list[str]]:
    """A parenthesised remark in prose that sets something, ``(\\text{... rate} = 0.05)``,
    taken out of the equation it interrupts: (the equation, [the remarks])."""
    out, found = [], []
    i = 0
    while i < len(text):
        if text.startswith("(\\text{", i):
            end = _closing(text, i)
            inner = text[i + 1 : end]
            if end > 0 and "=" in inner:
                found.append(inner)
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out), found


def _closing(text: str, start: int) -> int:
    depth = 0
    for j in range(start, len(text)):
        depth += text[j] in "({"
        depth -= text[j] in ")}"
        if depth == 0:
            return j
    return -1


def split_rows(text: str) -> list[str]:
    """The rows of a display at ``\\\\`` outside braces and inner environments (a matrix)."""
    rows, depth, start, i = [], 0, 0, 0
    while i < len(text):
        if text.startswith("\\begin{", i) and not text.startswith("\\begin{aligned}", i):
            depth += 1
        elif text.startswith("\\end{", i) and not text.startswith("\\end{aligned}", i):
            depth -= 1
        elif text[i] in "{}":
            depth += 1 if text[i] == "{" else -1
        elif text.startswith("\\\\", i) and depth == 0:
            rows.append(text[start:i])
            start = i + 2
            i += 2
            continue
        i += 1
    rows.append(text[start:])
    return [r.replace("\\begin{aligned}", "").replace("\\end{aligned}", "") for r in rows]


def lone_cases(text: str) -> bool:
    """Whether a row is one ``\\begin{cases}`` environment and nothing else: a list of
    alternatives with no relation around it, never an equation."""
    body = text.strip()
    return (
        body.startswith("\\begin{cases}")
        and body.endswith("\\end{cases}")
        and body.count("\\begin{cases}") == 1
    )
