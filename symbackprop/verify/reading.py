"""What the resolver's mixins (derivatives, series, functions) read of the resolver they are part
of: its fields and the methods they call, declared for type checkers. At run time the base is
``object``, as before."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from collections.abc import Mapping
    from dataclasses import Field

    import sympy as sp

    from symbackprop.verify.nodes import BigSum, Node, Script
    from symbackprop.verify.resolver import FreeRecord, Resolver
    from symbackprop.verify.scope import DeltaOp, DerivOp, FuncMarker, Scope, Value

    class ResolverBase:
        """The part of :class:`symbackprop.verify.resolver.Resolver` its mixins use."""

        # Resolver is a frozen dataclass: the mixins make variants with dataclasses.replace(self)
        __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
        scope: Scope
        env: Mapping[str, int | str]
        names: Mapping[str, sp.Expr]
        free: bool
        record: FreeRecord | None
        functions: Mapping[sp.Expr, sp.Expr]
        activation_layer: int | None
        components: int | None
        unnamed: frozenset[str]

        def with_env(self, **more: int) -> Resolver: ...
        def lookup(self, head: str, sub: Script | None, sup: Script | None) -> sp.Expr | None: ...
        def known(self, head: str, sub: Script | None, sup: Script | None) -> bool: ...
        def expr(self, node: Node) -> sp.Expr: ...
        def value(self, node: Node) -> Value: ...
        def name(
            self,
            head: str,
            kind: str,
            sub: Script | None,
            sup: Script | None,
            primes: int,
            shown: str = "",
        ) -> Value: ...
        def apply(self, marker: FuncMarker | DerivOp | DeltaOp, arg: sp.Expr) -> sp.Expr: ...
        def case_sum(self, node: BigSum) -> sp.Expr | None: ...
        def fed_units(self, node: BigSum) -> list[int] | None: ...
        def activation(self, arg: sp.Expr, primes: int, layer: int | None = None) -> sp.Expr: ...

else:
    ResolverBase = object
