"""Norm bars for the reader: each pair of ``\\|`` (or ``\\Vert``) becomes ``\\lVert`` ...
``\\rVert`` before parsing, so that the grammar sees an opening and a closing bar."""

from __future__ import annotations

import re

BAR = re.compile(r"\\\||\\Vert(?![A-Za-z])")
OPEN, CLOSE = "\\lVert ", "\\rVert "


def paired_norms(text: str) -> str:
    """``\\|v\\|`` as ``\\lVert v \\rVert`` (bars taken in pairs, opening first); a text with an
    odd number of bars is left as it is (the parser then says where it stops)."""
    bars = list(BAR.finditer(text))
    if not bars or len(bars) % 2:
        return text
    out, at = [], 0
    for n, bar in enumerate(bars):
        out += [text[at : bar.start()], CLOSE if n % 2 else OPEN]
        at = bar.end()
    return "".join([*out, text[at:]])
