"""The LaTeX reports compiled by latexmk: the four sources, a plain preset and a 64-32-10
network; pdftotext finds every verdict, pdftoppm renders page 1."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from symbackprop.report.model import Report
from symbackprop.report.render import pdf
from tests.report.conftest import report_of


@pytest.fixture(scope="module")
def pdfs(
    latexmk: None, sources: dict[str, Report], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Report, Path]]:
    folder = tmp_path_factory.mktemp("pdf")
    reports = dict(sources)
    reports["xor-bias"] = report_of(["xor-bias"])
    reports["64-32-10"] = report_of(["64-32-10"])
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(reports, pool.map(pdf, reports.values())))
    out = {}
    for name, data in done.items():
        path = folder / f"{name}.pdf"
        path.write_bytes(data)
        out[name] = (reports[name], path)
    return out


def text_of(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("name", ["sears-xor", "maren", "note", "essay", "xor-bias", "64-32-10"])
def test_pdf_compiles_and_reads(
    pdfs: dict[str, tuple[Report, Path]], name: str, tmp_path: Path
) -> None:
    report, path = pdfs[name]
    assert path.read_bytes().startswith(b"%PDF")
    text = " ".join(text_of(path).split())
    for item in report.claims.items if report.claims else ():
        assert item.verdict in text
    if report.claims:
        fails = sum(i.verdict == "does not hold" for i in report.claims.items)
        assert text.count("does not hold") >= fails
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    assert list(tmp_path.glob("p*.png"))
    if name == "64-32-10":
        assert report.network is not None and report.network.diagram.collapsed
        assert "more" in text  # the collapsed layers say how many units are not drawn


def test_audit_pdf(latexmk: None, audited: Report, tmp_path: Path) -> None:
    path = tmp_path / "audit.pdf"
    path.write_bytes(pdf(audited))
    text = " ".join(text_of(path).split())
    assert "does not hold" in text and "holds" in text
