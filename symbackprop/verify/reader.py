"""Read the LaTeX of a hand derivation into a small syntax tree (lark grammar, no regexes).

The tree knows shapes only: letters, commands, scripts, fractions, groups, sums and
relations. What a name means is decided later by :mod:`symbackprop.meaning`, through
the notation of the spec. No user text ever reaches ``eval``, ``sympify`` or ``parse_expr``.
"""

from __future__ import annotations

from contextvars import ContextVar
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from typing import cast

import sympy as sp
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from symbackprop.errors import SymbackpropError
from symbackprop.verify.bars import norm_bars
from symbackprop.verify.casesreader import cells, piece
from symbackprop.verify.grammar_terms import expected_terminals
from symbackprop.verify.nodes import (
    Add,
    Alt,
    BigSum,
    Cases,
    Clause,
    Document,
    Frac,
    Group,
    Node,
    Num,
    Partial,
    Prod,
    Row,
    Script,
    Scripted,
    Sqrt,
    Sym,
    Transpose,
    walk,
)

__all__ = [  # the nodes are read from here by the rest of the package
    "Add",
    "Alt",
    "BigSum",
    "Cases",
    "Clause",
    "Document",
    "Frac",
    "Group",
    "Node",
    "Num",
    "Partial",
    "Prod",
    "ReadError",
    "Row",
    "Script",
    "Scripted",
    "Sqrt",
    "Sym",
    "Transpose",
    "parse",
    "text_of_namecmd",
    "walk",
]

MAX_LENGTH = 4000


