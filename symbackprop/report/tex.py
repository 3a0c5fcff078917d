"""LaTeX that both renderers accept: a conservative check, diagnoses split into prose and maths,
and the differing factor highlighted.

KaTeX (HTML) and pdfLaTeX (PDF) must both typeset every equation the report shows; a source's
LaTeX can hold anything, so an equation is typeset only when every command and environment in
it is one both know, its braces, ``\\left``/``\\right`` and environments balance, and it is plain
ASCII. Anything else is shown as code, never as a typesetting error.
"""

from __future__ import annotations

import re

from symbackprop.report.model import Math, Segment

GREEK = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "varpi",
    "rho",
    "varrho",
    "sigma",
    "varsigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
]
COMMANDS = set(GREEK) | set(
    [
        "frac",
        "dfrac",
        "tfrac",
        "partial",
        "sum",
        "prod",
        "int",
        "left",
        "right",
        "cdot",
        "cdots",
        "ldots",
        "dots",
        "vdots",
        "ddots",
        "times",
        "div",
        "text",
        "mathrm",
        "mathbf",
        "mathit",
        "mathcal",
        "mathbb",
        "mathsf",
        "operatorname",
        "hat",
        "bar",
        "tilde",
        "vec",
        "dot",
        "ddot",
        "widehat",
        "widetilde",
        "overline",
        "underline",
        "exp",
        "log",
        "ln",
        "sin",
        "cos",
        "tan",
        "tanh",
        "sinh",
        "cosh",
        "sqrt",
        "quad",
        "qquad",
        "leq",
        "geq",
        "le",
        "ge",
        "neq",
        "ne",
        "approx",
        "equiv",
        "sim",
        "simeq",
        "propto",
        "to",
        "rightarrow",
        "Rightarrow",
        "leftarrow",
        "Leftarrow",
        "leftrightarrow",
        "mapsto",
        "infty",
        "nabla",
        "big",
        "Big",
        "bigg",
        "Bigg",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "mid",
        "in",
        "notin",
        "pm",
        "mp",
        "circ",
        "odot",
        "otimes",
        "oplus",
        "prime",
        "max",
        "min",
        "lim",
        "limits",
        "boxed",
        "textcolor",
        "color",
        "colon",
        "vert",
        "Vert",
        "lVert",
        "rVert",
        "langle",
        "rangle",
        "lfloor",
        "rfloor",
        "lceil",
        "rceil",
        "top",
        "ell",
        "displaystyle",
        "textstyle",
        "binom",
        "ast",
        "star",
        "cup",
        "cap",
        "forall",
        "exists",
        "subset",
        "subseteq",
        "land",
        "lor",
        "neg",
        "lbrack",
        "rbrack",
        "textbf",
        "textit",
        "mbox",
        "underbrace",
        "overbrace",
        "hline",
        "uparrow",
        "downarrow",
        "iff",
        "implies",
        "therefore",
        "because",
        "cdotp",
    ]
)
SYMBOLS = set(",;:! {}_%&$#|\\")
ENVIRONMENTS = {"aligned", "cases", "matrix", "pmatrix", "bmatrix", "vmatrix", "gathered", "array"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def typesettable(tex: str) -> bool:
    """True when ``tex`` (maths mode, without delimiters) is safe for KaTeX and pdfLaTeX."""
    if not tex.strip() or not tex.isascii() or len(tex) > 200_000:
        return False
    depth, stack, lr = 0, [], 0
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            m = _COMMAND.match(tex, i)
            if m is None:
                return False
            name = m.group(1)
            i = m.end()
            if len(name) == 1:
                if name not in SYMBOLS:
                    return False
                continue
            if name not in COMMANDS | {"begin", "end"}:
                return False
            lr += name == "left"
            lr -= name == "right"
            if name in ("begin", "end"):
                env = re.match(r"\{([A-Za-z*]+)\}", tex[i:])
                if env is None or env.group(1) not in ENVIRONMENTS:
                    return False
                if name == "begin":
                    stack.append(env.group(1))
                elif not stack or stack.pop() != env.group(1):
                    return False
                i += env.end()
            continue
        if c in "#$%":
            return False
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return False
        i += 1
    if depth or stack or lr:
        return False
    return not re.search(r"[\^_]\s*[\^_]|\^[^{\s]\s*\^|_[^{\s]\s*_", tex)


def _top_level_rows(tex: str) -> bool:
    """``&`` or ``\\\\`` outside any environment: the rows need an aligned block."""
    depth = 0
    for m in re.finditer(r"\\begin\{|\\end\{|\\\\|&|\\&", tex):
        token = m.group(0)
        if token == "\\begin{":
            depth += 1
        elif token == "\\end{":
            depth -= 1
        elif token in ("\\\\", "&") and depth == 0:
            return True
    return False


def math(tex: str, display: bool = False) -> Math:
    """A Math for ``tex``: rows wrapped in ``aligned``; code when it cannot be typeset."""
    tex = tex.strip()
    ok = typesettable(tex)
    if ok and _top_level_rows(tex):
        tex = "\\begin{aligned}" + tex + "\\end{aligned}"
    return Math(tex, display, ok)


# -- diagnoses: prose with maths ----------------------------------------------------------
_FACTOR = re.compile(r"^the factor (.+?) is (.+?) in the claim where (.+) belongs$", re.S)
_ZERO = re.compile(r"^the factor (.+?) is 0: (.+?) does not depend on (.+)$", re.S)
_CONSTANT = re.compile(r"^a constant factor (.+) is wrong$", re.S)
_COUNTER = re.compile(r"^(?:counterexample: )?at (.+): claim (\S+), true (\S+)$", re.S)
_LABELLED = re.compile(r"^(correct|claim/true =|claim/true|correct form)[: ]\s*(.+)$", re.S)


def _m(text: str) -> Segment:
    return Segment("", math(text))


def segments(part: str) -> tuple[Segment, ...]:
    """One diagnosis clause as prose and maths."""
    part = part.strip()
    if m := _FACTOR.match(part):
        return (
            Segment("the factor "),
            _m(m.group(1)),
            Segment(" is "),
            _m(m.group(2)),
            Segment(" in the claim where "),
            _m(m.group(3)),
            Segment(" belongs"),
        )
    if m := _ZERO.match(part):
        return (
            Segment("the factor "),
            _m(m.group(1)),
            Segment(" is 0: "),
            _m(m.group(2)),
            Segment(" does not depend on "),
            _m(m.group(3)),
        )
    if m := _CONSTANT.match(part):
        return (Segment("a constant factor "), _m(m.group(1)), Segment(" is wrong"))
    if m := _COUNTER.match(part):
        return (
            Segment("counterexample at "),
            _m(m.group(1)),
            Segment(f": the claim gives {m.group(2)}, the truth {m.group(3)}"),
        )
    if m := _LABELLED.match(part):
        label = "claim / truth =" if m.group(1).startswith("claim") else "correct:"
        return (Segment(label + " "), _m(m.group(2)))
    if "\\" in part or "_{" in part or "^{" in part:
        return (Segment("", Math(part, False, False)),)
    return (Segment(part),)


def split_parts(text: str) -> list[str]:
    """A diagnosis split at ``; `` outside braces and brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += c in "{(["
        depth -= c in "})]"
        if depth == 0 and text.startswith("; ", i):
            parts.append(text[start:i])
            start = i + 2
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def factor_value(factor: str) -> str:
    """The true factor a diagnosis names (the one the claim replaced), or ''."""
    m = _FACTOR.match(factor.strip())
    return m.group(3).strip() if m else ""


def highlight(correct: str, value: str) -> str:
    """``correct`` with the first occurrence of ``value`` coloured and underlined."""
    if len(value) < 2 or value not in correct:
        return correct
    at = correct.index(value)
    marked = "\\textcolor{red}{\\underline{" + value + "}}"
    return correct[:at] + marked + correct[at + len(value) :]


# -- prose of a document ------------------------------------------------------------------
_PROSE_MATH = re.compile(
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<![\\$])\$([^$\n]+?)\$", re.S
)


def prose(text: str) -> tuple[Segment, ...]:
    """A paragraph of a document: its text, with the maths in it typeset where possible."""
    out: list[Segment] = []
    i = 0
    for m in _PROSE_MATH.finditer(text):
        if m.start() > i:
            out.append(Segment(text[i : m.start()]))
        body = next(g for g in m.groups() if g is not None)
        out.append(
            Segment("", math(body, display=m.group(1) is not None or m.group(2) is not None))
        )
        i = m.end()
    if i < len(text):
        out.append(Segment(text[i:]))
    return tuple(out)
