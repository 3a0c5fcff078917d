"""A layer's activation stated with a free layer letter, ``h^{(k)} = \\max\\{0, a^{(k)}\\}`` or
``a^{(l)} = \\sigma(z^{(l)})``, in a network whose layers have different activation functions:
the statement is about the layers that have the function it writes. It is judged on the
layers of the activation where it holds; a layer with another activation is skipped, and the
remark names it. It holds on no layer: it does not hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from symbackprop.verify.claim import Outcome, Step, Verdict
from symbackprop.verify.matrix import Table, lookup
from symbackprop.verify.reader import Partial, Sym, walk
from symbackprop.verify.scope import Scope


@dataclass(frozen=True)
class Judged:
    """The outcomes of one binding of the free layer letter."""

    layer: int  # as the notation writes it
    shown: str
    outcomes: list[Outcome]


def states_activation(scope: Scope, tab: Table, steps: Sequence[Step], letter: str) -> bool:
    """Every step's left side is a layer's activation vector at the free letter, and no right
    side takes a derivative."""
    for step in steps:
        lhs = step.lhs
        if not isinstance(lhs, Sym):
            return False
        found = lookup(tab, lhs.head, lhs.sub, lhs.sup, {letter: tab.first + 1})
        if found is None or found.entry.kind != "activation" or found.transposed:
            return False
        for node in walk(step.rhs):
            if isinstance(node, Partial) or (
                isinstance(node, Sym) and (node.primes or node.head == "\\nabla")
            ):
                return False
    return len(set(scope.spec.activations)) > 1


def by_activation(scope: Scope, tab: Table, judged: list[Judged]) -> tuple[list[Judged], str]:
    """The bindings at layers whose activation is one the claim holds at, and the remark on the
    others (none dropped when the claim holds at no layer, or fails at a layer of such an
    activation)."""

    def activation(j: Judged) -> str:
        return scope.spec.activations[j.layer - tab.first - 1]

    def holds(j: Judged) -> bool:
        return all(o.verdict is Verdict.HOLDS for o in j.outcomes)

    def fails(j: Judged) -> bool:
        return all(o.verdict is Verdict.FAILS for o in j.outcomes)

    held = {activation(j) for j in judged if holds(j)}
    if not held or any(activation(j) in held and not holds(j) for j in judged):
        return judged, ""
    kept = [j for j in judged if activation(j) in held]
    others = [j for j in judged if activation(j) not in held]
    if not others or not all(fails(j) for j in others):
        return judged, ""
    names = " or ".join(sorted(held))
    skipped = "; ".join(f"{j.shown} (its activation is {activation(j)})" for j in others)
    return kept, f"read for the layers whose activation is {names}; skipped {skipped}"
