"""Vector and matrix forms: a layer's names without unit indices (``a^l``, ``W^{[l]}``,
``dZ^{[l]}``) read as vectors and matrices under the orientation the notation declares.

A notation names them in its ``[matrices]`` table (a LaTeX template with ``$l`` -> a kind of
quantity, :data:`symbackprop.model.notation.MATRIX_KINDS`) and declares the orientation with
``weight_orientation`` (W^l is n_l × n_{l-1}, "out-in", or its transpose, "in-out"),
``vectors`` (a layer's vector is a "column" or a "row"), ``batch`` (with a mean over cases,
a layer's quantities of all examples form a matrix with the examples as "columns" or "rows")
and ``first_layer`` (the number of the input layer: 0, or 1 as in Nielsen's book).

With a mean over cases the batch has :data:`symbackprop.verify.numeric.CASES` examples; the
count letter of the notation (its ``cases`` name, or m, n, N) is that number there.
:mod:`symbackprop.verify.expand` reads a claim's nodes into these values and judges it entry by
entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from string import Template
from typing import TypeVar, cast

from symbackprop.verify.keys import latex_key, name_key
from symbackprop.verify.reader import (
    Add,
    BigSum,
    Group,
    Node,
    Num,
    Prod,
    ReadError,
    Script,
    Sym,
    parse,
    walk,
)
from symbackprop.verify.scope import ResolveError, Scope

T = TypeVar("T")
COUNT_LETTERS = ("m", "n", "N")
VECTOR_KINDS = ("weight_vector", "parameter_vector")  # the net's parameters in one vector
# the kinds with a value per case: with a mean over cases, a batch's matrix of them
PER_CASE_KINDS = ("activation", "net", "delta", "dactivation", "input", "target", "output")


class OutOfRange(ResolveError):  # noqa: N818 - a public name, raised here, caught by the judge
    """A matrix name at a layer the network does not have (w^{l+1} for the last l)."""


@dataclass(frozen=True)
class Entry:
    """One name of the ``[matrices]`` table at one layer."""

    kind: str
    layer: int | None  # the network's layer (1 = first hidden), None for the input and target
    shown: str  # the name at that layer, as the notation writes it
    one_example: bool = False  # a name of [example_matrices]: one training example's quantity


@dataclass(frozen=True)
class Named:
    """A name of the claim read as a matrix name: its entry, and what its superscript adds."""

    entry: Entry
    transposed: bool = False
    example: Node | None = None  # the (i) of A^{[l](i)}: one example of the batch


@dataclass(frozen=True)
class Table:
    """The ``[matrices]`` names of a notation for one network, by name key."""

    entries: Mapping[str, Entry]
    heads: frozenset[str]  # the last letter of every name (where a layer letter may stand)
    first: int  # the number the notation gives the input layer
    depth: int

    @property
    def written_layers(self) -> range:
        return range(self.first, self.first + self.depth + 1)


_MEMO: dict[int, tuple[Scope, object]] = {}  # by the scope's identity (a Scope is not hashable)


def memo(scope: Scope, key: str, make: Callable[[], T]) -> T:
    """A value computed once per scope (the table, the definitions of a batch's examples)."""
    slot = id(scope) * 31 + hash(key)
    held = _MEMO.get(slot)
    if held is None or held[0] is not scope:
        if len(_MEMO) > 64:
            _MEMO.clear()
        held = _MEMO[slot] = (scope, make())
    return cast("T", held[1])


def table(scope: Scope, example: bool = True) -> Table:
    """The matrix names of a claim read for one example (``[example_matrices]`` first, then
    ``[matrices]``), or, with ``example`` False, of one read for a batch (``[matrices]`` first:
    one example's name there carries its example index, Nielsen's \\delta^{x,l})."""
    return memo(scope, f"table{example}", lambda: _table(scope, example))


def _table(scope: Scope, example: bool) -> Table:
    notation, depth = scope.notation, scope.spec.depth
    first = notation.first_layer
    entries: dict[str, Entry] = {}
    heads: set[str] = set()
    tables = [(notation.example_matrices, True), (notation.matrices, False)]
    named = [
        (t, k, one)
        for names, one in (tables if example else tables[::-1])
        for t, k in names.items()
    ]
    for template, kind, one in named:
        layered = "$l" in template or "${l}" in template
        for written in range(first, first + depth + 1) if layered else (None,):
            latex = Template(template).safe_substitute(l=written) if layered else template
            key, names = _read_name(latex)
            if key is None:
                raise ResolveError(
                    f"notation {notation.name}: [matrices] {template!r} is not a name"
                )
            layer = written - first if written is not None else None
            entries.setdefault(key, Entry(kind, layer, latex, one))
            heads.update(names)
    return Table(entries, frozenset(heads), first, depth)


@lru_cache(maxsize=1024)
def _read_name(latex: str) -> tuple[str | None, frozenset[str]]:
    """A matrix name's key and the heads of its letters (read once per spelling)."""
    heads = frozenset(node.head for node in walk(parse(latex)) if isinstance(node, Sym))
    return latex_key(latex), heads


def layer_value(node: Node | None, env: Mapping[str, int | str]) -> int | None:
    """A layer written as a number or as index arithmetic (l, l+1, L-1) under ``env``."""
    if isinstance(node, Num) and node.value.is_Integer:
        return int(node.value)
    if isinstance(node, Sym) and not node.scripted and node.kind == "letter":
        bound = env.get(node.head)
        return bound if isinstance(bound, int) else None
    if isinstance(node, Group) and len(node.items) == 1 and node.kind in ("paren", "bracket"):
        return layer_value(node.items[0], env)
    if isinstance(node, Add):
        total = 0
        for sign, term in node.terms:
            value = layer_value(term, env)
            if value is None:
                return None
            total += value if sign == "+" else -value
        return total
    return None


def split_sup(sup: Script | None) -> tuple[Node | None, bool, Node | None]:
    """A superscript as (layer, transposed, example): ``[l]T`` is layer l transposed (Ng's
    ``A^{[1]T}``), ``[l](i)`` layer l of example i, ``x,l`` example x of layer l (Nielsen's
    ``\\delta^{x,l}``)."""
    if sup is None:
        return None, False, None
    if sup.expr is None:
        return _example_layer(sup.text)
    node = sup.expr
    if isinstance(node, Prod) and len(node.items) == 2 and node.items[1][0] == "":
        head, tail = node.items[0][1], node.items[1][1]
        if (
            isinstance(tail, Sym)
            and tail.head in ("T", "\\top", "\\intercal")
            and not tail.scripted
        ):
            return head, True, None
        if isinstance(tail, Group) and tail.kind == "paren" and len(tail.items) == 1:
            return head, False, tail.items[0]
    return node, False, None


@lru_cache(maxsize=256)
def _example_layer(text: str) -> tuple[Node | None, bool, Node | None]:
    """``x,l``: example x of layer l; anything else is no layer."""
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        return None, False, None
    try:
        example, layer = (parse(p).rows[0].clauses[0].sides[0] for p in parts)
    except ReadError:
        return None, False, None
    return layer, False, example


def layer_letters(sym: Sym) -> list[str]:
    """The letters of a name's layer superscript (l in a^{l+1}), where it may be a matrix name."""
    layer, _, _ = split_sup(sym.sup)
    if layer is None:
        return []
    return [n.head for n in walk(layer) if isinstance(n, Sym) and n.kind == "letter"]


def lookup(
    tab: Table, head: str, sub: Script | None, sup: Script | None, env: Mapping[str, int | str]
) -> Named | None:
    """The matrix name a written name is, under the layer binding ``env`` (None if it is none);
    one example's name with the example's letter as its subscript (a^{(2)}_n in a sum over the
    examples n) is that example's."""
    found = _lookup(tab, head, sub, sup, env)
    example = _example_sub(sub, env) if found is None else None
    if example is None:
        return found
    found = _lookup(tab, head, None, sup, env)
    if found is None or not found.entry.one_example or found.example is not None:
        return None
    return replace(found, example=example)


def _example_sub(sub: Script | None, env: Mapping[str, int | str]) -> Node | None:
    """A subscript that is one bound letter (an example, in a sum over the examples)."""
    node = sub.expr if sub is not None else None
    if isinstance(node, Sym) and node.kind == "letter" and not node.scripted:
        return node if isinstance(env.get(node.head), int) else None
    return None


def _lookup(
    tab: Table, head: str, sub: Script | None, sup: Script | None, env: Mapping[str, int | str]
) -> Named | None:
    base = name_key(head, sub, None, env)
    if sup is None:
        entry = tab.entries.get(base)
        return Named(entry) if entry is not None and entry.layer is None else None
    layer_node, transposed, example = split_sup(sup)
    written = layer_value(layer_node, env)
    if written is not None:
        entry = tab.entries.get(f"{base}^{written}")
        if entry is not None:
            return Named(entry, transposed, example)
        return _marked(tab.entries.get(base), layer_node, transposed)
    entry = tab.entries.get(name_key(head, sub, sup, env))
    return Named(entry) if entry is not None else None


def _marked(entry: Entry | None, mark: Node | None, transposed: bool) -> Named | None:
    """One example's name without a layer, with the example's letter in parentheses as its
    superscript (Ng's ``y^{(i)}``): that example's; None for anything else."""
    if entry is None or entry.layer is not None or not entry.one_example:
        return None
    if not (isinstance(mark, Group) and mark.kind == "paren" and len(mark.items) == 1):
        return None
    letter = mark.items[0]
    if isinstance(letter, Sym) and letter.kind == "letter" and not letter.scripted:
        return Named(entry, transposed, letter)
    return None


def layered(tab: Table, head: str, sub: Script | None, env: Mapping[str, int | str]) -> bool:
    """Whether a name (without its superscript) is a matrix name with a layer."""
    base = name_key(head, sub, None, env) + "^"
    return any(k.startswith(base) and e.layer is not None for k, e in tab.entries.items())


def merged(items: tuple[tuple[str, Node], ...], i: int) -> tuple[Sym, int]:
    """Adjacent letters from item i (``d`` ``Z^{[2]}`` -> ``dZ^{[2]}``): the name and its end."""
    node = items[i][1]
    assert isinstance(node, Sym)
    run, j = [node], i + 1
    while (
        node.kind == "letter"
        and j < len(items)
        and items[j][0] == ""
        and isinstance(nxt := items[j][1], Sym)
        and nxt.kind == "letter"
        and not run[-1].scripted
        and run[-1].end == nxt.start
    ):
        run.append(nxt)
        j += 1
    last = run[-1]
    head = "".join(s.head for s in run)
    text = "".join(s.text or s.head for s in run)
    sym = Sym(last.kind, head, last.sub, last.sup, last.primes, node.start, last.end, text)
    return sym, j


def names_in(node: object) -> Iterator[Sym]:
    """Every name of a claim, adjacent letters merged (``dZ``, ``dW``)."""
    skip: set[int] = set()
    for n in walk(node):
        if isinstance(n, Prod):
            i = 0
            while i < len(n.items):
                if isinstance(n.items[i][1], Sym):
                    sym, j = merged(n.items, i)
                    skip.update(id(n.items[k][1]) for k in range(i, j))
                    yield sym
                    i = j
                else:
                    i += 1
        elif isinstance(n, Sym) and id(n) not in skip:
            yield n


def is_matrix_claim(scope: Scope, nodes: list[Node]) -> bool:
    """Whether a claim writes a vector or matrix name of the notation (or ``\\nabla_a C``)."""
    if not scope.notation.matrices and not scope.notation.example_matrices:
        return False
    tab = table(scope)
    for node in nodes:
        for sym in names_in(node):
            if sym.head == "\\nabla" and sym.sub is not None and sym.sub.expr is not None:
                inner = sym.sub.expr
                if isinstance(inner, Sym) and not inner.scripted:
                    return True
            if sym.head not in tab.heads and not any(sym.head.endswith(h) for h in tab.heads):
                continue
            if _matrix_name(tab, sym):
                return True
    return False


def is_example_claim(scope: Scope, nodes: list[Node]) -> bool:
    """Whether a claim writes a name of ``[example_matrices]`` that is not also a batch's
    (Ng's dz^{[2]}, not dW^{[2]}) without an example index (Nielsen's \\delta^{x,l} is example
    x of a batch): it is read for one example."""
    if not scope.notation.example_matrices:
        return False
    batch = table(scope, example=False)  # [matrices] first
    return any(
        found.entry.one_example and found.example is None
        for node in nodes
        for sym in names_in(node)
        for found in _found(batch, sym)
    )


def _found(tab: Table, sym: Sym) -> Iterator[Named]:
    """What a name is at each layer where it is a matrix name."""
    letters = layer_letters(sym)
    for written in tab.written_layers:
        found = lookup(tab, sym.head, sym.sub, sym.sup, dict.fromkeys(letters, written))
        if found is not None:
            yield found


def _matrix_name(tab: Table, sym: Sym) -> bool:
    """A matrix name at some layer; or one with a layer the network does not have (a^{9}: an
    error, not a power of a variable)."""
    if any(True for _ in _found(tab, sym)):
        return True
    letters = layer_letters(sym)
    layer = layer_value(split_sup(sym.sup)[0], dict.fromkeys(letters, tab.first))
    return layer is not None and layered(tab, sym.head, sym.sub, {})


def free_layers(scope: Scope, nodes: list[Node]) -> list[str]:
    """The layer letters of a claim's matrix names (l of a^{l-1}); L is the last layer."""
    tab = table(scope)
    letters: list[str] = []
    summed = {n.var for n in walk(tuple(nodes)) if isinstance(n, BigSum)}  # \sum_l: not free
    for node in nodes:
        for sym in names_in(node):
            env = {letter: tab.first for letter in layer_letters(sym)}
            if lookup(tab, sym.head, sym.sub, sym.sup, env) is None and sym.head != "g":
                continue
            for letter in layer_letters(sym):
                if letter not in letters and letter not in summed:
                    letters.append(letter)
    return letters
