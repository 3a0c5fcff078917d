"""symbackprop: exact symbolic backpropagation, printed in a paper's notation.

The package is layered by stage; each stage imports only the ones before it:

    model -> backprop -> printing -> codegen -> train -> verify -> audit -> report -> api -> cli

The names below are loaded on first use, so ``import symbackprop`` (and the pytest plugin
it registers) costs nothing until one of them is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from symbackprop._version import __version__

if TYPE_CHECKING:  # the same names, for type checkers and IDEs ("X as X": re-exported)
    from symbackprop.api import Derivation as Derivation
    from symbackprop.api import derive as derive
    from symbackprop.backprop.forms import Gradient as Gradient
    from symbackprop.backprop.forms import gradients as gradients
    from symbackprop.errors import NotationError as NotationError
    from symbackprop.errors import SpecError as SpecError
    from symbackprop.errors import SymbackpropError as SymbackpropError
    from symbackprop.model.network import Network as Network
    from symbackprop.model.network import build as build
    from symbackprop.model.notation import Notation as Notation
    from symbackprop.model.notation import load_notation as load_notation
    from symbackprop.model.spec import NetworkSpec as NetworkSpec
    from symbackprop.model.spec import inline as inline
    from symbackprop.model.spec import preset as preset
    from symbackprop.model.spec import resolve as resolve

EXPORTS = {
    "Derivation": "symbackprop.api",
    "derive": "symbackprop.api",
    "Gradient": "symbackprop.backprop.forms",
    "gradients": "symbackprop.backprop.forms",
    "NotationError": "symbackprop.errors",
    "SpecError": "symbackprop.errors",
    "SymbackpropError": "symbackprop.errors",
    "Network": "symbackprop.model.network",
    "build": "symbackprop.model.network",
    "Notation": "symbackprop.model.notation",
    "load_notation": "symbackprop.model.notation",
    "NetworkSpec": "symbackprop.model.spec",
    "inline": "symbackprop.model.spec",
    "preset": "symbackprop.model.spec",
    "resolve": "symbackprop.model.spec",
}

__all__ = ["__version__", *EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in EXPORTS:
        raise AttributeError(f"module 'symbackprop' has no attribute {name!r}")
    value = getattr(import_module(EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
