"""A document's own scope: the names and numbers it defines, in reading order.

The audit reads a document top to bottom. Besides the network's names (through the
notation), an equation may use what the document itself has set up before it:

* **local names**: ``name = expression`` where ``name`` is not a name of the notation
  (the essay's ``u = o_1 - d_1``, ``y = u^2``; the note's ``\\text{ where } ...``) binds
  ``name`` to a fresh symbol defined by the expression. ``x = p`` (one name for another)
  makes ``x`` another spelling of ``p``, generic names included. A local name holds to the
  end of its section (the next Markdown heading or ``\\section``) or until the document
  defines it again: in a new maths segment or after ``where``. Inside one display, more
  rows ``name = ...`` are claims about it. A definition that cannot be read leaves the
  name undefined, and every later use says why.
* **numbers**: ``x_1 = 2``, a table row ``$w_1$ <tab> 0.11``, ``s(x_1, x_2) = (2, 3)``,
  prose such as ``\\text{... the learning rate} = 0.05`` fix the value of a parameter,
  input, target or the learning rate, the first time they are written (later ones are
  claims). A table cell with several numbers (a crossed-out value and its correction)
  counts its last one. ``\\vec{u} = (0.7, 0.1, 0.4)`` defines a vector; the product of two
  such vectors is their dot product. The accent the notation gives the target (``\\bar{y}``)
  on the name of the network's map (``s`` in ``s(x_1, x_2)``) is the target: ``\\bar{s} = 1``.
* a numeric equation about a quantity whose inputs the document never fixes (the
  essay's ``E = (0.3 - 1)^2 + ...``: its outputs are only in prose) is **taken** as the
  document's value of that quantity; the lines after it are checked against it, and the
  values it lacks are named. Nothing is guessed.

Numbers a document writes for an intermediate (``h_1 = ... = 0.85``) are kept: a numeric
claim is judged against the exact value, and when it holds only with the document's
rounded intermediates, the diagnosis says so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, overload

import sympy as sp

from symbackprop.audit.text import GLOSSARY, LEAD
from symbackprop.verify.claim import Context
from symbackprop.verify.keys import name_key
from symbackprop.verify.reader import Add, Group, Node, Num, Prod, Sym, walk
from symbackprop.verify.resolver import Resolver, resolver
from symbackprop.verify.scope import ResolveError, Scope, UnknownName
from symbackprop.verify.values import templated

# -- finding the pieces ------------------------------------------------------------------


# -- names and prose on a left side -------------------------------------------------------


def strip_lead(node: Node | None) -> tuple[Node | None, str]:
    """``\\text{ where } h_2`` -> (h_2, 'where');
    ``\\text{ where Prediction}`` -> (\\text{Prediction}, 'where');
    ``\\text{ where prediction } (\\hat{y})`` -> (\\text{prediction}, 'where'): the other name
    is dropped."""
    items = list(node.items) if isinstance(node, Prod) else [("", node)] if node is not None else []
    first = items[0][1] if items else None
    if not (isinstance(first, Sym) and first.kind == "name"):
        return node, ""
    words = first.head.split()
    k = 0
    while k < len(words) and words[k].lower() in LEAD:
        k += 1
    if k == 0:
        return node, ""
    lead = " ".join(words[:k])
    rest: list[tuple[str, Node]] = (
        [("", replace(first, head=" ".join(words[k:])))] if words[k:] else []
    )
    rest += items[1:]
    if len(rest) == 2 and isinstance(rest[1][1], Group) and rest[1][1].kind == "paren":
        rest = rest[:1]  # `prediction (\hat{y})`: the name, and another name for it in brackets
    if not rest:
        return None, lead
    rest[0] = ("", rest[0][1])
    return (rest[0][1] if len(rest) == 1 else Prod(tuple(rest))), lead


def sym_key(node: Node | None) -> str | None:
    if isinstance(node, Sym) and node.kind != "dots" and node.primes == 0:
        return name_key(node.head, node.sub, node.sup)
    return None


def _numbers(node: Node | None) -> tuple[sp.Expr, ...] | None:
    """A number (with its sign), or a tuple of numbers."""
    if isinstance(node, Num):
        return (node.value,)
    if isinstance(node, Add) and len(node.terms) == 1 and isinstance(num := node.terms[0][1], Num):
        sign = node.terms[0][0]
        return (-num.value if sign == "-" else num.value,)
    if isinstance(node, Group) and node.kind == "tuple":
        out: list[sp.Expr] = []
        for item in node.items:
            one = _numbers(item)
            if one is None or len(one) != 1:
                return None
            out += one
        return tuple(out)
    return None


# -- the scope ---------------------------------------------------------------------------


class DocumentScope:
    """What a document has set up so far: local names, fixed numbers, its written values."""

    def __init__(self, ctx: Context) -> None:
        self.scope = Scope(
            ctx.scope.spec, ctx.scope.notation
        )  # its own: local definitions go into it
        self.ctx = replace(ctx, scope=self.scope)
        self.names: dict[
            str, sp.Expr
        ] = {}  # local name key -> its symbol (or, for an alias, the other name's key)
        self.aliases: dict[str, Sym] = {}  # x = p: x is another spelling of p
        self.vectors: dict[str, tuple[sp.Expr, ...]] = {}
        self.undefined: dict[str, str] = {}  # a name whose definition could not be read -> why
        self.fixed: dict[Any, sp.Expr] = {}  # a leaf (or a quantity taken as given) -> its number
        self.written: dict[
            Any, sp.Expr
        ] = {}  # an intermediate -> the number the document wrote for it
        self.maps: set[str] = set()  # names of the network's map, s in s(x_1, x_2) = (2, 3)
        self.defined: list[tuple[int, str, str]] = []  # (line, name, what) for the report
        self._count = 0

    # -- reading -------------------------------------------------------------
    def new_section(self) -> None:
        self.names.clear()
        self.aliases.clear()
        self.vectors.clear()
        self.undefined.clear()

    def resolver(self) -> Resolver:
        return resolver(self.scope, {}, self.names)

    def context(self, rounded: bool = False) -> Context:
        table = {**self.fixed, **(self.written if rounded else {})}
        return replace(
            self.ctx, fixed=tuple(sorted(table.items(), key=lambda kv: sp.default_sort_key(kv[0])))
        )

    @overload
    def rewrite(self, node: Node) -> Node: ...
    @overload
    def rewrite(self, node: None) -> None: ...
    @overload
    def rewrite(self, node: Node | None) -> Node | None: ...
    def rewrite(self, node: Node | None) -> Node | None:
        """Aliases spelled as the names they stand for; a product of two vectors as their dot
        product."""
        if node is None:
            return None
        return _rewrite(node, self.aliases, self.vectors)

    @property
    def leaves(self) -> dict[Any, str]:
        net = self.scope.net
        out: dict[Any, str] = {p.symbol: "parameter" for p in net.params}
        out |= (
            {s: "input" for s in net.inputs}
            | {s: "target" for s in net.targets}
            | {net.lr: "learning rate"}
        )
        if net.gain is not None:
            out[net.gain] = "gain"
        return out

    def leaf(self, node: Node | None) -> Any:
        """The parameter, input, target or rate a left side names (prose words or the map's accent
        included)."""
        if isinstance(node, Sym) and node.kind == "name":
            text = " ".join(node.head.lower().split())
            for words, cid in GLOSSARY.items():
                if text.endswith(words):
                    return self.scope.objects[cid]
        if isinstance(node, Sym) and node.kind == "accent":
            accent, _, inner = node.head.partition("{")
            if inner[:-1] in self.maps:
                for cid, latex in self.scope.names.items():
                    if (
                        latex.startswith(accent + "{")
                        and cid.startswith(("y", "o"))
                        and len(self.scope.net.targets) == 1
                    ):
                        return self.scope.objects[cid]
        try:
            value = self.resolver().expr(node) if node is not None else None
        except ResolveError:
            return None
        return value if value in self.leaves else None

    def fix(self, line: int, lhs: Node | None, rhs: Node | None) -> str | None:
        """Numbers the document fixes; None when the clause fixes nothing new (then it is a
        claim)."""
        values = _numbers(rhs)
        if values is None:
            return None
        if (
            isinstance(lhs, Prod)
            and len(lhs.items) == 2
            and isinstance(lhs.items[1][1], Group)
            and sym_key(lhs.items[0][1])
        ):
            targets: list[Node] = list(
                lhs.items[1][1].items
            )  # s(x_1, x_2) = (2, 3): the map's inputs
            self.maps.add(str(sym_key(lhs.items[0][1])))
        elif isinstance(lhs, Group) and lhs.kind == "tuple":
            targets = list(lhs.items)
        else:
            targets = [lhs] if lhs is not None else []
        leaves = [self.leaf(t) for t in targets]
        if len(leaves) != len(values) or any(x is None or x in self.fixed for x in leaves):
            return None
        shown = []
        for x, v in zip(leaves, values):
            self.fixed[x] = v
            shown.append(f"{self.ctx.show(x)} = {decimal(v)}")
        what = ", ".join(shown)
        self.defined.append((line, what, "fixes"))
        return f"fixes {what}"

    def define(self, line: int, lhs: Node | None, rhs: Node | None, fresh: bool) -> str | None:
        """``name = expression`` for a name that is not the network's; None when the clause
        is not a definition. ``fresh``: the clause may define again a name defined before."""
        key = sym_key(lhs)
        # a name (sym_key) is a Sym
        if key is None or rhs is None or not isinstance(lhs, Sym):
            return None
        if not self._definable(key, lhs, fresh):
            return None
        values = _numbers(rhs)
        if values is not None and isinstance(rhs, Group):
            self.vectors[key] = values
            self.defined.append((line, key, "vector"))
            return f"defines the vector {key} = ({', '.join(decimal(v) for v in values)})"
        target = sym_key(rhs) if isinstance(rhs, Sym) and rhs.sup is None else None
        if (
            target is not None
            and isinstance(rhs, Sym)  # as target says
            and (target in self.scope.generic or self._known(rhs))
        ):
            self.aliases[key] = rhs
            self.names.pop(key, None)
            self.undefined.pop(key, None)
            self.defined.append((line, key, "alias"))
            return f"defines {key} as another name for {target}"
        try:
            value = self.resolver().expr(self.rewrite(rhs))
        except ResolveError as exc:
            self.names.pop(key, None)
            self.undefined[key] = (
                f"{key} is defined on line {line} by an expression the reader cannot take ({exc})"
            )
            return None
        network = self._network_quantity(value)
        if (
            network is not None
        ):  # u = w_1 v_1 + ... + b is the net input itself: the name is that quantity
            self.names[key] = network
            self.undefined.pop(key, None)
            self.defined.append((line, key, "name"))
            return f"defines {key} = {self.ctx.show(network)}, the network's own"
        if key in self.names and self.scope.definitions.get(self.names[key]) == value:
            self.defined.append((line, key, "name"))
            return f"defines {key} again, as before"
        symbol = sp.Symbol(key, real=True)
        while (
            symbol in self.scope.definitions or symbol in self.leaves
        ):  # defined again: a new symbol, shown with a mark
            self._count += 1
            symbol = sp.Symbol(f"{key}^{{[{self._count}]}}", real=True)
        self.scope.define(symbol, value)
        self.names[key] = symbol
        self.undefined.pop(key, None)
        self.defined.append((line, key, "name"))
        return f"defines {key} = {self.ctx.show(value)}"

    def match(self, line: int, lhs: Node | None, rhs: Node | None) -> str | None:
        """``o_1 = \\sigma(w_1v_1 + \\dots + w_\\delta v_\\delta + b)``: a quantity of the network
        written with names the document has not defined binds those names by matching the
        network's own definition of the quantity (one level down): w_k a weight from unit k, v_k
        the value of unit k, b a bias. None when the clause is not such an equation or does not
        match."""
        unknown = self._unknown_keys(rhs)
        if not unknown or lhs is None or rhs is None:
            return None
        try:
            quantity = self.resolver().expr(lhs)
        except ResolveError:
            return None
        defs = self.scope.definitions
        if quantity not in defs:
            return None
        truth = defs[quantity].xreplace(
            {
                a: defs[a]
                for a in defs[quantity].free_symbols | defs[quantity].atoms(sp.Indexed)
                if a in defs
            }
        )
        wilds = {
            key: sp.Wild(f"W{n}", properties=[self._candidates(key)])
            for n, key in enumerate(sorted(unknown))
        }
        try:
            res = resolver(self.scope, {}, {**self.names, **wilds})
            pattern = res.expr(self.rewrite(rhs))
        except ResolveError:
            return None
        found = truth.match(pattern)
        if not found or any(w not in found for w in wilds.values()):
            return None
        bound = {key: found[w] for key, w in wilds.items()}
        self.names.update(bound)
        for key in bound:
            self.undefined.pop(key, None)
        self.defined.append((line, ", ".join(bound), "match"))
        shown = ", ".join(f"{key} = {self.ctx.show(v)}" for key, v in bound.items())
        return (
            f"defines {shown}: the equation is the network's definition of "
            f"{self.ctx.show(quantity)}"
        )

    def _unknown_keys(self, node: Node | None) -> set[str]:
        """Names (and the members of an elided series over a count, w_1 .. w_\\delta) nobody
        defined."""
        res, out = self.resolver(), set()
        for n in walk(node) if node is not None else ():
            if not isinstance(n, Sym) or n.kind not in ("letter", "greek") or n.primes:
                continue
            variants: list[Node] = [n]
            for letter in _count_letters(n):
                if letter in self.scope.counts:
                    size = self.scope.spec.sizes[self.scope.counts[letter]]
                    variants = [templated(n, letter, k) for k in range(1, size + 1)]
            for v in variants:
                try:
                    res.expr(v)
                except UnknownName:
                    key = sym_key(v)
                    if key is not None and key not in self.aliases:
                        out.add(key)
                except ResolveError:
                    continue
        return out

    def _candidates(self, key: str) -> Any:
        """The network's quantities a name can stand for: same letter in the notation; a
        subscript number k is the unit the quantity comes from (the last number of its id)."""
        head, _, sub = key.partition("_")
        pool = {
            self.scope.objects[cid]
            for cid, latex in self.scope.names.items()
            if cid in self.scope.objects
            and latex.startswith(head)
            and latex[len(head) : len(head) + 1] in ("^", "_", "")
            and (not sub.isdigit() or cid.rpartition("_")[2] == sub)
        }
        return lambda e: e in pool

    def _network_quantity(self, value: sp.Expr) -> sp.Expr | None:
        """The network's quantity a value is (itself, or by its definition), if it is one."""
        if (
            value in self.leaves
            or value in self.scope.net.definitions
            or (value in self.scope.definitions and value not in self.names.values())
        ):
            return (
                value if not isinstance(value, sp.Symbol) or value.name not in self.names else None
            )
        for quantity, definition in self.scope.net.definitions.items():
            if definition.xreplace(self.scope.canon) == value and quantity not in self.scope.canon:
                return quantity
        return None

    def forget(self, line: int, lhs: Node | None, rel: str) -> bool:
        """``b \\neq b_z``: a local name the document now says differs from what it stood for."""
        key = sym_key(lhs)
        if key is None or not (key in self.names or key in self.aliases):
            return False
        self.names.pop(key, None)
        self.aliases.pop(key, None)
        self.undefined[key] = (
            f"{key} is no longer defined: line {line} says {key} {rel} what it stood for"
        )
        return True

    def _definable(self, key: str, lhs: Sym, fresh: bool) -> bool:
        if key in self.names or key in self.aliases or key in self.vectors:
            return fresh
        if key in self.scope.generic:
            return False
        try:
            self.resolver().expr(lhs)
        except UnknownName:
            return True
        except ResolveError:
            return False
        return False

    def _known(self, node: Node) -> bool:
        try:
            self.resolver().expr(node)
        except ResolveError:
            return False
        return True

    def why_unknown(self, nodes: list[Node | None]) -> str:
        """The reason a step mentions a name whose definition failed, if it does."""
        for node in nodes:
            for n in walk(node) if node is not None else ():
                key = sym_key(n) if isinstance(n, Sym) else None
                if key in self.undefined:
                    return self.undefined[key]
        return ""


