"""Norm bars: ``\\|t - z\\|`` opens and closes with the same command, which an LALR grammar
cannot tell apart, so every second ``\\|`` becomes the closing mark ``‖`` (and a space, the
same length, so that columns in messages stay right). ``\\lVert``, ``\\rVert`` open and close
as written."""

from __future__ import annotations

BAR = "\\|"
CLOSE = "\u2016 "


def norm_bars(text: str) -> str:
    """``\\|a\\| + \\|b\\|`` -> ``\\|a‖  + \\|b‖ ``: the second bar of each pair closes."""
    parts = text.split(BAR)
    out = [parts[0]]
    for n, part in enumerate(parts[1:]):
        out += [BAR if n % 2 == 0 else CLOSE, part]
    return "".join(out)
