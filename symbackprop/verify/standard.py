"""Standard symbols that no notation defines: the Kronecker delta ``\\delta_{kj}`` between two
unit indices, and the free variables of a statement of calculus (x, x_1, f applied to x).

A mixin of :class:`symbackprop.verify.resolver.Resolver`: the methods read ``self`` as the
resolver they are part of. A notation's own names always come first: these readings are asked
only for a name the notation does not give.
"""

from __future__ import annotations

import sympy as sp

from symbackprop.verify.keys import name_key, script_key
from symbackprop.verify.layers import set_units
from symbackprop.verify.reader import BigSum, Group, Script, Sym
from symbackprop.verify.reading import ResolverBase
from symbackprop.verify.scope import FUNCTION_LETTERS, FuncMarker, ResolveError, Value
from symbackprop.verify.unitnames import KRONECKER, fed_set


def kronecker(
    head: str, sub: Script | None, sup: Script | None, env: dict[str, int | str]
) -> sp.Expr | None:
    """``\\delta_{kj}``, ``\\delta_{k,j}``, ``\\delta_{kk'}``, ``\\delta_{66}`` (two digits: two
    units; from 10 on, ``\\delta_{10,10}``): 1 if the two unit indices are bound to the same
    unit, else 0 (None when the name is not two bound indices or numbers)."""
    if head not in KRONECKER or sub is None or sup is not None:
        return None
    units: list[int] = []
    tokens = sub.tokens
    if len(tokens) == 1 and tokens[0][0] == "NUMBER" and len(tokens[0][1]) == 2:
        tokens = tuple(("DIGIT", d) for d in tokens[0][1])  # \delta_{66}: units 6 and 6
    for typ, text in tokens:
        if typ == "COMMA":
            continue
        bound = env.get(text) if typ == "LETTER" else None
        if isinstance(bound, int):
            units.append(bound)
        elif typ in ("DIGIT", "NUMBER") and text.isdigit():
            units.append(int(text))
        else:
            return None
    if len(units) != 2:
        return None
    return sp.Integer(1 if units[0] == units[1] else 0)


class StandardReading(ResolverBase):
    """Names outside the notation, for the resolver."""

    def standard(self, head: str, sub: Script | None, sup: Script | None) -> sp.Expr | None:
        """A standard symbol the notation does not name (the Kronecker delta), or None."""
        return kronecker(head, sub, sup, dict(self.env))

    def unit_delta(self, head: str, sub: Script | None, sup: Script | None) -> sp.Expr | None:
        """The notation's δ written without its indices (Nielsen's ∂C/∂b = δ) in a claim about
        one weight or bias given by a generic name (b, w): the δ of that parameter's unit."""
        template = self.scope.notation.layer.get("delta") or ""
        if sub is not None or sup is not None or self.free or not template:
            return None
        if head != template.split("^")[0].split("_")[0].strip():
            return None
        pids = {self.scope.param_of(self.names[k]) for k in self.scope.generic if k in self.names}
        pids.discard(None)
        if not pids:
            return None
        if len(pids) > 1:
            raise ResolveError(
                f"{head} without its unit names no one δ here; write its indices, or write the "
                "claim about one weight or bias (\\frac{\\partial C}{\\partial b} = \\delta)"
            )
        param = self.scope.net.param(str(pids.pop()))
        return self.scope.value_of(f"d{param.layer}_{param.to_unit}")

    def fed_units(self, node: BigSum) -> list[int] | None:
        """``\\sum_{k \\in Downstream(j)}`` and the other sets of
        :data:`symbackprop.verify.layers.UNIT_SETS`: the units of the layer after (or before) j's
        (None for a sum over anything else)."""
        named = fed_set(node.over)
        if named is None:
            return None
        letter, step = named
        unit = self.env.get(letter)
        if not isinstance(unit, int):
            raise ResolveError(
                f"the set of units of {letter}: {letter} is not a unit of this claim"
            )
        return set_units(self.scope, letter, unit, step)

    def free_symbol(self, head: str, sub: Script | None) -> sp.Expr:
        """A free variable: x, or x_1 / w_n as an indexed variable (so that series can be
        summed)."""
        name = head if "{" in head else head.lstrip("\\")  # \\vec{w} stays, \\beta -> beta
        if sub is None:
            base: sp.Expr = sp.Symbol(name, real=True)
        elif sub.expr is not None and not isinstance(sub.expr, Group):
            index = sub.expr
            bound = (
                self.env.get(index.head) if isinstance(index, Sym) and not index.scripted else None
            )
            value = sp.Integer(bound) if isinstance(bound, int) else self.expr(index)
            base = sp.IndexedBase(name, real=True)[value]
        else:
            base = sp.Symbol(name_key(head, sub, None, self.env), real=True)
        return self.functions.get(base, base)

    def free_name(
        self, head: str, kind: str, sub: Script | None, sup: Script | None, primes: int
    ) -> Value:
        layered = self.scope.layered_heads - self.unnamed
        low = head.lower()
        if low != head and low in layered:
            raise ResolveError(
                f"{head} is a whole layer's {low} (a vector or matrix); write one unit's entries"
            )
        if sub is None and sup is None and head in layered and self.record:
            self.record.heads.append(head)
        if (sub is not None or sup is not None) and head in layered:
            raise ResolveError(
                f"{head} with these indices names no single quantity of this network; write the "
                "claim for one unit (with its index, such as j), or check the layer"
            )
        if kind not in ("letter", "greek", "accent") or head == "\\nabla":
            raise self.scope.unknown(
                head + (f"_{{{script_key(sub, self.env)}}}" if sub is not None else "")
            )
        if (
            head == self.scope.function_key
            and sub is not None
            and sup is None
            and sub.expr is not None
        ):
            return self.activation(self.expr(sub.expr), primes)  # Sears' \\varphi_x := \\varphi(x)
        if head in FUNCTION_LETTERS and sub is None and sup is None:
            return FuncMarker(head, primes, undefined=True)
        if head.startswith("\\vec{") and self.record is not None:
            self.record.vectors.append(
                head
            )  # a vector only a definition may name without its value
        if primes:
            raise ResolveError(
                f"a prime on the variable {head} has no meaning here; write its derivative"
            )
        base = self.free_symbol(head, sub)
        if sup is None:
            return base
        if sup.expr is None:
            raise ResolveError("a superscript that is not one expression")
        return base ** self.expr(sup.expr)
