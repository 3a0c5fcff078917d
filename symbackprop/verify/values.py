"""Helpers of the reading: free variables, vectors and series, and the bindings of free indices."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, cast

import sympy as sp

from symbackprop.verify.keys import name_key
from symbackprop.verify.layers import layered_bindings, layered_free, letter_range
from symbackprop.verify.reader import (
    BigSum,
    Group,
    Node,
    Num,
    Partial,
    Prod,
    Script,
    Sym,
    walk,
)
from symbackprop.verify.scope import MAX_BINDINGS, DeltaOp, DerivOp, FuncMarker, ResolveError, Scope

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from symbackprop.verify.reading import ResolverBase


def mentions(value: sp.Expr, atoms: frozenset[sp.Expr]) -> bool:
    """Whether an expression involves one of the network's own quantities."""
    if value in atoms:
        return True
    return bool((value.free_symbols | value.atoms(sp.Indexed)) & atoms)


def free_variables_of(expr: sp.Expr, scope: Scope) -> set[sp.Expr]:
    """The real variables of a statement of calculus (not the gain, learning rate or a count)."""
    fixed = {scope.objects.get(k) for k in ("alpha", "eta", "n")} | {
        i.base.label for i in expr.atoms(sp.Indexed)
    }
    found = {
        s
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s not in fixed and s not in scope.network_atoms
    }
    return {
        s
        for s in found
        if not any(isinstance(i, sp.Indexed) and s in i.indices for i in expr.atoms(sp.Indexed))
    } | {i for i in expr.atoms(sp.Indexed) if i not in scope.network_atoms}


def undefined_function(head: str, arg: sp.Expr, primes: int) -> sp.Expr:
    """f(arg), f'(arg) for an undefined function f (of one or several arguments)."""
    args = tuple(arg) if isinstance(arg, sp.Tuple) else (arg,)
    value = sp.Function(head, real=True)(*args)
    if primes == 0:
        return value
    if primes > 1 or len(args) != 1:
        raise ResolveError(f"only a first derivative {head}' of a function of one variable is read")
    return value.fdiff(1)


def dependencies(pairs: list[tuple[sp.Expr, sp.Expr]]) -> dict[sp.Expr, sp.Expr]:
    """Free names a statement differentiates (∂y/∂u, ∂u/∂x) as undefined functions of what they
    are differentiated by, through the shortest links: y -> y(u(x)), u -> u(x) (the chain rule's
    reading)."""
    edges: dict[sp.Expr, set[sp.Expr]] = {}
    for num, den in pairs:
        edges.setdefault(num, set()).add(den)

    def reach(start: sp.Expr, seen: frozenset[sp.Expr] = frozenset()) -> set[sp.Expr]:
        if start in seen:
            raise ResolveError(
                f"{start} is differentiated by itself through a chain of derivatives"
            )
        out: set[sp.Expr] = set()
        for d in edges.get(start, ()):
            out |= {d} | reach(d, seen | {start})
        return out

    direct = {
        n: {d for d in ds if not any(d in reach(o) for o in ds if o != d)}
        for n, ds in edges.items()
    }
    out: dict[sp.Expr, sp.Expr] = {}

    def build(name: sp.Expr) -> sp.Expr:
        if name not in direct:
            return name
        if name not in out:
            args = [build(d) for d in sorted(direct[name], key=str)]
            out[name] = sp.Function(str(name), real=True)(*args)
        return out[name]

    for name in sorted(direct, key=str):
        build(name)
    return out


VECTORS = (sp.Tuple, sp.SeqFormula)


def is_vector(value: object) -> bool:
    return isinstance(value, VECTORS)


