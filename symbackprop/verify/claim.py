"""What a claim is: its text, steps, left-hand side and bindings; the verdict types and the
context."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any

import sympy as sp

from symbackprop.backprop.evaluate import Values
from symbackprop.backprop.forms import ERROR, general_gradient, product
from symbackprop.errors import SymbackpropError
from symbackprop.model.notation import Notation, load_notation
from symbackprop.model.spec import NetworkSpec
from symbackprop.printing.latex import NotationPrinter
from symbackprop.verify.keys import latex_key
from symbackprop.verify.polynomial import multiplies_out_to_zero
from symbackprop.verify.reader import Clause, Frac, Group, Node, Partial, Prod, Sym, parse
from symbackprop.verify.resolver import Resolver
from symbackprop.verify.scope import Scope, UnknownName
from symbackprop.verify.values import as_partial

KINDS = ("gradient", "update", "new", "equation")


class Verdict(str, Enum):
    """A verdict, ordered from worst to best: ``min`` of several is the one to report.

    A ``str`` so that JSON, TOML and comparisons with the words work as they read."""

    UNREADABLE = "unreadable"
    FAILS = "does not hold"
    UNDECIDED = "undecided"
    HOLDS = "holds"

    __str__ = str.__str__  # the words, not Verdict.HOLDS (Python 3.12 formats enums by str())

    @property
    def rank(self) -> int:
        return list(Verdict).index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return self.rank < other.rank


VERDICTS = tuple(v.value for v in reversed(Verdict))  # holds first, as the CLI lists them


ASSIGNMENTS = (
    ":=",
    "\\leftarrow",
    "\\gets",
    "\\longleftarrow",
    "\\rightarrow",  # Nielsen's w \rightarrow w - \eta ...: w is replaced by
)  # w \leftarrow w - \eta ...: p's new value
CLAIM_RELS = ("=", "\\approx", "\\equiv", *ASSIGNMENTS)


@dataclass(frozen=True)
class Claim:
    """One claim: LaTeX, and what it is about (param, kind, binding), and where it comes from."""

    latex: str
    param: str | None = None
    kind: str | None = None
    bind: tuple[tuple[str, str], ...] = ()
    source: str = ""
    decimals: int | None = None


@dataclass(frozen=True)
class Outcome:
    """The verdict on one step of a claim under one binding, with the diagnosis."""

    source: str
    claim: str
    kind: str
    param: str
    binding: str
    verdict: Verdict
    correct: str = ""
    ratio: str = ""
    counterexample: str = ""
    factor: str = ""
    remark: str = ""
    step: int = 1
    generic: bool = (
        False  # the binding gives a generic name (w_z, p) one parameter it may stand for
    )

    def to_json(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def _repr_latex_(self) -> str:
        """The claim, its verdict and (when it fails) the correct form, for Jupyter."""
        head = f"\\textbf{{{self.verdict}}}" + (f"\\ ({self.binding})" if self.binding else "")
        rows = [f"{head}: & {self.claim}"]
        if self.verdict != Verdict.HOLDS and self.correct:
            rows.append(f"\\text{{correct:}} & {self.correct}")
        return "$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$"

    @property
    def diagnosis(self) -> str:
        parts = []
        if self.verdict != Verdict.HOLDS and self.correct:
            parts.append(f"correct: {self.correct}")
        if self.ratio:
            parts.append(f"claim/true = {self.ratio}")
        if self.factor:
            parts.append(self.factor)
        if self.counterexample:
            parts.append(f"counterexample: {self.counterexample}")
        if self.remark:
            parts.append(self.remark)
        return "; ".join(parts)


@dataclass(frozen=True)
class Context:
    """A spec, its notation and optional values (for numeric claims)."""

    scope: Scope
    values: Values | None = None
    learning_rate: sp.Expr | None = (
        None  # a source's fixed learning rate (the essay's p' = p - dE/dp: 1)
    )
    fixed: tuple[
        tuple[sp.Expr, sp.Expr], ...
    ] = ()  # numbers a document fixes (symbackprop.document), for numeric claims

    @cached_property
    def printer(self) -> NotationPrinter:
        """One printer per context (built once: a diagnosis prints many expressions)."""
        return NotationPrinter(self.scope.names, self.scope.notation)

    def show(self, expr: sp.Expr) -> str:
        return self.printer.doprint(expr)

    @cached_property
    def numbers(self) -> dict[tuple[int, bool, int], dict[Any, sp.Expr]]:
        """The values computed at each random point (by seed, whether the targets obey the
        loss's constraint, and digits): every evaluation of this context's claims shares them."""
        return {}

    @cached_property
    def points(self) -> dict[tuple[int, bool], dict[Any, sp.Expr]]:
        """Each random point (by seed and whether the targets obey the loss's constraint),
        drawn once: every binding of every claim reads the same one."""
        return {}


def context(
    spec: NetworkSpec,
    notation: Notation | str | None = None,
    values: Values | None = None,
    learning_rate: sp.Expr | None = None,
) -> Context:
    if notation is None or isinstance(notation, str):
        notation = load_notation(notation or spec.notation, spec.base_dir)
    return Context(Scope(spec, notation), values, learning_rate)


@dataclass(frozen=True)
class Step:
    lhs: Node | None
    rel: str
    rhs: Node


def steps_of(clauses: list[Clause]) -> list[Step]:
    """Each right-hand side of a chain, paired with the chain's first side."""
    out: list[Step] = []
    lhs: Node | None = None
    for n, clause in enumerate(clauses):
        sides = list(clause.sides)
        if not clause.rels:
            if n == 0 and sides[0] is not None:
                out.append(Step(None, "=", sides[0]))
            continue
        if sides[0] is not None:
            lhs = sides[0]
        for rel, rhs in zip(clause.rels, sides[1:]):
            if rel in CLAIM_RELS and rhs is not None:
                out.append(Step(lhs, rel, rhs))
    return out


def claim_clauses(latex: str) -> list[Clause]:
    """The first clause of a claim and any continuation rows (``&= ...``)."""
    doc = parse(latex)
    clauses: list[Clause] = []
    for row in doc.rows:
        if row.clauses and (not clauses or row.clauses[0].rels or row.clauses[0].sides[0] is None):
            clauses.append(row.clauses[0])
    if not clauses:
        raise SymbackpropError("the claim has no expression")
    return clauses


@dataclass(frozen=True)
class Lhs:
    kind: str
    pid: str


def lhs_meaning(node: Node | None, res: Resolver, rel: str = "=") -> Lhs | None:
    """∂E/∂p -> gradient, Δp -> update, p_{new} / p' / p^{(t+1)} / p(n+1) -> new, and p itself
    assigned (``p \\leftarrow ...``, ``p := ...``) -> new; anything else -> None."""
    scope = res.scope
    if node is None:
        return None
    if rel in ASSIGNMENTS:
        value = res.value(node)
        pid = scope.param_of(value) if isinstance(value, sp.Basic) else None
        if pid is not None:
            return Lhs("new", pid)
    num, den = (
        (as_partial(node.num), as_partial(node.den)) if isinstance(node, Frac) else (None, None)
    )
    if isinstance(num, Partial) and isinstance(den, Partial):
        if num.body is None or den.body is None:
            return None
        top = res.value(num.body)
        if top == ERROR:
            pid = scope.param_of(res.value(den.body))
            if pid is not None:
                return Lhs("gradient", pid)
        return None
    if isinstance(node, Prod) and len(node.items) == 2:
        head = node.items[0][1]
        if (
            isinstance(head, Sym)
            and head.head == "\\Delta"
            and (
                not head.scripted
                or (head.sup is None and scope.case_script(head.sub) and scope.net.case is None)
            )  # Δ_p w over several cases: one case's change, read as an equation
            and res.lookup("\\Delta", None, None) is None
        ):
            pid = scope.param_of(res.value(node.items[1][1]))
            if pid is not None:
                return Lhs("update", pid)
    iterated = (  # p(n+1); not d/dx (...), a derivative (its value is costly to build)
        isinstance(node, Prod)
        and len(node.items) == 2
        and isinstance(node.items[1][1], Group)
        and not isinstance(node.items[0][1], Frac)
    )
    if iterated or (isinstance(node, Sym) and (node.primes == 1 or node.scripted)):
        value = res.value(node)
        if any(value == scope.value_of(d) for d in scope.deltas):
            return None  # δ of a unit is never a parameter's new value
        return _new_value_of(scope, value)
    return None


def _new_value_of(scope: Scope, value: object) -> Lhs | None:
    """The parameter p whose new value p - η ∂E/∂p ``value`` is, multiplied out. Without the
    learning rate η it is none (∂E/∂p is never zero)."""
    if not isinstance(value, sp.Basic):
        return None
    symbols = value.free_symbols
    if scope.net.lr not in symbols:
        return None
    for p in scope.net.params:
        if (
            p.symbol != value
            and p.symbol in symbols
            and multiplies_out_to_zero(value - p.symbol - scope.update_mid(p.id))
        ):
            return Lhs("new", p.id)
    return None


def truth_mid(scope: Scope, kind: str, pid: str) -> sp.Expr:
    if kind == "gradient":
        return scope.grad_mid(pid)
    if kind == "update":
        return scope.update_mid(pid)
    return scope.net.param(pid).symbol + scope.update_mid(pid)


def general_truth(scope: Scope, kind: str, pid: str) -> sp.Expr:
    """:func:`truth_mid` for every target: without the constraint categorical targets obey."""
    net = scope.net
    grad = general_gradient(net, net.param(pid)).xreplace(scope.canon)
    if kind == "gradient":
        return grad
    if kind == "update":
        return -net.lr * grad
    return net.param(pid).symbol - net.lr * grad


def truth_display(scope: Scope, kind: str, pid: str) -> sp.Expr:
    """The truth as the derivation prints it (chain order), for the diagnosis."""
    shown = scope.gradient(pid).compact.display
    if kind == "gradient":
        return shown
    update = product([sp.Integer(-1), scope.net.lr, shown])
    if kind == "update":
        return update
    return sp.Add(scope.net.param(pid).symbol, update, evaluate=False)


def parse_bind(text: str) -> tuple[tuple[str, str], ...]:
    """``o=2,h=1`` -> (('o','2'), ('h','1')); a name may be bound too: ``w_{\\hat{y}}=w_1``."""
    out: list[tuple[str, str]] = []
    depth, start, parts = 0, 0, []
    for i, ch in enumerate(text):
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    for part in parts:
        key, eq, value = part.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise SymbackpropError(
                f"--bind expects name=value pairs separated by commas, got {part!r}"
            )
        if any(k == key.strip() for k, _ in out):
            raise SymbackpropError(f"--bind gives {key.strip()!r} twice; bind each name once")
        out.append((key.strip(), value.strip()))
    return tuple(out)


def fixed_binding(
    ctx: Context, bind: tuple[tuple[str, str], ...]
) -> tuple[dict[str, int | str], dict[str, sp.Expr]]:
    """Index letters fixed to numbers; names (generic or not) fixed to a notation name."""
    scope = ctx.scope
    ints: dict[str, int | str] = {}
    named: dict[str, sp.Expr] = {}
    for key, value in bind:
        if value.isdigit() and len(key) == 1 and key.isalpha():
            ints[key] = int(value)
            continue
        k = latex_key(key)
        if k is None:
            raise SymbackpropError(f"--bind: {key!r} is not a name")
        target = bound_value(scope, single_expression(value))
        named[k] = target
        pid = scope.param_of(target)
        if k in scope.generic and pid is not None:
            ints[k] = pid
    return ints, named


def bound_value(scope: Scope, node: Node) -> sp.Expr:
    """A bound name's value: a quantity of the network, or an expression of free variables
    (``y=\\frac{1}{1 + \\exp(-\\alpha x)}``, the definition a statement of calculus refers to)."""
    try:
        return Resolver(scope).expr(node)
    except UnknownName as exc:
        reading = Resolver(scope).free_reading()
        value = reading.expr(node)
        assert reading.record is not None
        if reading.record.network:
            raise exc from None
        return value


def single_expression(latex: str) -> Node:
    clauses = claim_clauses(latex)
    node = clauses[0].sides[0]
    if len(clauses) != 1 or clauses[0].rels or node is None:
        raise SymbackpropError(f"{latex!r} is not one expression")
    return node


def param_binding(
    ctx: Context, pid: str, free: dict[str, tuple[int | str, ...]]
) -> dict[str, int | str]:
    """The binding of free index letters implied by a parameter: its layer's units."""
    scope = ctx.scope
    p = scope.net.param(pid)
    out: dict[str, int | str] = {}
    for letter, layer in scope.indices.items():
        if letter not in free or "'" in letter:  # k' is never the parameter's own unit
            continue
        if layer == p.layer:
            out[letter] = p.to_unit
        elif layer == p.layer - 1 and p.from_unit is not None:
            out[letter] = p.from_unit
    for key, ids in free.items():
        if isinstance(ids[0], str) and pid in ids:
            out[key] = pid
    return out
