"""`symbackprop report`: outputs and bad input (one line, exit 2, no traceback, no file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from symbackprop.model.spec import resolve
from symbackprop.report.build import derivation_section, model, sampled
from symbackprop.report.layout import layout
from symbackprop.report.tex import math, typesettable
from tests.helpers import REPO


def cli(
    *argv: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "symbackprop", "report", *argv],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_html_and_tex(tmp_path: Path) -> None:
    done = cli("sears-xor", "-o", str(tmp_path / "r.html"))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "r.html").read_text("utf-8")
    for link in ('src="http', 'href="http', "url(http", "@import"):
        assert link not in page  # nothing to fetch: the page is self-contained
    assert cli("sears-xor", "-o", str(tmp_path / "r.tex")).returncode == 0
    assert (tmp_path / "r.tex").read_text("utf-8").startswith("\\documentclass")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.tex"]  # no temporary left


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["no-such-preset", "-o", "{tmp}/x.html"], "no-such-preset"),
        (["maren", "--claims", "{tmp}/missing.toml", "-o", "{tmp}/x.html"], "missing.toml"),
        (["maren", "--claims", "{tmp}/bad.toml", "-o", "{tmp}/x.html"], "bad.toml"),
        (["maren", "-o", "{tmp}/no/such/folder/x.html"], "does not exist"),
        (["maren", "-o", "{tmp}/x.docx"], ".html, .tex or .pdf"),
    ],
)
def test_bad_input(tmp_path: Path, argv: list[str], words: str) -> None:
    (tmp_path / "bad.toml").write_text("[[claim]]\nlatex = 3\n", "utf-8")
    line = one_line_error(cli(*[a.format(tmp=tmp_path) for a in argv]))
    assert words in line
    assert not (tmp_path / "x.html").exists()


def test_unwritable_output(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = "/proc/x.html"  # not writable even for root
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        target = str(tmp_path / "ro" / "x.html")
    line = one_line_error(cli("maren", "-o", target))
    assert "x.html" in line


def test_pdf_without_latexmk(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path)}  # no latexmk on it
    line = one_line_error(cli("sears-xor", "-o", str(tmp_path / "x.pdf"), env=env))
    assert "latexmk" in line and "apt-get install" in line
    assert not (tmp_path / "x.pdf").exists()


def test_wide_network_collapses() -> None:
    m = model(resolve("64-32-10"))
    d = layout(m.net, m.names)
    assert (
        d.collapsed
        and len(d.edges) < 60
        and "more" in {u.caption.split()[-1] for u in d.units if u.kind == "ellipsis"}
    )
    section = derivation_section(m)
    assert section.shown == len(sampled(m.net)) < section.total == len(m.net.params)


def test_small_network_draws_every_parameter() -> None:
    m = model(resolve("xor-bias"))
    d = layout(m.net, m.names)
    assert sorted(e.param for e in d.edges) == sorted(p.id for p in m.net.params)
    assert all(e.label is not None and e.label.typeset for e in d.edges)


@pytest.mark.parametrize(
    ("tex", "ok"),
    [
        ("\\frac{\\partial E}{\\partial w_{1}}", True),
        ("\\left( x \\right)", True),
        ("\\left( x", False),
        ("\\unknownmacro{x}", False),
        ("x_{1", False),
        ("α + 1", False),
        ("a % comment", False),
    ],
)
def test_typesettable(tex: str, ok: bool) -> None:
    assert typesettable(tex) is ok


def test_rows_are_aligned() -> None:
    assert math("a &= b \\\\ &= c").tex.startswith("\\begin{aligned}")
