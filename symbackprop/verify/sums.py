"""Diagnoses of a wrong sum, term by term: which terms of the truth the claim misses, which it
has in excess, and what each matching term misses or has in excess."""

from __future__ import annotations

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
    if _long(num) or _long(den):
        if not (small(num) and small(den)):
            return None
        num, den = sp.fraction(sp.factor(sp.cancel(num / den)))
        if _long(num) or _long(den):
            return None
    return num, den


def _named(ctx: Context, items: list[sp.Expr]) -> str:
    shown = [ctx.show(t) for t in items]
    if any(len(s) > MAX_SHOWN_TERM for s in shown):
        return f"{len(items)} term{'s' if len(items) > 1 else ''}"
    return " and ".join(shown)


def term_by_term(ctx: Context, claimed: sp.Expr, true: sp.Expr) -> tuple[str, int]:
    """What differs between two sums, term by term ('' when they do not pair up), and the sign
    that every matched term has against its true term (1 when the signs differ)."""
    claim_terms, true_terms = list(sp.Add.make_args(claimed)), list(sp.Add.make_args(true))
    if len(claim_terms) + len(true_terms) > MAX_TERMS or len(true_terms) < 2:
        return "", 1
    pairs: list[tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]] = []
    unmatched = list(claim_terms)
    missing_terms = []
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
        pairs.append((best[0], t, *best[1]))
    if not pairs:
        return "", 1
    lines = []
    if missing_terms:
        lines.append(f"missing terms of the sum: {_named(ctx, missing_terms)}")
    if unmatched:
        lines.append(f"extra terms in the sum: {_named(ctx, unmatched)}")
    signs = {_sign(num) * _sign(den) for *_, num, den in pairs}
    sign = signs.pop() if len(signs) == 1 else 1
    flipped = sum(1 for *_, num, den in pairs if _sign(num) * _sign(den) < 0)
    if 0 < flipped < len(pairs):
        lines.append(f"{flipped} of the {len(pairs)} terms have the wrong sign")
    for label, pick in (("missing", 3), ("extra", 2)):
        found = [p[pick] for p in pairs if not p[pick].is_number]
        if found:
            where = (
                ""
                if len(found) == len(true_terms)
                else f" ({len(found)} of {len(true_terms)} terms)"
            )
            shown = " and ".join(ctx.show(-f if f.could_extract_minus_sign() else f) for f in found)
            lines.append(f"term by term, {label}: {shown}{where}")
    return "; ".join(lines), sign


def _sign(expr: sp.Expr) -> int:
    coeff = sp.Mul(*(f for f in sp.Mul.make_args(expr) if f.is_number))
    return -1 if coeff < 0 else 1
