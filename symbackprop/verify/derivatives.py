"""Derivatives in a reading: ∂N/∂D fractions, d/dx operators, primes and slopes.

A mixin of :class:`symbackprop.verify.resolver.Resolver`: the methods read ``self`` as the
resolver they are part of.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

from symbackprop.backprop.forms import ERROR
from symbackprop.verify.fold import expand_above, folded
from symbackprop.verify.iterations import iteration_letter, iteration_step
from symbackprop.verify.keys import name_key
from symbackprop.verify.layers import error_by_unit
from symbackprop.verify.reader import (
    Frac,
    Node,
    Partial,
    Prod,
    Sym,
)
from symbackprop.verify.reading import ResolverBase
from symbackprop.verify.scope import DerivOp, FuncMarker, ResolveError, Value
from symbackprop.verify.values import (
    as_partial,
    free_variables_of,
    mentions,
)


class DerivativeReading(ResolverBase):
    """∂N/∂D, d/dx and primes, for the resolver."""

    def _primed(self, value: sp.Expr, primes: int) -> sp.Expr:
        if primes == 0:
            return value
        pid = self.scope.param_of(value)
        if primes == 1 and pid is not None:
            return value + self.scope.update_mid(pid)
        raise ResolveError(f"a prime on {value} has no meaning here")

    def iteration(self, base: sp.Expr | None, node: Node | None) -> sp.Expr | None:
        """A parameter at an iteration: ``w^{(t+1)}``, ``w_{ji}(n+1)`` is its new value,
        ``w^{(t)}``, ``w(n)`` its old one (None when ``node`` is not an iteration tag). When
        the letter is the notation's case letter (Haykin's n), the step is one case's update."""
        pid = self.scope.param_of(base) if base is not None else None
        if pid is None or node is None:
            return None
        step = iteration_step(node, self.known_letter)
        if step is None:
            return None
        assert base is not None
        per_case = iteration_letter(node) == self.scope.notation.get("case")  # Haykin's w(n+1)
        return base + self.scope.update_mid(pid, per_case) if step else base

    def known_letter(self, letter: str) -> bool:
        """Whether a plain letter is a name of the notation or an index letter."""
        return self.lookup(letter, None, None) is not None or letter in self.scope.indices

    def frac(self, node: Frac) -> Value:
        num_d, den_d = self.after_d(node.num), self.after_d(node.den)
        if num_d is not None and den_d is not None and den_d[0] is not None:
            return self.operator(
                num_d[0], den_d[0]
            )  # \\frac{d}{dx}, \\frac{dy}{dx}, \\frac{dx^2}{dx}
        num, den_node = as_partial(node.num), as_partial(node.den)
        if isinstance(num, Partial) or isinstance(den_node, Partial):
            if (
                not (isinstance(num, Partial) and isinstance(den_node, Partial))
                or den_node.body is None
            ):
                raise ResolveError(
                    "a partial derivative must read \\frac{\\partial N}{\\partial D}"
                )
            if num.body is not None and self.bare_function(den_node.body):
                top = self.expr(num.body)  # Maren's ∂E_o/∂F: F is the activation of E_o's unit
                return self.derivative(top, self.unit_activation(top))
            if num.body is not None and self.bare_function(num.body):
                den = self.variable(den_node.body)  # Maren's ∂F/∂(NdInpt_o): F of that unit
                return self.derivative(self.unit_activation(den), den)
            return self.operator(num.body, den_node.body)
        return self.expr(node.num) / self.expr(node.den)

    def operator(self, num: Node | None, den: Node) -> Value:
        """d/dD (num None) or dN/dD."""
        variable = self.variable(den)
        if num is None:
            return DerivOp(variable)
        top = (
            self.name(num.head, num.kind, num.sub, num.sup, num.primes, num.text)
            if isinstance(num, Sym) and num.kind in ("greek", "cmd", "letter")
            else self.value(num)
        )
        if isinstance(top, FuncMarker):  # d\sigma/dz: the function of that variable
            top = self.apply(top, variable)
        if not isinstance(top, sp.Basic):
            return self.expr(num)  # the reading's own message
        return self.derivative(top, variable)

    def after_d(self, node: Node) -> tuple[Node | None] | None:
        """``d`` (-> (None,)) or ``d`` followed by what it acts on (-> (rest,)); None if not an
        ordinary differential (a notation that names d keeps it)."""
        items = node.items if isinstance(node, Prod) else (("", node),)
        first = items[0][1]
        if not (
            isinstance(first, Sym)
            and first.kind == "letter"
            and first.head == "d"
            and not first.scripted
        ):
            return None
        if self.lookup("d", None, None) is not None:
            return None
        rest = items[1:]
        if not rest:
            return (None,)
        if rest[0][0] != "":
            return None
        return (rest[0][1] if len(rest) == 1 else Prod((("", rest[0][1]), *rest[1:])),)

    def bare_function(self, node: Node) -> bool:
        return isinstance(node, Sym) and node.head == self.scope.function_key and not node.scripted

    def unit_activation(self, expr: sp.Expr) -> sp.Expr:
        found = self.scope.unit_activation(expr)
        if found is None:
            raise ResolveError(
                f"the bare function {self.scope.function_key} needs a unit: {expr} belongs to none"
            )
        return found

    def variable(self, node: Node) -> sp.Expr:
        value = self.expr(node)
        value = self.scope.reverse.get(value, value)
        if (
            isinstance(node, Sym)
            and name_key(node.head, node.sub, node.sup, self.env) in self.names
            and not value.is_number
        ):
            return value  # a local name (u = o_1 - d_1): differentiate by it where its value occurs
        if not isinstance(value, (sp.Symbol, sp.Indexed, AppliedUndef)) or value.is_number:
            raise ResolveError(
                f"cannot differentiate with respect to {value}: not one quantity of the network"
            )
        return value

    def primed_derivative(self, base: sp.Expr, primes: int) -> sp.Expr:
        """``[f(g(x))]'``: the derivative in the statement's one free variable."""
        variables = sorted(free_variables_of(base, self.scope), key=str)
        if len(variables) != 1:
            shown = ", ".join(map(str, variables)) or "none"
            raise ResolveError(
                f"a prime on an expression needs exactly one variable, found {shown}"
            )
        return sp.diff(base, variables[0], primes)

    def derivative(self, num: sp.Expr, den: sp.Expr) -> sp.Expr:
        if not isinstance(
            den, (sp.Symbol, sp.Indexed, AppliedUndef)
        ):  # a local name's value, held whole
            held = sp.Dummy("held", real=True)
            return sp.diff(num.xreplace({den: held}), held).xreplace({held: den})
        if (
            self.record is not None
            and isinstance(num, (sp.Symbol, sp.Indexed))
            and num != den
            and not mentions(num, self.scope.network_atoms)
            and not mentions(den, self.scope.network_atoms)
        ):
            self.record.pairs.append((num, den))
        pid = self.scope.param_of(den)
        if pid is not None and num == ERROR:
            return self.scope.grad_mid(pid)  # the delta recursion: the same value, far smaller
        if pid is not None and num == self.scope.e_case and num != ERROR:
            return self.scope.gradient(pid).per_case.value.xreplace(self.scope.canon)
        fast = error_by_unit(self.scope, num, den)
        if fast is not None:
            return fast  # ∂E/∂z, ∂E/∂a: the delta recursion
        above = expand_above(self.scope, num, den)
        if above is not None:  # only what depends on den expanded; the result folded into names
            return folded(self.scope, sp.diff(above, den))
        expanded = self.scope.expand(num, keep=den)
        result = sp.diff(expanded, den)
        result = result.xreplace(self.scope.unclosed)
        return result.xreplace(self.scope.reverse)

    def slash_d(self, items: tuple[tuple[str, Node], ...], i: int) -> tuple[Value, int] | None:
        """``dy/dx`` or ``d/dx`` written with a slash: (its value, the next item's position)."""
        if self.after_d(items[i][1]) is None:
            return None
        for j in range(i + 1, len(items) - 1):
            op, node = items[j]
            if op == "/" and self.after_d(node) == (None,) and items[j + 1][0] == "":
                between = items[i + 1 : j]
                num = None if not between else Prod((("", between[0][1]), *between[1:]))
                return self.operator(num, items[j + 1][1]), j + 2
            if op != "":
                return None
        return None