def _each(a: sp.Expr, f: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    if isinstance(a, sp.Tuple):
        return sp.Tuple(*[f(x) for x in a])
    assert isinstance(a, sp.SeqFormula)
    return sp.SeqFormula(f(a.formula), (a.variables[0], a.start, a.stop))


def _pairwise(
    a: sp.Expr, b: sp.Expr, f: Callable[[sp.Expr, sp.Expr], sp.Expr], what: str
) -> list[sp.Expr] | sp.SeqFormula:
    if isinstance(a, sp.Tuple) and isinstance(b, sp.Tuple) and len(a) == len(b):
        return [f(x, y) for x, y in zip(a, b)]
    if (
        isinstance(a, sp.SeqFormula)
        and isinstance(b, sp.SeqFormula)
        and (a.start, a.stop) == (b.start, b.stop)
    ):
        k = a.variables[0]
        return sp.SeqFormula(
            f(a.formula, b.formula.xreplace({b.variables[0]: k})), (k, a.start, a.stop)
        )
    raise ResolveError(f"{what} of vectors of different lengths")


def times(a: sp.Expr, b: sp.Expr, op: str) -> sp.Expr:
    """a * b (op '', '*' or 'o' for \\odot) or a / b, with vectors: a scalar multiple, or the dot
    product ``\\vec{w} \\cdot \\vec{u}``."""
    if not (is_vector(a) or is_vector(b)):
        return a / b if op == "/" else a * b
    if op == "/" and is_vector(b):
        raise ResolveError("division by a vector")
    if is_vector(a) and is_vector(b) and op == "o":  # \odot: entry by entry
        pairs = _pairwise(a, b, lambda x, y: x * y, "an element-wise product")
        return pairs if isinstance(pairs, sp.SeqFormula) else sp.Tuple(*pairs)
    if is_vector(a) and is_vector(b):
        if op != "*":
            raise ResolveError("two vectors side by side: write their dot product with \\cdot")
        pairs = _pairwise(a, b, lambda x, y: x * y, "a dot product")
        if isinstance(pairs, sp.SeqFormula):
            return sp.Sum(pairs.formula, (pairs.variables[0], pairs.start, pairs.stop))
        return sp.Add(*pairs)
    if is_vector(a):
        return _each(a, lambda x: x / b if op == "/" else x * b)
    return _each(b, lambda x: a * x)


def plus(a: sp.Expr, b: sp.Expr, sign: str) -> sp.Expr:
    """a + b or a - b, element-wise for vectors (0 + v is v)."""
    if not (is_vector(a) or is_vector(b)):
        return a - b if sign == "-" else a + b
    if a == 0 and is_vector(b):
        return _each(b, lambda x: -x) if sign == "-" else b
    if not (is_vector(a) and is_vector(b)):
        raise ResolveError("a vector plus a number")
    pairs = _pairwise(a, b, lambda x, y: x - y if sign == "-" else x + y, "a sum")
    return pairs if isinstance(pairs, sp.SeqFormula) else sp.Tuple(*pairs)


SERIES_KEY = "\\varkappa"  # the running index of a series in a free count (a letter no source uses)


SERIES_INDEX = sp.Dummy("k", integer=True, positive=True)


def among_zeros(nodes: list[Node]) -> bool:
    """Every written term but at most one is 0: the elided terms are zeros too."""
    written = [n for n in nodes if not is_dots(n)]
    zeros = [n for n in written if isinstance(n, Num) and n.value == 0]
    return len(written) - len(zeros) <= 1 and len(zeros) >= 2


def is_arguments(item: tuple[str, Node]) -> bool:
    op, node = item
    return op == "" and isinstance(node, Group) and node.kind == "tuple"


def parameter_vector(res: ResolverBase, item: tuple[str, Node]) -> bool:
    """``(\\mathbf{w})`` after the error (Duda et al.'s J(w), Mitchell's E_d(w)): one name the
    notation does not know, standing for every parameter, that the error is a function of;
    never the case argument (Haykin's E(n))."""
    op, node = item
    if op or not isinstance(node, Group) or node.kind != "paren" or len(node.items) != 1:
        return False
    name = node.items[0]
    return (
        isinstance(name, Sym)
        and name.kind != "dots"
        and not res.free
        and not res.scope.case_argument(item)
        and not res.known(name.head, name.sub, name.sup)
    )


def is_dots(node: Node) -> bool:
    return isinstance(node, Sym) and node.kind == "dots"


def letters_of(node: object) -> list[str]:
    """Letters and Greek letters used as subscripts: candidates for a series' count."""
    found = [
        text
        for n in walk(node)
        if isinstance(n, Script)
        for typ, text in n.tokens
        if typ in ("LETTER", "GREEK")
    ]
    return list(dict.fromkeys(found))


def templated(node: Node, count: str, k: int | None, text: str | None = None) -> Node:
    """node with the subscript letter ``count`` replaced by the number k (or the letter text)."""
    value = str(k) if k is not None else str(text)
    kind = "LETTER" if k is None else ("DIGIT" if len(value) == 1 else "NUMBER")

    def script(sc: Script | None) -> Script | None:
        if sc is None:
            return None
        tokens = tuple(
            (kind, value) if t == count and typ in ("LETTER", "GREEK") else (typ, t)
            for typ, t in sc.tokens
        )
        # rewriting a node gives a node
        return Script(tokens, cast(Node, rewrite(sc.expr)) if sc.expr is not None else None)

    def rewrite(n: object) -> object:
        if isinstance(n, Sym):
            if n.head == count and not n.scripted:
                return Num(sp.Integer(k), value) if k is not None else replace(n, head=value)
            return replace(n, sub=script(n.sub), sup=script(n.sup))
        if isinstance(n, Script):
            return script(n)
        if isinstance(n, tuple):
            return tuple(rewrite(item) for item in n)
        if hasattr(n, "__dataclass_fields__"):
            fields = {f: rewrite(getattr(n, f)) for f in n.__dataclass_fields__}
            # hasattr does not narrow to the protocol replace() asks for; the nodes are dataclasses
            return replace(cast("DataclassInstance", n), **fields)
        return n

    return cast(Node, rewrite(node))  # rewriting a node gives a node


def shape_of(node: object) -> object:
    """A node without source positions, for comparing the terms of a series."""
    if isinstance(node, Sym):
        return ("sym", node.kind, node.head, shape_of(node.sub), shape_of(node.sup), node.primes)
    if isinstance(node, Script):
        return ("script", node.tokens)
    if isinstance(node, Num):
        return ("num", node.value)
    if isinstance(node, tuple):
        return tuple(shape_of(item) for item in node)
    if hasattr(node, "__dataclass_fields__"):
        fields = node.__dataclass_fields__
        return (type(node).__name__, *(shape_of(getattr(node, f)) for f in fields))
    return node


def as_partial(node: Node) -> Node:
    """A numerator ``\\partial v_{h,o} * H_h`` or ``\\partial \\sum ...`` is ∂ of the whole
    numerator."""
    if isinstance(node, Prod) and node.items and isinstance(node.items[0][1], Partial):
        first = node.items[0][1]
        rest = list(node.items[1:])
        items = ([("", first.body)] if first.body is not None else []) + rest
        if items and items[0][0] == "*":
            items[0] = ("", items[0][1])
        body = items[0][1] if len(items) == 1 else Prod(tuple(items))
        return Partial(body)
    return node


def trim_suffix(sub: Script) -> Script:
    tokens = list(sub.tokens)
    while tokens and tokens[-1][0] != "COMMA":
        tokens.pop()
    if tokens:
        tokens.pop()
    return Script(tuple(tokens), None)


def marker_error(value: object) -> str:
    if isinstance(value, FuncMarker):
        return f"the function {value.head} needs an argument in parentheses"
    if isinstance(value, DerivOp):
        return "the operator \\frac{\\partial}{\\partial D} needs something to act on"
    if isinstance(value, DeltaOp):
        return "\\Delta must be followed by a parameter"
    return "not an expression"


def free_variables(
    nodes: list[Node], scope: Scope, fixed: Mapping[str, object]
) -> dict[str, tuple[int | str, ...]]:
    """Index letters and generic names a claim leaves free, each with its range."""
    found: dict[str, tuple[int | str, ...]] = {}
    indices = scope.indices
    sizes = scope.spec.sizes

    def visit(node: object, bound: frozenset[str]) -> None:
        if isinstance(node, BigSum):
            visit(node.lo, bound)
            visit(node.hi, bound)
            visit(node.body, bound | {node.var})
            return
        if isinstance(node, Sym):
            key = name_key(node.head, node.sub, node.sup)
            if key in scope.generic and key not in fixed:
                found[key] = scope.generic[key]
            for script in (node.sub, node.sup):
                if script is None:
                    continue
                for typ, text in script.tokens:
                    if (
                        typ == "LETTER"
                        and text in indices
                        and text not in bound
                        and text not in fixed
                    ):
                        found[text] = tuple(range(1, sizes[indices[text]] + 1))
                if script.expr is not None:
                    visit(script.expr, bound)
            return
        if isinstance(node, tuple):
            for item in node:
                visit(item, bound)
            return
        if hasattr(node, "__dataclass_fields__"):
            for name in node.__dataclass_fields__:
                visit(getattr(node, name), bound)

    for n in nodes:
        visit(n, frozenset())
    if scope.notation.layered:  # unit letters with the numbers the notation gives them
        found = {k: letter_range(scope, k) if k in indices else v for k, v in found.items()}
    found.update(layered_free(scope, list(nodes), fixed))
    return dict(sorted(found.items()))


def bindings(
    free: dict[str, tuple[int | str, ...]],
    scope: Scope | None = None,
    nodes: list[Node] | None = None,
) -> list[dict[str, int | str]]:
    """Every binding of the free indices (in a layered notation, those where the claim's names
    exist)."""
    if scope is not None and scope.notation.layered and free:
        return layered_bindings(scope, list(nodes or []), free)[0]
    keys = list(free)
    combos = list(itertools.islice(itertools.product(*(free[k] for k in keys)), MAX_BINDINGS + 1))
    if len(combos) > MAX_BINDINGS:
        raise ResolveError(
            f"the free indices {', '.join(keys)} have more than {MAX_BINDINGS} bindings; give "
            "--bind"
        )
    return [dict(zip(keys, c)) for c in combos]
