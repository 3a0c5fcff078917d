"""Files: atomic writes, the modules of every preset, ``--check`` for stale files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import symbackprop.files as files
from symbackprop.codegen.common import module_name
from symbackprop.codegen.render import render, render_package_init
from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import NetworkSpec, preset, preset_names

MAX_NAME_BYTES = (
    200  # a file name (its temporary sibling adds a few characters; most systems allow 255)
)


@dataclass(frozen=True)
class Output:
    """One file to produce: where, and its text."""

    path: Path
    text: str

    def is_current(self) -> bool:
        if files.kind(self.path) != "file":  # missing, or a FIFO that would block a read
            return False
        try:
            return self.path.read_text("utf-8") == self.text
        except (OSError, UnicodeDecodeError):
            return False


def target_path(spec: NetworkSpec, out: str | Path) -> Path:
    """``out`` itself, or ``out/<module name>.py`` when it is a folder (or ends with a slash)."""
    text = str(out)
    path = Path(out)
    if files.kind(path) == "folder" or text.endswith(("/", "\\")):
        path = path / f"{module_name(spec)}.py"
    elif path.suffix != ".py":
        raise SymbackpropError(
            f"output file {text} must end in .py (it is a Python module), or name a folder"
        )
    if files.kind(path) in ("folder", "other"):
        raise SymbackpropError(f"cannot write {path}: it is not a regular file")
    if len(path.name.encode()) > MAX_NAME_BYTES:
        raise SymbackpropError(
            f"cannot write {path.name[:40]}...: the file name is {len(path.name.encode())} bytes "
            f"long (at most {MAX_NAME_BYTES})"
        )
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and ``os.replace``: all or nothing."""
    files.write_atomic(path, text)


def module_output(
    spec: NetworkSpec, out: str | Path, gain_value: float = 1.0, style: str = "auto"
) -> Output:
    return Output(target_path(spec, out), render(spec, gain_value, style))


def preset_outputs(folder: str | Path) -> list[Output]:
    """The modules of every preset, and the package ``__init__.py``, for one folder."""
    base = Path(folder)
    if base.exists() and not base.is_dir():
        raise SymbackpropError(f"--all-presets writes into a folder, but {folder} is a file")
    specs = [preset(name) for name in preset_names()]
    outputs = [Output(base / f"{module_name(s)}.py", render(s)) for s in specs]
    outputs.append(
        Output(base / "__init__.py", render_package_init([module_name(s) for s in specs]))
    )
    return outputs


def write(outputs: list[Output]) -> list[Path]:
    """Write the outputs whose files differ (an unchanged file keeps its mtime, and Numba its
    cache)."""
    written = []
    for o in outputs:
        files.remove_stale_temps(o.path)  # a killed run's temporary file, even if o is current
        if not o.is_current():
            write_atomic(o.path, o.text)
        written.append(o.path)
    return written


def stale(outputs: list[Output]) -> list[Path]:
    """The outputs whose file on disk is missing or differs."""
    return [o.path for o in outputs if not o.is_current()]


def generate(
    spec: NetworkSpec, out: str | Path, gain_value: float = 1.0, style: str = "auto"
) -> list[Path]:
    """Write the gradient module of ``spec`` to ``out`` (a .py file or a folder); the paths
    written."""
    return write([module_output(spec, out, gain_value, style)])
