"""Shared report fixtures: the four sources' reports built once, one browser per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from symbackprop.cli.main import parser
from symbackprop.cli.report import build_report
from symbackprop.model.spec import resolve
from symbackprop.report.model import Report
from tests.helpers import REPO, SEEDS
from tests.report.browser import launch, missing

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
CLAIMS = REPO / "claims"
# The four sources: preset and claims file; the note's source document is audited too.
SOURCES = {
    "sears-xor": ["sears-xor", "--claims", str(CLAIMS / "sears.toml")],
    "maren": ["maren", "--claims", str(CLAIMS / "maren.toml")],
    "note": ["note", "--claims", str(CLAIMS / "note.toml")],
    "essay": ["essay", "--claims", str(CLAIMS / "essay.toml")],
}


def need(what: str, why: str) -> None:
    """Skip with the reason, or fail in CI (CI=true), where every tool must be installed."""
    if not why:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what}: {why}; CI must install it (.ci/run)")
    pytest.skip(f"{what}: {why}")


def report_of(argv: list[str]) -> Report:
    args = parser().parse_args(["report", *argv, "-o", "unused.html"])
    return build_report(args, resolve(args.spec, notation=args.notation))


@pytest.fixture(scope="session")
def artefacts() -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS


@pytest.fixture(scope="session")
def sources() -> dict[str, Report]:
    return {name: report_of(argv) for name, argv in SOURCES.items()}


@pytest.fixture(scope="session")
def audited() -> Report:
    doc = next(SEEDS.glob("003_*.txt"), None) if SEEDS.is_dir() else None
    need("the note's source document", "" if doc else f"not in {SEEDS}")
    return report_of(["note", "--audit", str(doc)])


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need("browser tests", missing())
    pw, b = launch()
    yield b
    b.close()
    pw.stop()


@pytest.fixture(scope="session")
def latexmk() -> None:
    for tool in ("latexmk", "pdftotext", "pdftoppm"):
        need("TeX tests", "" if shutil.which(tool) else f"{tool} is not installed")
