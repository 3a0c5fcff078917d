"""Numba code generation: one immutable plan, CSE, a printer, strict Jinja templates, atomic files.

Owns: the unrolled and loop module plans, the Numba printer, rendering and file output.
May import: ``model``, ``backprop``, ``printing`` and the base modules.
"""

from symbackprop.codegen.common import UPDATE_COMMAND, code_spec, module_name
from symbackprop.codegen.output import (
    Output,
    generate,
    module_output,
    preset_outputs,
    stale,
    target_path,
    write,
    write_atomic,
)
from symbackprop.codegen.render import (
    STYLES,
    UNROLLED_MAX_PARAMS,
    choose_style,
    n_params,
    render,
    render_package_init,
)
from symbackprop.codegen.unrolled import gradient_exprs, plan

__all__ = [
    "STYLES",
    "UNROLLED_MAX_PARAMS",
    "UPDATE_COMMAND",
    "Output",
    "choose_style",
    "code_spec",
    "generate",
    "gradient_exprs",
    "module_name",
    "module_output",
    "n_params",
    "plan",
    "preset_outputs",
    "render",
    "render_package_init",
    "stale",
    "target_path",
    "write",
    "write_atomic",
]
