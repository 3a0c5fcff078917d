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

from symbackprop.verify.nodes import BigSum, Group, Script, Scripted, Sym
from symbackprop.verify.reading import ResolverBase

CASE_KEY = "\x00case:"  # names key of a letter bound to the case of a sum over the cases
OPEN, CLOSE = ("CMD", "\\langle"), ("CMD", "\\rangle")


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
            base = self.lookup(head, sub, Script(rest, None, "") if rest else None)
            if base is not None and base.has(net.case):
                return base.xreplace({net.case: self.names.get(CASE_KEY + letter, net.case)})
        return None

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
        """``\\sum_{i=1}^{n}`` (or without limits, or up to any count letter) whose variable is
        the case letter: a sum over the n cases; None for any other sum."""
        net = self.scope.net
        letter = self.scope.notation.get("case") or "i"
        if net.case is None or self.free or node.var != letter or node.over is not None:
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
