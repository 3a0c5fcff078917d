"""The HTML reports in a real browser (headless Chromium): maths rendered, badges, diagram,
nothing fetched from the network, readable at phone width; screenshots as artefacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from symbackprop.report.model import Report
from symbackprop.report.render import html, write_atomic
from tests.report.conftest import SOURCES

TEXT_OUTSIDE_MATHS = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('.katex-mathml, code, script, style').forEach(e => e.remove());
  return body.innerText;
}"""


def page_of(browser: Any, report: Report, path: Path, width: int = 1000) -> tuple[Any, list[str]]:
    from tests.report.browser import open_report

    write_atomic(path, html(report).encode("utf-8"))
    return open_report(browser, path, width)


def check_page(page: Any, outside: list[str], report: Report) -> None:
    assert outside == [], f"requests left the page: {outside}"
    total = page.locator("span.math").count()
    assert total > 0
    assert page.locator("span.math.rendered").count() == total
    assert page.evaluate("document.body.dataset.mathErrors") == "0"
    assert page.locator(".katex-error").count() == 0
    text = page.evaluate(TEXT_OUTSIDE_MATHS)
    assert "\\frac" not in text and "\\partial" not in text
    items = list(report.claims.items) if report.claims else []
    if report.audit:
        items += [b.item for b in report.audit.blocks if b.item is not None]
    shown = page.eval_on_selector_all(
        "article.claim header .badge", "els => els.map(e => e.textContent)"
    )
    assert shown == [i.verdict for i in items]
    classes = page.eval_on_selector_all("article.claim", "els => els.map(e => e.className)")
    assert classes == [f"claim {i.css}" for i in items]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_source_report_renders(
    browser: Any, sources: dict[str, Report], artefacts: Path, source: str
) -> None:
    report = sources[source]
    page, outside = page_of(browser, report, artefacts / f"report-{source}.html")
    check_page(page, outside, report)
    edges = page.locator("svg line.edge").count()
    assert report.network is not None
    assert edges == report.network.parameters  # small networks: one edge per parameter
    assert page.locator("svg foreignObject .lbl .katex").count() == edges
    page.screenshot(path=str(artefacts / f"report-{source}.png"))
    page.close()


def test_audit_report_renders(browser: Any, audited: Report, artefacts: Path) -> None:
    page, outside = page_of(browser, audited, artefacts / "report-note-audit.html")
    check_page(page, outside, audited)
    assert page.locator("#audit .para").count() > 10  # the document's prose is kept
    page.screenshot(path=str(artefacts / "report-note-audit.png"))
    page.close()


def test_phone_width(browser: Any, sources: dict[str, Report], artefacts: Path) -> None:
    page, outside = page_of(browser, sources["maren"], artefacts / "report-phone.html", 390)
    assert outside == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    page.screenshot(path=str(artefacts / "report-maren-phone.png"))
    page.close()
