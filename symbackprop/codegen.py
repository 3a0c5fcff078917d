"""From a spec to the source text of a Numba gradient module.

Python does the maths and the printing: the forward pass as one line per net input
and activation, then ``sympy.cse`` over the per-case error and the compact per-case
gradients (the delta recursion in named intermediates, so a sigmoid's slope is
``a*(1 - a)`` of the value already computed, never a second exponential). The
Jinja templates in ``templates/`` only arrange the flat (lhs, rhs) lines.

With a spec whose error is a mean over cases (the essay's), the module works with
the per-case error E_i; ``train`` averages over each batch, so full-batch training
descends the mean E = (1/n) sum E_i exactly.
"""

from __future__ import annotations

import keyword
import math
import os
import re
import tempfile
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2
import sympy as sp

from ._version import __version__
from .activations import ACTIVATIONS
from .derive import gradients
from .errors import SymbackpropError
from .network import Network, build
from .notation import load_notation
from .numba_printer import NumbaPrinter, helpers_needed
from .spec import NetworkSpec, preset, preset_names

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MODULE_TEMPLATE = "module.py.j2"
PACKAGE_TEMPLATE = "package_init.py.j2"
UPDATE_COMMAND = "python -m symbackprop generate --all-presets -o generated/"


@dataclass(frozen=True)
class Line:
    """One assignment ``lhs = rhs`` of generated code."""

    lhs: str
    rhs: str


@dataclass(frozen=True)
class Block:
    """Straight-line code: assignments, then the expressions that use them."""

    lines: tuple[Line, ...]
    values: tuple[str, ...]


@dataclass(frozen=True)
class InitRange:
    """theta[start:stop] are the weights of one layer, drawn uniformly in (-limit, limit)."""

    start: int
    stop: int
    limit: str


@dataclass(frozen=True)
class ModulePlan:
    """Everything the module template needs, already printed."""

    label: str
    description: str
    regenerate: str
    version: str
    sympy_version: str
    spec_toml: str
    param_ids: tuple[str, ...]
    param_names: tuple[str, ...]
    n_inputs: int
    n_outputs: int
    gain: str | None
    helpers: tuple[str, ...]
    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    forward: tuple[Line, ...]
    outputs: tuple[str, ...]
    loss: Block  # values: (E,)
    grad: Block  # the lines shared by E and every dE/dp
    error: str  # E, in the names of grad.lines
    grads: tuple[Line, ...]  # (parameter id, dE/dp), in theta order
    init: tuple[InitRange, ...]
    mean_note: bool


def module_name(spec: NetworkSpec) -> str:
    """A Python module name for the spec's label: deterministic, never code."""
    name = re.sub(r"[^0-9a-z_]", "_", spec.label.lower())
    name = re.sub(r"_+", "_", name).strip("_") or "net"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"net_{name}"
    return name


def code_spec(spec: NetworkSpec) -> NetworkSpec:
    """The spec whose maths the code computes: per case (the batch mean is taken by ``train``)."""
    return replace(spec, mean=False) if spec.mean else spec


def _is_preset(spec: NetworkSpec) -> bool:
    return spec.name in preset_names() and preset(spec.name) == spec


def regenerate_command(spec: NetworkSpec, gain_value: float) -> str:
    gain = f" --gain-value {gain_value!r}" if spec.gains and any(spec.gains) and gain_value != 1.0 else ""
    if _is_preset(spec):
        return f"python -m symbackprop generate {spec.name}{gain} -o {module_name(spec)}.py"
    return f"save SPEC below as spec.toml, then: python -m symbackprop generate spec.toml{gain} -o {module_name(spec)}.py"


def _one_line(text: str) -> str:
    """User text for a comment: its repr, so no newline or quote can end the comment."""
    return repr(text)


def header_fields(spec: NetworkSpec, gain_value: float) -> dict[str, str]:
    """The header fields of every generated module, unrolled or loops: label, versions, the spec."""
    return {
        "label": _one_line(spec.label),
        "description": _one_line(spec.description),
        "regenerate": regenerate_command(spec, gain_value),
        "version": __version__,
        "sympy_version": sp.__version__,
        "spec_toml": spec.to_toml(),
    }


