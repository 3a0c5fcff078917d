"""The nodes of a read derivation: the shapes the reader builds (names are resolved later)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Script:
    """A sub- or superscript: its tokens (for names) and, if it is one expression, that
    expression."""

    tokens: tuple[tuple[str, str], ...]  # (terminal type, text)
    expr: Node | None
    text: str = ""  # the script as written (without its braces), for messages
    rel: tuple[Node, str, Node] | None = None  # a condition, as in \mathbb{1}_{z > 0}


@dataclass(frozen=True)
class Sym:
    """A letter, Greek letter, command, \\text{} name or accented letter, with its scripts."""

    kind: str  # letter, greek, cmd, name, accent, dots
    head: str
    sub: Script | None
    sup: Script | None
    primes: int
    start: int
    end: int  # end of the head, before any script
    text: str = ""  # the name as written, scripts included (for messages)

    @property
    def scripted(self) -> bool:
        return self.sub is not None or self.sup is not None or self.primes > 0


@dataclass(frozen=True)
class Num:
    value: sp.Rational
    text: str


@dataclass(frozen=True)
class Group:
    kind: str  # paren, bracket, brace, tuple, set, aside, iverson ([z > 0])
    items: tuple[Node, ...]
    rel: str = ""  # a set or aside holding a relation: \{z > 0\}, (z > 0)


@dataclass(frozen=True)
class Scripted:
    """A non-name atom with scripts, e.g. (y - \\hat{y})^2."""

    base: Node
    sub: Script | None
    sup: Script | None
    primes: int


@dataclass(frozen=True)
class Frac:
    num: Node
    den: Node


@dataclass(frozen=True)
class Sqrt:
    body: Node


@dataclass(frozen=True)
class Partial:
    """``\\partial X`` (body None for a bare ``\\partial``)."""

    body: Node | None


@dataclass(frozen=True)
class Transpose:
    """``x^T``, ``x^\\top``, ``x^{\\intercal}``: a transpose (of a number: the number)."""

    body: Node


@dataclass(frozen=True)
class Prod:
    """Factors in order; op is '' (juxtaposed), '*', '/' or 'o' (element-wise: \\odot, \\circ)."""

    items: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Add:
    terms: tuple[tuple[str, Node], ...]  # sign '+' or '-'


@dataclass(frozen=True)
class BigSum:
    """``\\sum_{k=lo}^{hi}``; without written limits lo and hi are None (the range is the
    layer the index belongs to), ``\\sum_{k \\in S}`` names the set in ``over``."""

    var: str
    lo: Node | None
    hi: Node | None
    body: Node
    over: Node | None = None


@dataclass(frozen=True)
class Alt:
    """Alternatives ``a \\text{ or } b``: the claim holds if one of them does."""

    options: tuple[Node, ...]


@dataclass(frozen=True)
class Cases:
    """``\\begin{cases} 1 & z > 0 \\\\ 0 & \\text{otherwise} \\end{cases}``: each piece a value and
    its condition (None: otherwise)."""

    pieces: tuple[tuple[Node, tuple[Node, str, Node] | None], ...]


Node = (
    Sym
    | Num
    | Group
    | Scripted
    | Frac
    | Sqrt
    | Partial
    | Prod
    | Add
    | BigSum
    | Alt
    | Transpose
    | Cases
)


@dataclass(frozen=True)
class Clause:
    """A chain ``a = b \\approx c``; ``sides[0]`` is None for a continuation row ``= c``."""

    sides: tuple[Node | None, ...]
    rels: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Row:
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Document:
    rows: tuple[Row, ...]
    text: str


def walk(node: object) -> Iterator[object]:
    """Every node below (and including) ``node``, depth first: nodes, scripts, clauses."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            stack.extend(reversed(n))
        elif hasattr(n, "__dataclass_fields__"):
            yield n
            stack.extend(reversed([getattr(n, f) for f in n.__dataclass_fields__]))
