"""The one exception family a user can see: each carries a message saying what to do."""

from __future__ import annotations

from collections.abc import Iterable


class SymbackpropError(Exception):
    """Bad input: an unknown name, a malformed file, an impossible spec."""


class SpecError(SymbackpropError):
    """The network spec is invalid."""


class NotationError(SymbackpropError):
    """The notation file is invalid."""


class ArgumentError(SymbackpropError, TypeError):
    """A library function was given an argument of the wrong type."""


class UsageError(SymbackpropError, ValueError):
    """A library function was given a value it does not take (an unknown form, say)."""


def choices(names: Iterable[object]) -> str:
    """Format valid choices for an error message."""
    return ", ".join(sorted(str(n) for n in names))
