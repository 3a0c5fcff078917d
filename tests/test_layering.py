"""The package's architecture, checked from its source: stages import only earlier stages,
no import circles, no private names imported across modules, no module over the size limit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "symbackprop"
# Each stage may import the stages before it (and itself); the base modules come first.
ORDER = [
    "base",
    "model",
    "backprop",
    "printing",
    "codegen",
    "train",
    "verify",
    "audit",
    "report",
    "api",
    "cli",
]
BASE = {"errors", "util", "files", "_version", "__init__"}
FRONT = {"api": "api", "testing": "api", "__main__": "cli"}
MAX_LINES = 520


def stage(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts or parts[0] in BASE:
        return "base"
    return FRONT.get(parts[0], parts[0])


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[str, list[str], bool]]:
    """(module, names, at top level) for every import of symbackprop in the file."""
    tree = ast.parse(path.read_text("utf-8"))
    inside = {
        id(n)
        for f in ast.walk(tree)
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
        for n in ast.walk(f)
    }
    # Imports for type checkers only never run: they make no circle.
    typing_only = {
        id(n)
        for f in tree.body
        if isinstance(f, ast.If) and "TYPE_CHECKING" in ast.unparse(f.test)
        for n in ast.walk(f)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        top = id(node) not in inside
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("symbackprop")
        ):
            found.append((node.module, [a.name for a in node.names], top))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("symbackprop"):
                    found.append((alias.name, [], top))
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_package_has_its_stages() -> None:
    stages = {stage(m) for m in MODULES}
    assert set(ORDER) - {"report"} <= stages | {"base"}, stages


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module: str) -> None:
    mine = ORDER.index(stage(module))
    for target, _, _ in imports(MODULES[module]):
        if module == "symbackprop" or target == "symbackprop._version":
            continue
        theirs = ORDER.index(stage(target))
        assert theirs <= mine, (
            f"{module} ({stage(module)}) imports {target} ({stage(target)}): upward"
        )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_across_modules(module: str) -> None:
    for target, names, _ in imports(MODULES[module]):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{module} imports private {private} from {target}"
        assert not any(p.startswith("_") and p != "_version" for p in target.split(".")), target


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module: str) -> None:
    lines = len(MODULES[module].read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def resolve(target: str, names: list[str]) -> list[str]:
    """The modules an import loads: ``from pkg import mod`` names a module too."""
    out = [target] if target in MODULES else []
    out += [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
    return out


def test_no_import_circles() -> None:
    graph = {
        m: {t for target, names, top in imports(p) if top for t in resolve(target, names) if t != m}
        for m, p in MODULES.items()
        if m != "symbackprop"
    }
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for t in sorted(graph.get(m, ())):
            if t == "symbackprop" or t not in graph:
                continue
            if state.get(t) == 1:
                cycle = [*path[path.index(t) :], t]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_function_level_imports_are_not_of_the_package(module: str) -> None:
    """Imports inside functions are for optional heavy dependencies, never to dodge a circle."""
    allowed = {
        "symbackprop.verify.pytest_plugin",  # loads the verifier only when its fixture is used
        "symbackprop.cli.codegen",  # train (Numba, NumPy) loads only for `train`, not for `derive`
        "symbackprop.cli.report",  # report --train loads Numba and matplotlib only when asked
    }
    if module in allowed:
        return
    late = [t for t, _, top in imports(MODULES[module]) if not top]
    assert not late, f"{module} imports {late} inside a function"