def _count_letters(node: Sym) -> list[str]:
    return [
        t
        for s in (node.sub, node.sup)
        if s is not None
        for typ, t in s.tokens
        if typ == "GREEK" or typ == "LETTER"
    ]


def decimal(value: sp.Expr) -> str:
    """A number as the document writes it: a terminating decimal when it is one."""
    for digits in range(16):
        if (value * 10**digits).is_Integer:
            return f"{sp.Float(value, 30):.{digits}f}"
    return str(sp.N(value, 15))


def _rewrite(node: Any, aliases: dict[str, Sym], vectors: dict[str, tuple[sp.Expr, ...]]) -> Any:
    if isinstance(node, Sym):
        key = sym_key(node)
        return aliases.get(key, node) if key is not None else node
    if isinstance(node, Prod):
        items = list(node.items)
        for k in range(len(items) - 1):
            a, b = sym_key(items[k][1]), sym_key(items[k + 1][1])
            if (
                a in vectors
                and b in vectors
                and items[k + 1][0] in ("*", "")
                and len(vectors[a]) == len(vectors[b])
            ):
                dot = Add(
                    tuple(
                        ("+", Prod((("", _num(x)), ("*", _num(y)))))
                        for x, y in zip(vectors[a], vectors[b])
                    )
                )
                items[k : k + 2] = [(items[k][0], Group("paren", (dot,)))]
                return _rewrite(Prod(tuple(items)), aliases, vectors)
    if isinstance(node, tuple):
        return tuple(_rewrite(item, aliases, vectors) for item in node)
    if hasattr(node, "__dataclass_fields__") and not isinstance(node, (Num,)):
        return replace(
            node,
            **{f: _rewrite(getattr(node, f), aliases, vectors) for f in node.__dataclass_fields__},
        )
    return node


def _num(value: sp.Expr) -> Node:
    num = Num(abs(value), str(abs(value)))
    return Add((("-", num),)) if value < 0 else num
