"""Diagnoses of a wrong sum, term by term: which terms of the truth the claim misses, which it
has in excess, and what each matching term misses or has in excess."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from symbackprop.verify.claim import Context
from symbackprop.verify.numeric import cancel_common, small

MAX_TERMS = 64  # sums longer than this are not matched term by term
MAX_SHOWN_TERM = 120  # a missing or extra term longer than this is counted, not printed


def _factors_of(expr: sp.Expr) -> list[sp.Expr]:
    return [f for f in sp.Mul.make_args(expr) if not f.is_number]


def _long(expr: sp.Expr) -> bool:
    """A factor that is a sum over three or more quantities (not a local factor like 1 - a)."""
    return any(
        isinstance(b, sp.Add) and len(b.free_symbols | b.atoms(sp.Indexed)) >= 3
        for b in (f.as_base_exp()[0] for f in _factors_of(expr))
    )


def _ratio(claimed: sp.Expr, true: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """claimed/true as (extra, missing) when they differ by whole factors, else None."""
    num, den = cancel_common(claimed, true)
    if num != den and small(num) and small(den):  # (y - a)(-2a + 2a^2)/2 is (a - y) a (1 - a)
        num, den = sp.fraction(sp.factor(sp.cancel(num / den)))
    if _long(num) or _long(den):
        return None
    return num, den


def _named(ctx: Context, label: str, items: list[sp.Expr], total: int) -> str:
    """'missing 2 of the 3 terms of the sum: t1 and t2' (the terms left out when long)."""
    shown = [ctx.show(t) for t in items]
    head = f"{label} {len(items)} of the {total} terms of the sum"
    if any(len(s) > MAX_SHOWN_TERM for s in shown):
        return head
    return f"{head}: {' and '.join(shown)}"


def _oriented(expr: sp.Expr, flip: Callable[[sp.Expr], bool]) -> tuple[int, list[sp.Expr]]:
    """The sign and the factors of a product, each sum factor that ``flip`` says reads better
    negated (1 - a, not -1 + a) negated."""
    sign, out = 1, []
    for f in sp.Mul.make_args(expr):
        if f.is_number:
            sign *= -1 if f < 0 else 1
            continue
        base, exp = f.as_base_exp()
        if exp.is_Integer and flip(base):
            base, sign = -base, sign * (-1) ** int(exp)
        out.append(base if exp == 1 else sp.Pow(base, exp, evaluate=False))
    return sign, out


def softmax_cross_terms(ctx: Context, kept: list[sp.Expr], missing: list[sp.Expr]) -> bool:
    """Whether a softmax output's Jacobian sum lost exactly its cross terms: the claim keeps one
    output's term (its target y_j) and leaves out one term for every other output k."""
    net = ctx.scope.net
    if ctx.scope.spec.activations[-1] != "softmax" or len(kept) != 1:
        return False
    targets = set(net.targets)

    def target_of(term: sp.Expr) -> sp.Expr | None:
        mine = targets & (term.free_symbols | term.atoms(sp.Indexed))
        return mine.pop() if len(mine) == 1 else None

    own = target_of(kept[0])
    others = [target_of(t) for t in missing]
    return (
        own is not None
        and len(missing) == len(targets) - 1
        and None not in others
        and len(set(others) | {own}) == len(targets)
    )


def term_by_term(
    ctx: Context, claimed: sp.Expr, true: sp.Expr, flip: Callable[[sp.Expr], bool]
) -> tuple[str, int]:
    """What differs between two sums, term by term ('' when they do not pair up), and the sign
    that every matched term has against its true term (1 when the signs differ)."""
    claim_terms, true_terms = list(sp.Add.make_args(claimed)), list(sp.Add.make_args(true))
    if len(claim_terms) + len(true_terms) > MAX_TERMS or len(true_terms) < 2:
        return "", 1
    pairs: list[tuple[int, list[sp.Expr], list[sp.Expr]]] = []
    unmatched = list(claim_terms)
    missing_terms: list[sp.Expr] = []
    matched: list[sp.Expr] = []
    for t in true_terms:
        best = None
        for c in unmatched:
            r = _ratio(c, t)
            if r is not None and (best is None or sp.count_ops(r) < sp.count_ops(best[1])):
                best = (c, r)
        if best is None:
            missing_terms.append(t)
            continue
        unmatched.remove(best[0])
        matched.append(t)
        (sn, num), (sd, den) = (_oriented(x, flip) for x in best[1])
        pairs.append((sn * sd, num, den))
    if not pairs:
        return "", 1
    lines = []
    if missing_terms:
        lines.append(_named(ctx, "missing", missing_terms, len(true_terms)))
        if not unmatched and softmax_cross_terms(ctx, matched, missing_terms):
            lines.append("the cross terms k ≠ j of the softmax's Jacobian are missing")
    if unmatched:
        lines.append(_named(ctx, "extra", unmatched, len(claim_terms)))
    signs = {sign for sign, _, _ in pairs}
    sign = signs.pop() if len(signs) == 1 else 1
    flipped = sum(1 for sign_, _, _ in pairs if sign_ < 0)
    if 0 < flipped < len(pairs):
        lines.append(f"{flipped} of the {len(pairs)} terms have the wrong sign")
    for label, found in (
        ("missing", [den for _, _, den in pairs if den]),
        ("extra", [num for _, num, _ in pairs if num]),
    ):
        if found:
            where = (
                ""
                if len(found) == len(true_terms)
                else f" ({len(found)} of {len(true_terms)} terms)"
            )
            shown = " and ".join(ctx.show(sp.Mul(*f, evaluate=False)) for f in found)
            lines.append(f"term by term, {label}: {shown}{where}")
    return "; ".join(lines), sign
