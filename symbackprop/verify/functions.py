"""Functions in a reading: the activation and elementary functions applied to an argument,
with primes (derivatives), powers (``\\sigma^2(z)``, ``\\sigma(z)^2``), layer tags
(``g^{[1]}``) and indicators (``\\mathbb{1}(z > 0)``, ``1\\{z>0\\}``).

A mixin of :class:`symbackprop.verify.resolver.Resolver`: the methods read ``self`` as the
resolver they are part of.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbackprop.model.activations import ACTIVATIONS, ReLU, Sigmoid
from symbackprop.verify.layernames import function_layer, undotted
from symbackprop.verify.layers import layer_named
from symbackprop.verify.reader import Cases, Group, Node, Num, Script, Scripted, Sym
from symbackprop.verify.reading import ResolverBase
from symbackprop.verify.scope import (
    FUNCTION_HEADS,
    FUNCTION_LETTERS,
    FuncMarker,
    ResolveError,
    Scope,
)

ELEMENTARY = {
    "\\tanh": sp.tanh,
    "\\sin": sp.sin,
    "\\cos": sp.cos,
    "\\sinh": sp.sinh,
    "\\cosh": sp.cosh,
    "\\sigma": Sigmoid,  # the logistic function, where the notation does not name σ otherwise
    **FUNCTION_HEADS,
}
INVERSES = {
    "\\tanh": sp.atanh,
    "\\sin": sp.asin,
    "\\cos": sp.acos,
    "\\exp": sp.log,
    "\\sigma": lambda x: sp.log(x / (1 - x)),
}
ACTIVATION_NAMES = (*FUNCTION_LETTERS, "\\phi", "\\varphi")  # "the activation" in many texts
INDICATORS = ("\\mathbb{1}", "\\mathbf{1}", "\\boldsymbol{1}", "\\bm{1}", "\\mathds{1}")


@dataclass(frozen=True)
class Powered:
    """An argument written with a power after it: ``\\sigma(z)^2`` is (σ(z))², not σ(z²)."""

    arg: sp.Expr
    power: sp.Expr


def indicator(lhs: sp.Expr, rel: str, rhs: sp.Expr) -> sp.Expr:
    """1 where the condition holds, 0 elsewhere (the ReLU slope ``\\mathbb{1}(z > 0)``)."""
    rels = {
        ">": (lhs - rhs, 0),
        "\\geq": (lhs - rhs, 1),
        "\\ge": (lhs - rhs, 1),
        "<": (rhs - lhs, 0),
        "\\leq": (rhs - lhs, 1),
        "\\le": (rhs - lhs, 1),
    }
    if rel not in rels:
        raise ResolveError(f"an indicator needs a condition with >, <, \\geq or \\leq, not {rel}")
    arg, at_zero = rels[rel]
    return sp.Heaviside(arg, at_zero)


RELATIONS = {
    ">": sp.StrictGreaterThan,
    "<": sp.StrictLessThan,
    "\\geq": sp.GreaterThan,
    "\\ge": sp.GreaterThan,
    "\\leq": sp.LessThan,
    "\\le": sp.LessThan,
    "=": sp.Eq,
    "\\neq": sp.Ne,
    "\\ne": sp.Ne,
}


class FunctionReading(ResolverBase):
    """Function names applied to arguments, for the resolver."""

    def pieces(self, node: Cases) -> sp.Expr:
        """A function by cases: the value of the first piece whose condition holds."""
        out = []
        for value, condition in node.pieces:
            if condition is None:
                out.append((self.expr(value), sp.true))
                continue
            lhs, rel, rhs = condition
            if rel not in RELATIONS:
                raise ResolveError(
                    f"a condition of a case needs >, <, \\geq, \\leq or =, not {rel}"
                )
            out.append((self.expr(value), RELATIONS[rel](self.expr(lhs), self.expr(rhs))))
        return sp.Piecewise(*out)

    def function_marker(
        self,
        head: str,
        kind: str,
        sup: Script | None,
        primes: int,
        shown: str = "",
    ) -> FuncMarker | None:
        """The function a name stands for (None if it is not a function's name); a dot over it
        (Hagan's \\dot{f}) is its derivative."""
        key = self.scope.function_key
        plain = undotted(head)
        if plain is not None and (plain == key or plain in ACTIVATION_NAMES):
            head, primes = plain, primes + 1
        if head != key and head not in ELEMENTARY and head not in ACTIVATION_NAMES:
            return None
        undefined = self.free and head in FUNCTION_LETTERS and layer_named(self.scope, head) is None
        power: sp.Expr | None = None
        layer = function_layer(self.scope, head, sup, self.env)
        if layer is not None:
            return FuncMarker(head, primes, undefined, None, layer, shown)  # Hagan's f^m
        if sup is not None:
            tag = sup.expr
            if isinstance(tag, Group) and tag.kind in ("paren", "bracket") and len(tag.items) == 1:
                value = self.expr(tag.items[0])  # g^{[1]}, \\sigma^{(2)}: a layer tag
                if value.is_Integer and 1 <= int(value) <= self.scope.spec.depth:
                    layer = int(value)
                elif not value.free_symbols - set(self.scope.network_atoms):
                    raise ResolveError(
                        f"{shown or head}: layer {value} is not a layer of this network"
                    )
            elif tag is not None:
                power = self.expr(tag)
                if not power.is_number:
                    raise ResolveError(f"{shown or head}: a power of a function must be a number")
            else:
                raise ResolveError(f"{shown or head}: a superscript that is not one expression")
        if power == -1 and (head not in ELEMENTARY or head == key or primes):
            raise ResolveError(
                f"{shown or head}^{{-1}} is the inverse function, which is not read here; "
                f"write 1/{head}(..) for the reciprocal"
            )
        return FuncMarker(head, primes, undefined, power, layer, shown)

    def apply_function(self, marker: FuncMarker, arg: sp.Expr) -> sp.Expr:
        head, key = marker.head, self.scope.function_key
        if marker.power == -1 and head in INVERSES and head != key:
            return INVERSES[head](arg)
        if head == key or (head in ACTIVATION_NAMES and head not in ELEMENTARY):
            layer = marker.layer if marker.layer is not None else layer_named(self.scope, head)
            value = self.activation(arg, marker.primes, layer, head)
        else:
            x = sp.Dummy("x", real=True)
            value = (
                sp.diff(ELEMENTARY[head](x), x, marker.primes)
                if marker.primes
                else ELEMENTARY[head](x)
            )
            value = value.xreplace({x: arg})
            value = value.xreplace(self.scope.reverse)
        return value if marker.power is None else value**marker.power

    def activation(
        self, arg: sp.Expr, primes: int, layer: int | None = None, head: str = ""
    ) -> sp.Expr:
        """The activation of a unit (φ(net_1) is φ_1) or its slope: the layer is the argument's
        (a net input, named or written out in full), the tag's, or the only one there is."""
        spec, net = self.scope.spec, self.scope.net
        if layer is None:
            layer = self.activation_layer or self.layer_of(arg)
        if layer is None:
            if len(set(zip(spec.activations, spec.gains))) != 1:
                raise ResolveError(mixed_activations(self.scope, head))
            layer = net.depth
        name = spec.activations[layer - 1]
        act = ACTIVATIONS[name]
        if act.layerwise:
            raise ResolveError(
                f"the activation of layer {layer} is {name}, applied to a whole layer: "
                "write its Jacobian entries out"
            )
        gain = net.gain if spec.gains[layer - 1] else None
        value = act.apply(arg, gain)
        if primes == 0:
            return self.scope.reverse.get(value, value)
        if primes == 1:
            return act.slope(self.scope.reverse.get(value, value), arg, gain)
        raise ResolveError("only a first derivative σ' of the activation is read")

    def layer_of(self, arg: sp.Expr) -> int | None:
        """The layer whose net input (or activation) ``arg`` is; a net input written out in full
        (w_1 x_1 + w_2 x_2 + b) is found by its definition."""
        net, defs = self.scope.net, self.scope.definitions
        for l in range(1, net.depth + 1):
            if arg in net.z[l] or arg in net.a[l]:
                return l
        if arg.is_Atom:
            return None
        for l in range(1, net.depth + 1):
            for z in net.z[l]:
                if sp.expand(arg - defs.get(z, z)) == 0:
                    return l
        return None

    def subscripted_function(
        self, node: Sym, items: tuple[tuple[str, Node], ...], i: int
    ) -> FuncMarker | None:
        """``f'_j(\\text{net}_j)``: a function name with a unit subscript, applied to an argument
        (only when the whole name is not a name of the notation)."""
        if node.sub is None or self.free or i + 1 >= len(items):
            return None
        op, nxt = items[i + 1]
        if (op != "" or not (isinstance(nxt, Group) and nxt.kind in ("paren", "bracket"))) and not (
            isinstance(nxt, Scripted) and isinstance(nxt.base, Group)
        ):
            return None
        if self.lookup(node.head, node.sub, node.sup) is not None:
            return None
        if node.head == self.scope.function_key or node.head in ACTIVATION_NAMES:
            return self.function_marker(node.head, node.kind, node.sup, node.primes, node.text)
        return None

    def indicator_of(self, node: Node, nxt: Node | None) -> sp.Expr | None:
        """``\\mathbb{1}(z > 0)``, ``1\\{z > 0\\}``, ``\\mathbb{1}[z > 0]``: the indicator of a
        condition."""
        if isinstance(node, Sym) and node.head in INDICATORS and node.sub is not None:
            braced = node.sub.expr  # \mathbb{1}_{\{z > 0\}}: the condition as a set
            if isinstance(braced, Group) and braced.kind == "set" and braced.rel:
                cond = (braced.items[0], braced.rel, braced.items[1])
            elif node.sub.rel is not None:
                cond = node.sub.rel  # \mathbb{1}_{z > 0}
            else:
                return None
            if node.sup is not None or node.primes:
                return None
            lhs_node, rel, rhs_node = cond
            return self.relu_condition(indicator(self.expr(lhs_node), rel, self.expr(rhs_node)))
        is_one = (isinstance(node, Num) and node.value == 1) or (
            isinstance(node, Sym) and node.head in INDICATORS and not node.scripted
        )
        if not is_one or not isinstance(nxt, Group) or not nxt.rel:
            return None
        if nxt.kind not in ("set", "aside", "iverson"):
            return None
        lhs, rhs = nxt.items
        return self.relu_condition(indicator(self.expr(lhs), nxt.rel, self.expr(rhs)))

    def relu_condition(self, step: sp.Expr) -> sp.Expr:
        """``1\\{a > 0\\}`` of a ReLU unit's a = max(0, z) is ``1\\{z > 0\\}``: H(a) with H(0) = 0
        is H(z) (with H(0) = 1 it is 1 everywhere)."""
        if not isinstance(step, sp.Heaviside) or len(step.args) != 2:
            return step
        value = self.scope.definitions.get(step.args[0])
        if not isinstance(value, ReLU):
            return step
        return sp.Heaviside(value.args[0], 0) if step.args[1] == 0 else sp.Integer(1)


def mixed_activations(scope: Scope, head: str) -> str:
    """Why a function symbol applied to a plain variable names no one function: the layers it
    names differ in activation; what to write instead."""
    spec = scope.spec
    shown = head or scope.function_key
    kinds = ", ".join(
        f"layer {l}: {name}{' with a gain' if gain else ''}"
        for l, (name, gain) in enumerate(zip(spec.activations, spec.gains), start=1)
    )
    return (
        f"{shown} names the activation of layers that differ ({kinds}); apply it to one "
        "unit's net input, or write the function by its own name (\\tanh; 1/(1 + e^{-x}) for "
        "the logistic sigmoid)"
    )
