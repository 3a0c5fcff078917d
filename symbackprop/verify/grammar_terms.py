"""The grammar's terminals as a reader's error message names them ("expected a letter, \\frac")."""

from __future__ import annotations

TERMINAL_NAMES = {
    "REL": "a relation (=, \\approx)",
    "SIGN": "+ or -",
    "MULOP": "\\cdot, \\times, * or /",
    "LETTER": "a letter",
    "DIGIT": "a digit",
    "NUMBER": "a number",
    "GREEK": "a Greek letter",
    "CMD": "a command",
    "NAMECMD": "\\text{..} or \\mathcal{..}",
    "ACCENT": "an accent (\\hat)",
    "FRAC": "\\frac",
    "SQRT": "\\sqrt",
    "SUM": "\\sum",
    "PARTIAL": "\\partial",
    "DOTS": "\\dots",
    "BEGINMAT": "\\begin{bmatrix}",
    "ENDMAT": "\\end{bmatrix}",
    "NORMOPEN": "\\|",
    "NORMCLOSE": "the closing \\|",
    "PRIME": "'",
    "COMMA": ",",
    "_SEP": "; or \\quad",
    "_ROWSEP": "\\\\",
    "$END": "the end",
    "LPAR": "(",
    "RPAR": ")",
    "LSQB": "[",
    "RSQB": "]",
    "LBRACE": "{",
    "RBRACE": "}",
    "CIRCUMFLEX": "^",
    "UNDERSCORE": "_",
}


def expected_terminals(names: set[str]) -> str:
    shown = sorted({TERMINAL_NAMES.get(n, n.strip("_").lower()) for n in names})
    if len(shown) > 8:
        shown = [*shown[:8], "..."]
    return ", ".join(shown)
