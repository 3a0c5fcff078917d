"""symbackprop: exact symbolic backpropagation, printed in a paper's notation."""

from __future__ import annotations

from .api import Derivation, derive
from .derive import Gradient, gradients
from .errors import NotationError, SpecError, SymbackpropError
from .network import Network, build
from .notation import Notation, load_notation
from .spec import NetworkSpec, inline, preset, resolve

__all__ = [
    "Derivation",
    "derive",
    "Gradient",
    "Network",
    "NetworkSpec",
    "Notation",
    "NotationError",
    "SpecError",
    "SymbackpropError",
    "build",
    "gradients",
    "inline",
    "load_notation",
    "preset",
    "resolve",
]