class ReadError(SymbackpropError):
    """Malformed LaTeX: carries the position, the offending token and what was expected."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.column = column


_SOURCE: ContextVar[str] = ContextVar("latex_source", default="")

TRANSPOSES = {"T", "\\top", "\\intercal", "\\mathsf{T}", "\\mathrm{T}", "\\text{T}", "\\mathbf{T}"}
PRIMES = {"'", "\\prime"}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (resources.files("symbackprop.verify") / "latex.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse(text: str) -> Document:
    """Parse LaTeX into a :class:`Document`, or raise :class:`ReadError` saying where and why."""
    if len(text) > MAX_LENGTH:
        raise ReadError(
            f"the LaTeX is {len(text)} characters long; the reader takes at most {MAX_LENGTH}"
        )
    if not text.strip():
        raise ReadError("empty LaTeX: nothing to read")
    try:
        tree = _parser().parse(norm_bars(cells(text)))
    except UnexpectedToken as exc:
        tok = exc.token
        shown = "the end of the text" if tok.type == "$END" else repr(str(tok))
        col = exc.column if isinstance(exc.column, int) else len(text)
        raise ReadError(
            f"cannot read the LaTeX at column {col}: unexpected {shown}; expected "
            f"{expected_terminals(set(exc.expected))}",
            col,
        ) from None
    except UnexpectedCharacters as exc:
        col = exc.column
        pos = cast(int, exc.pos_in_stream)  # lark: Optional in general, set by the lexer here
        ch = text[pos] if pos < len(text) else ""
        raise ReadError(
            f"cannot read the LaTeX at column {col}: unexpected character {ch!r}; "
            f"expected {expected_terminals(set(exc.allowed or ()))}",
            col,
        ) from None
    except UnexpectedEOF as exc:
        raise ReadError(
            f"the LaTeX ends too early; expected {expected_terminals(set(exc.expected))}", len(text)
        ) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark input errors
        raise ReadError(f"cannot read the LaTeX: {exc.__class__.__name__}") from None
    except RecursionError:
        raise ReadError("the LaTeX is nested too deeply to read") from None
    token = _SOURCE.set(text)
    try:
        return Document(tuple(_row(r) for r in tree.children if isinstance(r, Tree)), text)
    except RecursionError:
        raise ReadError("the LaTeX is nested too deeply to read") from None
    finally:
        _SOURCE.reset(token)


def _source(tree: Tree | Token) -> str:
    """The text a tree or token was read from, as written."""
    if isinstance(tree, Token):
        return str(tree)
    meta = tree.meta
    if getattr(meta, "empty", True):
        return ""
    return _SOURCE.get()[meta.start_pos : meta.end_pos]


def _row(tree: Tree) -> Row:
    return Row(tuple(_clause(c) for c in tree.children if isinstance(c, Tree)))


def _clause(tree: Tree) -> Clause:
    sides: list[Node | None] = []
    rels: list[str] = []
    if tree.data == "cont":
        sides.append(None)
    for child in tree.children:
        if isinstance(child, Token) and child.type == "REL":
            rels.append(str(child))
        else:
            sides.append(_node(child))
    meta = tree.meta
    return Clause(
        tuple(sides), tuple(rels), getattr(meta, "start_pos", 0), getattr(meta, "end_pos", 0)
    )


def _tokens(tree: Tree | Token) -> tuple[tuple[str, str], ...]:
    if isinstance(tree, Token):
        return ((tree.type, str(tree)),)
    return tuple((t.type, str(t)) for t in tree.scan_values(lambda v: isinstance(v, Token)))


def _script(arg: Tree | Token, sub: bool = False) -> Script:
    expr: Node | None = None
    tokens = _tokens(arg)
    if sub or not _source(arg).rstrip().endswith(tuple(PRIMES)):
        tokens = _primed_letters(tokens)  # e^{z_{k'}}: the index k'; g^{[l]'}: a derivative
    if isinstance(arg, Tree) and arg.data == "primes":
        return Script(tokens, None, _source(arg))
    if isinstance(arg, Tree) and arg.data == "sbody":
        parts = [c for c in arg.children if isinstance(c, Tree)]
        if len(parts) == 1 and len(arg.children) == 1:
            expr = _node(parts[0])
        kids = arg.children
        if len(kids) == 3 and isinstance(kids[1], Token) and kids[1].type == "REL":
            rel = (_node(kids[0]), str(kids[1]), _node(kids[2]))  # \mathbb{1}_{z > 0}
            return Script(tokens, None, _source(arg), rel)
    else:
        expr = _node(arg)
    return Script(tokens, expr, _source(arg))


def _split_primes(sup: Script) -> tuple[Script | None, int]:
    """``\\sigma^{\\prime}``, ``\\sigma^{'}``, ``g^{[1]\\prime}``: primes written as a superscript
    (what stays, such as the layer tag [1], remains the superscript)."""
    tokens = list(sup.tokens)
    primes = 0
    while tokens and tokens[-1][1] in PRIMES:
        tokens.pop()
        primes += 1
    if not primes:
        return sup, 0
    if not tokens:
        return None, primes
    rest = sup.text
    for mark in ("\\prime", "'"):
        while rest.rstrip().endswith(mark):
            rest = rest.rstrip()[: -len(mark)]
    expr: Node | None = None
    if isinstance(sup.expr, Prod) and len(sup.expr.items) == 2:
        expr = sup.expr.items[0][1]
    elif isinstance(sup.expr, Scripted) and sup.expr.sub is None and sup.expr.sup is None:
        expr = sup.expr.base  # g^{[1]'}: the tag [1] carries the prime
    return Script(tuple(tokens), expr, rest.strip()), primes


def _sym(tok: Token, kind: str, head: str | None = None) -> Sym:
    return Sym(
        kind,
        head if head is not None else str(tok),
        None,
        None,
        0,
        tok.start_pos or 0,
        tok.end_pos or 0,
        str(tok),
    )


def text_of_namecmd(raw: str) -> tuple[str, str]:
    """``\\text{net}`` -> ('text', 'net'); ``\\mathcal{F}`` -> ('mathcal', 'F')."""
    cmd, _, rest = raw[1:].partition("{")
    return cmd.strip(), rest[:-1].strip()


def _leaf(tok: Token) -> Node:
    kind = tok.type
    if kind in ("NUMBER", "DIGIT"):
        exact = Fraction(str(tok))  # a grammar-checked decimal literal, read exactly
        return Num(sp.Rational(exact.numerator, exact.denominator), str(tok))
    if kind == "LETTER":
        return _sym(tok, "letter")
    if kind == "GREEK":
        return _sym(tok, "greek")
    if kind == "DOTS":
        return _sym(tok, "dots", "\\dots")
    if kind == "NAMECMD":
        cmd, body = text_of_namecmd(str(tok))
        if cmd in ("text", "textrm", "textit", "mathrm", "operatorname", "mathit", "mathsf"):
            return _sym(tok, "name", body)
        return _sym(tok, "name", f"\\{cmd}{{{body}}}")
    if kind == "PARTIAL":
        return Partial(None)
    return _sym(tok, "cmd")


def _merge_partial(items: list[tuple[str, Node]]) -> list[tuple[str, Node]]:
    """``\\partial NdInpt_o`` reads as ∂ of the whole juxtaposed run, not of its first letter."""
    out: list[tuple[str, Node]] = []
    i = 0
    while i < len(items):
        op, node = items[i]
        if isinstance(node, Partial) and node.body is not None:
            run: list[tuple[str, Node]] = [("", node.body)]
            j = i + 1
            while j < len(items) and items[j][0] == "" and not isinstance(items[j][1], Partial):
                run.append(items[j])
                j += 1
            if len(run) > 1:
                out.append((op, Partial(Prod(tuple(run)))))
                i = j
                continue
        out.append((op, node))
        i += 1
    return out


def _is_or(node: Node) -> bool:
    return isinstance(node, Sym) and node.kind == "name" and node.head.strip().lower() == "or"


def _product(items: list[tuple[str, Node]]) -> Node:
    if not items:
        raise ReadError("\\text{or} needs an expression on each side")
    if len(items) == 1:
        return items[0][1]
    return Prod(tuple(items))


def _alternatives(items: list[tuple[str, Node]]) -> Node:
    """A product split at ``\\text{ or }`` into alternatives (Sears' = \\varphi_1 \\text{ or }
    \\varphi_2)."""
    if not any(_is_or(node) for _, node in items):
        return _product(items)
    options: list[list[tuple[str, Node]]] = [[]]
    for op, node in items:
        if _is_or(node):
            options.append([])
        else:
            options[-1].append((op if options[-1] else "", node))
    return Alt(tuple(_product(o) for o in options))


def _node(t: Tree | Token) -> Node:
    if isinstance(t, Token):
        return _leaf(t)
    data, ch = t.data, t.children
    if data == "sum":
        terms: list[tuple[str, Node]] = []
        sign = "+"
        for c in ch:
            if isinstance(c, Token) and c.type == "SIGN":
                sign = "-" if str(c) in ("-", "\\mp") else "+"
            else:
                terms.append((sign, _node(c)))
                sign = "+"
        if len(terms) == 1 and terms[0][0] == "+":
            return terms[0][1]
        return Add(tuple(terms))
    if data == "term":
        items: list[tuple[str, Node]] = []
        op = ""
        for c in ch:
            if isinstance(c, Token) and c.type == "MULOP":
                op = {"/": "/", "\\odot": "o", "\\circ": "o"}.get(str(c), "*")
            else:
                items.append((op, _node(c)))
                op = ""
        items = _merge_partial(items)
        return _alternatives(items)
    if data == "bigsum":
        _, scripts, *signed = ch
        sum_body: Node = _node(signed[-1])
        if len(signed) == 2 and str(signed[0]) in ("-", "\\mp"):
            sum_body = Add((("-", sum_body),))  # \sum_i - x_i, as SymPy prints a sum of negatives
        sub = sup = None
        for s in scripts.children:
            if s.data == "sub":
                sub = s.children[0]
            elif s.data == "sup":
                sup = s.children[0]
        if sub is None:
            raise ReadError("a \\sum needs its index, as in \\sum_{h=1}^{H} or \\sum_h")
        parts = (
            [c for c in sub.children] if isinstance(sub, Tree) and sub.data == "sbody" else [sub]
        )
        if len(parts) == 1 and sup is None:  # \sum_k: over the units of the layer k indexes
            return BigSum(_sum_index(_node(parts[0])), None, None, sum_body)
        if len(parts) == 3 and isinstance(parts[1], Token) and parts[1] == "\\in" and sup is None:
            return BigSum(_sum_index(_node(parts[0])), None, None, sum_body, _node(parts[2]))
        if sup is None and _comma_separated(parts):  # \sum_{i,j}: a sum over each letter
            for part in reversed(parts[::2]):
                sum_body = BigSum(_sum_index(_node(part)), None, None, sum_body)
            return sum_body
        if sup is None:
            raise ReadError(
                "a \\sum needs both limits, as in \\sum_{h=1}^{H}, or none, as in \\sum_h"
            )
        if len(parts) != 3 or not (isinstance(parts[1], Token) and parts[1] == "="):
            raise ReadError("a \\sum's lower limit must read index = start, as in \\sum_{h=1}^{H}")
        return BigSum(
            _sum_index(_node(parts[0])),
            _node(parts[2]),
            _script(sup).expr or Num(sp.Integer(0), "0"),
            sum_body,
        )
    if data == "scripted":
        base = _node(ch[0])
        if len(ch) == 1:
            return base
        sub = sup = None
        primes = 0
        for s in ch[1].children:
            if s.data == "sub":
                if sub is not None:
                    raise ReadError("double subscript")
                sub = _script(s.children[0], sub=True)
            elif s.data == "sup":
                if sup is not None:
                    raise ReadError("double superscript")
                sup = _script(s.children[0])
            else:
                primes += 1
        if sup is not None:
            sup, more = _split_primes(sup)
            primes += more
        transposed = sup is not None and sup.text.strip() in TRANSPOSES
        if transposed:
            sup = None
        if isinstance(base, Sym) and not base.scripted:
            node: Node = Sym(
                base.kind, base.head, sub, sup, primes, base.start, base.end, _source(t)
            )
        elif sub is None and sup is None and not primes:
            node = base
        else:
            node = Scripted(base, sub, sup, primes)
        return Transpose(node) if transposed else node
    if data == "accent":
        acc, arg = ch
        acc = cast(Token, acc)  # the grammar: ACCENT sarg -> accent
        inner = "".join(text for _, text in _tokens(arg))
        return Sym(
            "accent",
            f"{acc}{{{inner}}}",
            None,
            None,
            0,
            acc.start_pos or 0,
            t.meta.end_pos,
            _source(t),
        )
    if data == "frac":
        return Frac(_node(ch[1]), _node(ch[2]))
    if data == "empty":
        return Group("brace", ())
    if data == "sqrt":
        return Sqrt(_node(ch[1]))
    if data == "partial_bare":
        return Partial(None)
    if data == "partial":
        body = _node(ch[1]) if len(ch) == 2 else None
        if len(ch) == 3:
            body = _node(Tree("scripted", [ch[1], ch[2]]))
        return Partial(body)
    if data in ("paren", "bracket", "brace", "tuple"):
        return Group(
            data, tuple(_node(c) for c in ch if not (isinstance(c, Token) and c.type == "COMMA"))
        )
    if data == "norm":
        return Group("norm", (_node(ch[1]),))
    if data == "arguments":  # (w; X, y): a function's parameters; then its data
        return Group("tuple", tuple(_node(c) for c in ch if isinstance(c, Tree)), ";")
    if data == "set":  # \{z > 0\} keeps its relation (an indicator's condition)
        parts = ch[0].children if ch and isinstance(ch[0], Tree) else []
        if len(parts) == 3 and isinstance(parts[1], Token) and parts[1].type == "REL":
            return Group("set", (_node(parts[0]), _node(parts[2])), str(parts[1]))
        if len(parts) > 1 and all(  # \{0, z\}: a list (the arguments of \max)
            isinstance(p, Tree) or p.type == "COMMA" for p in parts
        ):
            return Group("set", tuple(_node(p) for p in parts if isinstance(p, Tree)))
        return Group("set", ())
    if data == "column":  # \begin{bmatrix} a \\ b \end{bmatrix}: a column vector
        return Group("tuple", tuple(_node(c) for c in ch if isinstance(c, Tree)))
    if data == "cases":
        try:
            return Cases(tuple(piece(r, _node) for r in ch if isinstance(r, Tree) and r.children))
        except ReadError:
            raise
        except SymbackpropError as exc:  # a row that is not value & condition
            raise ReadError(str(exc)) from None
    if data in ("aside", "iverson"):
        return Group(data, (_node(ch[0]), _node(ch[2])), str(ch[1]))
    if data == "number":
        return _leaf(cast(Token, ch[0]))  # the grammar: number -> NUMBER | DIGIT
    if data == "primes":
        raise ReadError("primes alone are not an expression")
    if data == "sbody":
        parts = [c for c in ch if isinstance(c, Tree)]
        if len(parts) == 1 and len(ch) == 1:
            return _node(parts[0])
        return Group("tuple", tuple(_node(c) for c in parts))
    raise ReadError(f"cannot read a {data}")  # pragma: no cover - grammar and reader agree


def _comma_separated(parts: list[Tree | Token]) -> bool:
    """Whether a sum's subscript is letters parted by commas (``i,j``)."""
    return len(parts) >= 3 and all(
        (isinstance(p, Token) and p.type == "COMMA") == (n % 2 == 1) for n, p in enumerate(parts)
    )


def _sum_index(node: Node) -> str:
    """The letter a sum runs over; ``k'`` is a letter of its own (a second index over k's
    layer)."""
    if (
        not isinstance(node, Sym)
        or node.kind not in ("letter", "greek")
        or node.sub is not None
        or node.sup is not None
    ):
        raise ReadError("a \\sum's index must be a single letter (primes allowed: k')")
    return node.head + "'" * node.primes


def _primed_letters(tokens: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """A script's letter followed by primes, ``z_{k'}``, names the index letter ``k'``."""
    out: list[tuple[str, str]] = []
    for typ, text in tokens:
        if typ == "PRIME" and out and out[-1][0] == "LETTER":
            out[-1] = ("LETTER", out[-1][1] + text)
        else:
            out.append((typ, text))
    return tuple(out)
