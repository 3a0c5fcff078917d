"""Case records and the registry of text modules."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

from .oracle import Sides

TEXT_MODULES = (
    "nielsen",
    "rumelhart1986",
    "bishop_prml",
    "goodfellow",
    "ng_vectorised",
    "haykin",
    "handout",
    "mitchell",
    "hagan",
    "duda",
)

VARIANT_KINDS = (
    "missing activation derivative",
    "sign flip",
    "transposed indices",
    "z for a",
    "forgotten sum",
    "forgotten 1/m",
    "wrong unit's activation derivative",
    "learning-rate sign error",
    "forgotten penalty term",
    "penalised bias",
    "forgotten factor 2",
    "forgotten bias",
    "activation of the wrong layer",
)


def case(
    id: str,
    latex: str,
    expect: str,
    sides: Sides,
    free: dict[str, str] | None = None,
    variant: str | None = None,
    network: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One claim. ``free`` maps each free index to the name of its range in the text's RANGES;
    ``network`` overrides the text's NETWORK for this claim only."""
    if variant is not None and variant not in VARIANT_KINDS:
        raise ValueError(f"unknown variant kind {variant!r}")
    out: dict[str, Any] = {
        "id": id,
        "latex": latex,
        "expect": expect,
        "variant": variant,
        "free": dict(free or {}),
        "sides": sides,
    }
    if network is not None:
        out["network"] = network
    return out


def texts() -> list[ModuleType]:
    return [import_module(f"{__package__}.texts.{name}") for name in TEXT_MODULES]