def gradient_exprs(net: Network) -> list[sp.Expr]:
    """dE_i/dp for every parameter in theta order: the compact per-case form, deltas computed once."""
    return [g.per_case.value for g in gradients(net)]


def _cse_block(exprs: list[sp.Expr], printer: NumbaPrinter) -> Block:
    pairs, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("t", real=True), order="canonical")
    lines = tuple(Line(printer.doprint(lhs), printer.doprint(rhs)) for lhs, rhs in pairs)
    return Block(lines, tuple(printer.doprint(e) for e in reduced))


def _forward_lines(net: Network, printer: NumbaPrinter) -> tuple[Line, ...]:
    lines = []
    spec = net.spec
    for l in range(1, net.depth + 1):
        act = ACTIVATIONS[spec.activations[l - 1]]
        gain = net.gain if spec.gains[l - 1] else None
        for j in range(1, spec.sizes[l] + 1):
            terms = [f"w{l}_{j}_{k}*{printer.doprint(net.a[l - 1][k - 1])}" for k in range(1, spec.sizes[l - 1] + 1)]
            if spec.biases[l - 1]:
                terms.append(f"b{l}_{j}")
            z = net.z[l][j - 1]
            lines.append(Line(printer.doprint(z), " + ".join(terms)))
            if not act.layerwise:
                lines.append(Line(printer.doprint(net.a[l][j - 1]), printer.doprint(act.apply(z, gain))))
        if act.layerwise:
            lines.extend(_softmax_lines(net, l, printer))
    return tuple(lines)


def _softmax_lines(net: Network, l: int, printer: NumbaPrinter) -> list[Line]:
    """A stable softmax over layer l: shift by the largest net input, so no exp overflows."""
    zs = [printer.doprint(z) for z in net.z[l]]
    shifted = [f"ez{l}_{j}" for j in range(1, len(zs) + 1)]
    lines = [Line(f"zmax{l}", f"max({', '.join(zs)})")]
    lines += [Line(e, f"math.exp({z} - zmax{l})") for e, z in zip(shifted, zs)]
    lines.append(Line(f"zsum{l}", " + ".join(shifted)))
    lines += [Line(printer.doprint(a), f"{e}/zsum{l}") for a, e in zip(net.a[l], shifted)]
    return lines


def init_ranges(spec: NetworkSpec) -> tuple[InitRange, ...]:
    """Glorot-uniform weights, zero biases: one range of theta per layer (from the sizes alone)."""
    out = []
    index = 0
    sizes = spec.sizes
    for l in range(1, len(sizes)):
        n_weights = sizes[l] * sizes[l - 1]
        limit = math.sqrt(6.0 / (sizes[l] + sizes[l - 1]))
        out.append(InitRange(index, index + n_weights, repr(limit)))
        index += n_weights + (sizes[l] if spec.biases[l - 1] else 0)
    return tuple(out)


def check_gain_value(gain_value: float) -> None:
    if not math.isfinite(gain_value):
        raise SymbackpropError(f"--gain-value must be a finite number, got {gain_value!r}")


def plan(spec: NetworkSpec, gain_value: float = 1.0) -> ModulePlan:
    """Derive and print everything a module of this spec needs."""
    check_gain_value(gain_value)
    net = build(code_spec(spec))
    printer = NumbaPrinter(net.gain)
    outputs = {o: net.a[net.depth][j] for j, o in enumerate(net.outputs)}
    error = net.case_error.xreplace(outputs)
    grads = [g.xreplace(outputs) for g in gradient_exprs(net)]
    notation = load_notation(spec.notation, spec.base_dir)
    names = notation.symbol_names(net)
    joint = _cse_block([error, *grads], printer)
    used = [net.definitions[a] for layer in net.a[1:] for a in layer] + grads
    return ModulePlan(
        **header_fields(spec, gain_value),
        param_ids=tuple(p.id for p in net.params),
        param_names=tuple(names[p.id] for p in net.params),
        n_inputs=spec.sizes[0],
        n_outputs=spec.sizes[-1],
        gain=repr(float(gain_value)) if net.gain is not None else None,
        helpers=helpers_needed(used),
        inputs=tuple(printer.doprint(x) for x in net.inputs),
        targets=tuple(printer.doprint(y) for y in net.targets),
        forward=_forward_lines(net, printer),
        outputs=tuple(printer.doprint(a) for a in net.a[net.depth]),
        loss=_cse_block([error], printer),
        grad=joint,
        error=joint.values[0],
        grads=tuple(Line(p.id, v) for p, v in zip(net.params, joint.values[1:])),
        init=init_ranges(net.spec),
        mean_note=spec.mean,
    )


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
    return sum(sizes[l] * sizes[l - 1] + (sizes[l] if spec.biases[l - 1] else 0) for l in range(1, len(sizes)))


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
            f"{unrolled_lines(spec):,} lines of straight-line code (limit {UNROLLED_HARD_LIMIT} parameters); use --loops"
        )
    if style == "auto":
        return "unrolled" if count <= UNROLLED_MAX_PARAMS else "loops"
    return style


