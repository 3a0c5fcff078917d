"""Training cases in a reading: per-example marks and sums over the cases.

A quantity of one training case carries a mark at the end of its superscript, as texts write
it: ``x^{(i)}``, ``a^{[2](i)}``, ``a^{(2)\\langle i\\rangle}_1``. The letter in the mark is
the notation's case letter (``case``, ``i`` by default) or the variable of a sum over the
cases, ``\\sum_{i=1}^{n}``, ``\\sum_i`` or ``\\sum_{i=1}^{m}`` whose variable is the case
letter. A spec with a mean over cases (``mean = true``) has such cases; the quantity is read
as the one of the case the letter stands for.

A mixin of :class:`symbackprop.verify.resolver.Resolver`: the methods read ``self`` as the
resolver they are part of.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from symbackprop.backprop.forms import ERROR
from symbackprop.verify.keys import latex_key, name_key
from symbackprop.verify.nodes import BigSum, Group, Script, Scripted, Sym, walk
from symbackprop.verify.reading import ResolverBase
from symbackprop.verify.scope import Scope

Tokens = tuple[tuple[str, str], ...]
CASE_KEY = "\x00case:"  # names key of a letter bound to the case of a sum over the cases
OPEN, CLOSE = ("CMD", "\\langle"), ("CMD", "\\rangle")


def case_split(tokens: Tokens, letters: set[str]) -> list[tuple[Tokens, str]]:
    """(the subscript without its case letter, the letter), for each end of a subscript's
    tokens that is one of ``letters`` (with the comma that parts it from the rest)."""
    out = []
    if tokens and tokens[0][0] == "LETTER" and tokens[0][1] in letters:
        rest = tokens[1:]
        out.append((rest[1:] if rest and rest[0][0] == "COMMA" else rest, tokens[0][1]))
    if len(tokens) > 1 and tokens[-1][0] == "LETTER" and tokens[-1][1] in letters:
        rest = tokens[:-1]
        out.append((rest[:-1] if rest[-1][0] == "COMMA" else rest, tokens[-1][1]))
    return out


def whole_error_names(scope: Scope, nodes: object) -> dict[str, sp.Expr]:
    """Where the notation writes the error of one case without a case letter (Nielsen's C), a
    claim that also writes it for a case (``C_x``, ``C^{(x)}``) or sums over the cases means
    the whole error by the bare name: ``C = \\frac{1}{n} \\sum_x C_x``,
    ``C = \\frac{1}{2n} \\sum_x \\sum_j (y_j(x) - a^L_j(x))^2``. The name's key bound to E, or
    nothing."""
    template = scope.notation.top.get("case_error", "")
    key = latex_key(template) if template and "$" not in template else None
    letter = scope.notation.get("case") or "i"
    if key is None or scope.net.case is None:
        return {}
    for node in walk(nodes):
        if isinstance(node, BigSum) and node.var == letter and letter not in scope.indices:
            if not _writes(node.body, key):  # in Haykin's \sum_n \mathcal{E}(n) each term
                return {key: ERROR}  # is one case's error, the bare name there too
            continue
        if not isinstance(node, Sym) or name_key(node.head, None, None) != key:
            continue
        if (node.sub is None) == (node.sup is None):
            continue
        if node.sub is not None and any(
            not rest for rest, _ in case_split(node.sub.tokens, {letter})
        ):
            return {key: ERROR}
        if node.sup is not None and node.sup.text.replace(" ", "") == f"({letter})":
            return {key: ERROR}
    return {}


def _writes(body: object, key: str) -> bool:
    """Whether a bare name with this key appears in ``body``."""
    return any(
        isinstance(n, Sym) and not n.scripted and name_key(n.head, None, None) == key
        for n in walk(body)
    )


class CaseReading(ResolverBase):
    """Per-example marks and sums over the training cases, for the resolver."""

    def case_letters(self) -> set[str]:
        """Letters that name a training case here: the notation's case letter (unless it is
        also a unit index) and the variables of the sums over cases around this reading."""
        letters = {k[len(CASE_KEY) :] for k in self.names if k.startswith(CASE_KEY)}
        letter = self.scope.notation.get("case") or "i"
        if letter not in self.scope.indices and letter not in self.env:
            letters.add(letter)
        return letters

    def case_marked(self, head: str, sub: Script | None, sup: Script | None) -> sp.Expr | None:
        """A name whose superscript ends in a case mark, ``(i)`` or ``\\langle i\\rangle``: the
        quantity of that case, or None when the name is not one."""
        net = self.scope.net
        if sup is None or net.case is None or self.free:
            return None
        for width, letter in self.case_marks(sup):
            rest = sup.tokens[:-width]
            script = Script(rest, None, "") if rest else None
            base = self.lookup(head, sub, script)
            if base is None and sub is None:
                base = self.only_unit(head, script)
            if base is not None and base.has(net.case):
                return base.xreplace({net.case: self.names.get(CASE_KEY + letter, net.case)})
        return None

    def case_subscripted(self, head: str, sub: Script | None, sup: Script | None) -> sp.Expr | None:
        """A name whose subscript begins or ends with a case letter (Bishop's ``y_{nk}``, a
        handout's ``a^{(2)}_{k,n}``, Nielsen's ``C_x``): the quantity of that case written
        without it; None when the name is not one."""
        net = self.scope.net
        if sub is None or net.case is None or self.free:
            return None
        for rest, letter in case_split(sub.tokens, self.case_letters()):
            script = Script(rest, None, "") if rest else None
            base = self.lookup(head, script, sup)
            if base is not None and not base.has(net.case):  # C bound to the whole error
                cid = self.scope.table.get(name_key(head, script, sup, self.env))
                base = self.scope.value_of(cid) if cid is not None else base
            if base is not None and base.has(net.case):
                return base.xreplace({net.case: self.names.get(CASE_KEY + letter, net.case)})
        return None

    def only_unit(self, head: str, sup: Script | None) -> sp.Expr | None:
        """A name written without its unit number where its layer has one unit (Ng's
        ``y^{(i)}``, ``a^{[2](i)}`` of a single output): that unit's quantity, else None."""
        first, second = (Script((("DIGIT", d),), None, d) for d in "12")
        value = self.lookup(head, first, sup)
        return value if value is not None and self.lookup(head, second, sup) is None else None

    def case_marks(self, sup: Script) -> list[tuple[int, str]]:
        """(tokens the mark takes at the end of ``sup``, its case letter), for each way the
        superscript ends in a case mark: ``\\langle i\\rangle`` or ``(i)``."""
        tokens, out = sup.tokens, []
        for width, inner in ((3, 1), (1, 0)):
            if len(tokens) < width:
                continue
            mark = tokens[-width:]
            if mark[inner][0] != "LETTER" or mark[inner][1] not in self.case_letters():
                continue
            if width == 3 and (mark[0], mark[2]) != (OPEN, CLOSE):
                continue
            if width == 1 and not sup.text.rstrip().endswith(")"):
                continue  # a bare letter is a power or an index, not a mark: x^{i}
            out.append((width, mark[inner][1]))
        return out

    def braced_case(self, node: Scripted) -> sp.Expr | None:
        """``{a^{(2)}_{1}}^{\\langle i\\rangle}``, as ``derive`` prints a case's quantity: that
        case's quantity; None when the node is not a braced name with a case mark alone."""
        net = self.scope.net
        base, sup = node.base, node.sup
        if net.case is None or self.free or node.sub is not None or node.primes or sup is None:
            return None
        if not (isinstance(base, Group) and base.kind == "brace" and len(base.items) == 1):
            return None
        marks = [letter for width, letter in self.case_marks(sup) if width == len(sup.tokens)]
        if not marks or not isinstance(base.items[0], Sym):
            return None
        value = self.expr(base.items[0])
        if not value.has(net.case):
            return None
        return value.xreplace({net.case: self.names.get(CASE_KEY + marks[0], net.case)})

    def case_sum(self, node: BigSum) -> sp.Expr | None:
        """``\\sum_{i=1}^{n}`` (or without limits, or up to any count letter, or over the set
        the notation's count names, Mitchell's ``\\sum_{d \\in D}``) whose variable is the case
        letter: a sum over the n cases; None for any other sum."""
        net = self.scope.net
        letter = self.scope.notation.get("case") or "i"
        if net.case is None or self.free or node.var != letter:
            return None
        if node.over is not None and not self.names_cases(node.over):
            return None
        if node.var in self.scope.indices or node.var in self.env:
            return None
        if node.lo is not None and self.expr(node.lo) != 1:
            return None
        hi = node.hi
        if hi is not None and not (isinstance(hi, Sym) and hi.kind == "letter" and not hi.scripted):
            return None  # up to a number: the cases written out, not the n of the mean
        inner = replace(self, names={**self.names, CASE_KEY + node.var: net.case})
        assert net.n_cases is not None
        return sp.Sum(inner.expr(node.body), (net.case, 1, net.n_cases))

    def names_cases(self, over: object) -> bool:
        """Whether a sum's set is the training set, the notation's count letter (D)."""
        cases = self.scope.notation.get("cases") or "n"
        return isinstance(over, Sym) and not over.scripted and over.head == cases
