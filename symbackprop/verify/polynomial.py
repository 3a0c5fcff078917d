"""Multiplying out with sparse polynomials: the cheap proof that a difference is zero.

``sp.expand`` builds a SymPy expression for every partial product: slow on a batch update's
entries and a network's sums of products. Here the difference is
multiplied out as a Laurent polynomial in its quantities instead: a dict from monomials to
rational coefficients, each monomial one integer (the exponent of quantity ``i`` is the digit
``i`` in base ``2**32``, balanced, so negative powers add like the others and two monomials
multiply by adding their integers).

Anything that is not a sum, product, whole-number power, rational number or quantity
(a function such as σ(z), a root, a float, a power of a sum with a negative exponent) is kept
whole, as one more quantity; a sum over an index is split term by term, each monomial of its
summand summed on its own. A zero polynomial is then a proof that the difference is zero.
A non-zero one decides that ``sp.expand`` gives no zero either only when nothing was kept
whole; otherwise the answer is left to ``sp.expand`` (:func:`zero_when_multiplied_out`
returns None).
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

Coefficient = int | Fraction
Poly = dict[int, Coefficient]

SHIFT = 32  # bits per quantity's exponent in a monomial
MAX_EXPONENT = 1 << 20  # powers beyond this are kept whole (the digits must not overflow)
MAX_WORK = 2_000_000  # products of more term pairs than this are left to SymPy
MAX_MULTINOMIAL = 64  # a sum raised to a higher power is kept whole


class TooLargeError(Exception):
    """The difference is too large to multiply out here."""


class Expansion:
    """The polynomials of one difference's subexpressions, each computed once."""

    def __init__(self) -> None:
        self.index: dict[object, int] = {}
        self.memo: dict[sp.Basic, Poly] = {}
        self.whole = False  # something was kept whole: a non-zero result decides nothing

    def poly(self, expr: sp.Basic) -> Poly:
        found = self.memo.get(expr)
        if found is None:
            found = self._poly(expr)
            self.memo[expr] = found
        return found

    def _poly(self, expr: sp.Basic) -> Poly:
        if expr.is_Rational:
            p, q = int(expr.p), int(expr.q)
            return {0: p if q == 1 else Fraction(p, q)} if p else {}
        if isinstance(expr, sp.Add):
            return added([self.poly(a) for a in expr.args])
        if isinstance(expr, sp.Mul):
            out: Poly = {0: 1}
            for factor in expr.args:
                out = product(out, self.poly(factor))
            return out
        if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
            n = int(expr.exp)
            base = self.poly(expr.base)
            if 0 < n <= (MAX_EXPONENT if len(base) == 1 else MAX_MULTINOMIAL):
                return power(base, n)
            if -MAX_EXPONENT <= n < 0 and len(base) == 1:
                return power(inverse(base), -n)
        if isinstance(expr, sp.Sum) and all(x.is_Symbol or x.is_Integer for x in flat(expr)):
            return self.sum(expr)
        if not isinstance(expr, (sp.Symbol, sp.Indexed)):
            self.whole = True
        return {self.monomial(expr): 1}

    def sum(self, expr: sp.Sum) -> Poly:
        """A sum over an index, term by term as ``expand`` splits it: each monomial of the
        summand is summed on its own, the coefficient taken out."""
        out: Poly = {}
        for m, c in self.poly(expr.function).items():
            key = self.monomial(("sum", m, expr.limits))
            out[key] = out.get(key, 0) + c
        return out

    def monomial(self, atom: object) -> int:
        i = self.index.setdefault(atom, len(self.index))
        return 1 << (SHIFT * i)


def flat(expr: sp.Sum) -> list[sp.Basic]:
    """The variables and bounds of a sum's limits."""
    return [x for limit in expr.limits for x in limit]


def added(polys: list[Poly]) -> Poly:
    out: Poly = {}
    for p in polys:
        for m, c in p.items():
            out[m] = out.get(m, 0) + c
    return {m: c for m, c in out.items() if c}


def product(p: Poly, q: Poly) -> Poly:
    if len(p) < len(q):
        p, q = q, p
    if len(p) * len(q) > MAX_WORK:
        raise TooLargeError
    if len(q) == 1:
        ((mq, cq),) = q.items()
        return {m + mq: c * cq for m, c in p.items()}
    out: Poly = {}
    get = out.get
    for mq, cq in q.items():
        for m, c in p.items():
            k = m + mq
            out[k] = get(k, 0) + c * cq
    return {m: c for m, c in out.items() if c}


def power(p: Poly, n: int) -> Poly:
    if len(p) == 1:
        ((m, c),) = p.items()
        return {m * n: c**n}
    out: Poly = {0: 1}
    for _ in range(n):
        out = product(out, p)
    return out


def inverse(monomial: Poly) -> Poly:
    ((m, c),) = monomial.items()
    return {-m: Fraction(1) / c}


def zero_when_multiplied_out(diff: sp.Basic) -> bool | None:
    """True when ``diff`` multiplies out to 0 (a proof), False when it does not and
    ``sp.expand(diff)`` would not give 0 either, None when only SymPy can say."""
    expansion = Expansion()
    try:
        poly = expansion.poly(diff)
    except (TooLargeError, RecursionError):
        return None
    if not poly:
        return True
    return None if expansion.whole else False


def multiplies_out_to_zero(diff: sp.Basic) -> bool:
    """Whether ``sp.expand(diff)`` is 0, asked of the sparse polynomial first."""
    if diff == 0:
        return True
    known = zero_when_multiplied_out(diff)
    return known if known is not None else bool(sp.expand(diff) == 0)