def render(spec: NetworkSpec, gain_value: float = 1.0, style: str = "auto") -> str:
    """The source text of the gradient module of ``spec``: unrolled or loop code (``choose_style``)."""
    chosen = choose_style(spec, style)
    forced = "" if chosen == choose_style(spec) else f" --{chosen}"  # the regenerate line keeps a forced style
    if chosen == "loops":
        from .codegen_loops import LOOP_TEMPLATE, loop_plan

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
    return environment().get_template(PACKAGE_TEMPLATE).render(
        modules=names, command=UPDATE_COMMAND, version=__version__
    )


@dataclass(frozen=True)
class Output:
    """One file to produce: where, and its text."""

    path: Path
    text: str

    def is_current(self) -> bool:
        try:
            return self.path.read_text("utf-8") == self.text
        except (OSError, UnicodeDecodeError):
            return False


def target_path(spec: NetworkSpec, out: str | Path) -> Path:
    """``out`` itself, or ``out/<module name>.py`` when it is a folder (or ends with a slash)."""
    text = str(out)
    path = Path(out)
    if path.is_dir() or text.endswith(("/", "\\")):
        return path / f"{module_name(spec)}.py"
    if path.suffix != ".py":
        raise SymbackpropError(f"output file {text} must end in .py (it is a Python module), or name a folder")
    return path


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, or what a plain open() would give (mkstemp gives 0600)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and ``os.replace``: all or nothing."""
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist; create it first"
        raise SymbackpropError(f"cannot write {path}: {folder} {problem}")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        os.chmod(tmp, _file_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise SymbackpropError(f"cannot write {path}: {exc.strerror or exc}; nothing was changed") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def module_output(spec: NetworkSpec, out: str | Path, gain_value: float = 1.0, style: str = "auto") -> Output:
    return Output(target_path(spec, out), render(spec, gain_value, style))


def preset_outputs(folder: str | Path) -> list[Output]:
    """The modules of every preset, and the package ``__init__.py``, for one folder."""
    base = Path(folder)
    if base.exists() and not base.is_dir():
        raise SymbackpropError(f"--all-presets writes into a folder, but {folder} is a file")
    specs = [preset(name) for name in preset_names()]
    outputs = [Output(base / f"{module_name(s)}.py", render(s)) for s in specs]
    outputs.append(Output(base / "__init__.py", render_package_init([module_name(s) for s in specs])))
    return outputs


def write(outputs: list[Output]) -> list[Path]:
    """Write the outputs whose files differ (an unchanged file keeps its mtime, and Numba its cache)."""
    written = []
    for o in outputs:
        if not o.is_current():
            write_atomic(o.path, o.text)
        written.append(o.path)
    return written


def stale(outputs: list[Output]) -> list[Path]:
    """The outputs whose file on disk is missing or differs."""
    return [o.path for o in outputs if not o.is_current()]


def generate(spec: NetworkSpec, out: str | Path, gain_value: float = 1.0, style: str = "auto") -> list[Path]:
    """Write the gradient module of ``spec`` to ``out`` (a .py file or a folder); the paths written."""
    return write([module_output(spec, out, gain_value, style)])
