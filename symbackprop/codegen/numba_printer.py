"""A SymPy printer for Numba: plain Python arithmetic, ``math`` calls, and the activations.

The custom activations print through their own ``_print_<Name>`` methods (never by
patching strings): the sigmoid and softplus call small jitted helpers of the
generated module (``_sigmoid``, ``_softplus``) written in a numerically stable
form, exp calls the module's ``_exp`` (with ``vector``, exp and the sigmoid print as
``_vexp`` and ``_vsigmoid``),
the ReLU is ``max(z, 0.0)`` and its slope, the Heaviside step, a conditional
expression. The gain symbol prints as the module constant ``GAIN``.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from symbackprop.model.activations import Sigmoid, Softplus

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
GAIN_NAME = "GAIN"


class BinaryCrossEntropy(sp.Function):
    """-y log(sigmoid(z)) - (1 - y) log(1 - sigmoid(z)) of (z, y), from z: printed as
    ``_bce(z, y)``, a helper of softplus terms that is finite for every finite z and takes 0 log 0
    as 0."""

    nargs = 2


class SoftmaxCrossEntropy(sp.Function):
    """-y log(a) of a softmax output a = exp(z - zmax)/zsum, of (y, z, zmax, zsum): printed as
    ``_xmul(y, (zmax - z) + math.log(zsum))``, in that order (no cancellation when z = zmax is
    large), with 0 (anything) = 0 (the 0 log 0 = 0 of cross-entropy)."""

    nargs = 4


class NumbaPrinter(PythonCodePrinter):
    """Prints one expression of the network's symbols as Numba-compilable Python."""

    def __init__(self, gain: sp.Symbol | None = None, vector: bool = False) -> None:
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self._gain = gain
        # vector: exp and the sigmoid as _vexp and _vsigmoid, the helpers plain arithmetic that
        # LLVM vectorises (the batch pass's unit loops)
        self._vector = vector

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        if self._gain is not None and expr == self._gain:
            return GAIN_NAME
        name = expr.name
        if not IDENTIFIER.match(
            name
        ):  # every network symbol is built from integers; refuse anything else
            raise ValueError(f"refusing to print symbol {name!r}: not a generated identifier")
        return name

    def _print_Rational(self, expr: sp.Rational) -> str:
        p, q = int(expr.p), int(expr.q)
        if q & (q - 1) == 0:  # a power of two: the float literal is exact
            return repr(p / q)
        return f"({p}.0/{q}.0)"

    def _print_Half(self, expr: sp.Rational) -> str:
        return self._print_Rational(expr)

    def _print_Sigmoid(self, expr: sp.Function) -> str:
        z = expr.args[0]
        if len(expr.args) == 2:
            z = expr.args[1] * z
        return f"{'_vsigmoid' if self._vector else '_sigmoid'}({self._print(z)})"

    def _print_exp(self, expr: sp.Expr) -> str:
        if self._vector:
            return f"_vexp({self._print(expr.args[0])})"
        return f"_exp({self._print(expr.args[0])})"

    def _print_Softplus(self, expr: sp.Function) -> str:
        return f"_softplus({self._print(expr.args[0])})"

    def _print_BinaryCrossEntropy(self, expr: sp.Function) -> str:
        return f"_bce({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_SoftmaxCrossEntropy(self, expr: sp.Function) -> str:
        y, z, zmax, zsum = (self._print(a) for a in expr.args)
        return f"_xmul({y}, ({zmax} - {z}) + math.log({zsum}))"

    def _print_ReLU(self, expr: sp.Function) -> str:
        return f"max({self._print(expr.args[0])}, 0.0)"

    def _print_Heaviside(self, expr: sp.Function) -> str:
        z = self._print(expr.args[0])
        at_zero = expr.args[1] if len(expr.args) == 2 else sp.Rational(1, 2)
        if at_zero == 0:
            return f"(1.0 if {z} > 0.0 else 0.0)"
        return f"(1.0 if {z} > 0.0 else ({self._print(at_zero)} if {z} == 0.0 else 0.0))"


def helpers_needed(exprs: list[sp.Expr], also: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The names of the jitted helpers that printed code of these expressions calls, with ``also``
    (the code the templates write themselves) and the helpers those helpers call."""
    names = set(also)
    for e in exprs:
        if e.has(Sigmoid):
            names.add("sigmoid")
        if e.has(sp.exp):
            names.add("exp")
        if e.has(Softplus):
            names.add("softplus")
        if e.has(BinaryCrossEntropy):
            names.add("bce")
        if e.has(SoftmaxCrossEntropy):
            names.add("xmul")
    if names & {"sigmoid", "exp"}:  # _sigmoid and _exp call _exp_near, which calls _fma
        names.update(("exp", "fma"))
    return tuple(sorted(names))
