"""Rendering: the Jinja environment (strict), the choice of unrolled or loop code, the module
text."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2

from symbackprop._version import __version__
from symbackprop.codegen.common import REPO_TEMPLATES, UPDATE_COMMAND
from symbackprop.codegen.loops import LOOP_TEMPLATE, loop_plan
from symbackprop.codegen.unrolled import MODULE_TEMPLATE, plan
from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import NetworkSpec

PACKAGE_TEMPLATE = "package_init.py.j2"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The templates shipped in the wheel (symbackprop/templates), or the repository's folder."""
    packaged = resources.files("symbackprop") / "templates"
    folder = Path(str(packaged)) if packaged.is_dir() else REPO_TEMPLATES
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pyrepr"] = repr
    return env


# The size rule: unrolled straight-line code up to UNROLLED_MAX_PARAMS parameters, loops above.
# Small unrolled modules keep every parameter in a local and run fastest per sample; their
# source, derivation and Numba compile time grow with the parameter count (16-16-16-1, 561
# parameters, is already thousands of lines), while loop code has a fixed size.
UNROLLED_MAX_PARAMS = 256


# --unrolled is refused above this: the derivation and compile would take minutes or more.
UNROLLED_HARD_LIMIT = 2_000


STYLES = ("auto", "unrolled", "loops")


def n_params(spec: NetworkSpec) -> int:
    sizes = spec.sizes
    return sum(
        sizes[l] * sizes[l - 1] + (sizes[l] if spec.biases[l - 1] else 0)
        for l in range(1, len(sizes))
    )


def unrolled_lines(spec: NetworkSpec) -> int:
    """An estimate of the unrolled module's length: every parameter loaded, updated and
    differentiated in several functions, every unit computed in five of them."""
    return 7 * n_params(spec) + 10 * sum(spec.sizes[1:])


def choose_style(spec: NetworkSpec, style: str = "auto") -> str:
    """'unrolled' or 'loops' for this spec; refuses --unrolled on a network too large for it."""
    if style not in STYLES:
        raise SymbackpropError(f"unknown code style {style!r}; choose from {', '.join(STYLES)}")
    count = n_params(spec)
    if style == "unrolled" and count > UNROLLED_HARD_LIMIT:
        raise SymbackpropError(
            f"refusing --unrolled for {spec.label}: {count} parameters would give about "
            f"{unrolled_lines(spec):,} lines of straight-line code (limit {UNROLLED_HARD_LIMIT} "
            "parameters); use --loops"
        )
    if style == "auto":
        return "unrolled" if count <= UNROLLED_MAX_PARAMS else "loops"
    return style


def render(spec: NetworkSpec, gain_value: float = 1.0, style: str = "auto") -> str:
    """The source text of the gradient module of ``spec``: unrolled or loop code
    (``choose_style``)."""
    chosen = choose_style(spec, style)
    forced = (
        "" if chosen == choose_style(spec) else f" --{chosen}"
    )  # the regenerate line keeps a forced style
    if chosen == "loops":
        p_loops = loop_plan(spec, gain_value)
        p_loops = replace(p_loops, regenerate=_with_flag(p_loops.regenerate, forced))
        return environment().get_template(LOOP_TEMPLATE).render(p=p_loops)
    p_unrolled = plan(spec, gain_value)
    p_unrolled = replace(p_unrolled, regenerate=_with_flag(p_unrolled.regenerate, forced))
    return environment().get_template(MODULE_TEMPLATE).render(p=p_unrolled)


def _with_flag(command: str, flag: str) -> str:
    """The regenerate command with a forced --loops / --unrolled before its -o."""
    return command.replace(" -o ", f"{flag} -o ", 1) if flag else command


def render_package_init(names: list[str]) -> str:
    return (
        environment()
        .get_template(PACKAGE_TEMPLATE)
        .render(modules=names, command=UPDATE_COMMAND, version=__version__)
    )
