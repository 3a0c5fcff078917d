"""Rendering a report: strict Jinja templates (``templates/report``) to HTML, LaTeX and PDF.

Maths in HTML: KaTeX, vendored in ``symbackprop/report/assets/katex`` (the npm package's dist,
MIT, with its LICENSE) and inlined into every page with its fonts as data URIs, so a report is
one file that renders offline. KaTeX rather than MathML Core generated here: the report's
LaTeX comes from the notation printer and from sources as written (``\\operatorname``,
``aligned``, ``\\text``, ``\\left(``, colours for the differing factor); KaTeX reads all of it the
way LaTeX does, looks the same in every browser and prints identically, while a LaTeX to
MathML converter in Python would be a second, weaker LaTeX reader to maintain. The cost is
about 0.6 MB of inlined JavaScript, CSS and fonts per page, and maths needs JavaScript on.

The PDF is a real LaTeX document compiled by ``latexmk -pdf``. Every file is written
atomically (a temporary file beside it, then ``os.replace``): a failed run leaves nothing.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2

from symbackprop.codegen.common import REPO_TEMPLATES
from symbackprop.errors import SymbackpropError
from symbackprop.report.model import Report

ASSETS = Path(__file__).resolve().parent / "assets" / "katex"
HTML_TEMPLATE = "report/report.html.j2"
TEX_TEMPLATE = "report/report.tex.j2"
LATEXMK_INSTALL = (
    "apt-get install -y texlive-latex-base texlive-latex-recommended texlive-pictures latexmk"
)
TEX_CHARS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "…": r"\ldots{}",
    "→": r"$\rightarrow$",
    "↳": r"$\hookrightarrow$",
    "↑": r"$\uparrow$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "∂": r"$\partial$",
    "\u00a0": "~",
}


def tex_escape(text: object) -> str:
    """Prose for LaTeX: special characters escaped; other non-ASCII shown as [U+XXXX]."""
    out = []
    for c in str(text):
        if c in TEX_CHARS:
            out.append(TEX_CHARS[c])
        elif c.isascii() or c in "éèêëàâäöüçñÉÖÜß":
            out.append(c)
        else:
            out.append(f"[U+{ord(c):04X}]")
    return "".join(out)


def tex_code(text: object) -> str:
    """LaTeX source shown as code: escaped, breakable after spaces."""
    return r"\texttt{" + tex_escape(text).replace(" ", r" \allowbreak{}") + "}"


@lru_cache(maxsize=2)
def environment(kind: str) -> jinja2.Environment:
    packaged = resources.files("symbackprop") / "templates"
    folder = Path(str(packaged)) if packaged.is_dir() else REPO_TEMPLATES
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=kind == "html",
        # LaTeX writes {#1}: its comments are <# ... #>
        comment_start_string="{#" if kind == "html" else "<#",
        comment_end_string="#}" if kind == "html" else "#>",
    )
    env.filters["tex"] = tex_escape
    env.filters["texcode"] = tex_code
    env.filters["num"] = lambda x: f"{x:.1f}"
    env.filters["secs"] = lambda x: f"{x:.2f} s"
    return env


@lru_cache(maxsize=1)
def katex_assets() -> tuple[str, str]:
    """(CSS with the woff2 fonts as data URIs, JavaScript) of the vendored KaTeX."""
    css = (ASSETS / "katex.min.css").read_text("utf-8")

    def inline(m: re.Match[str]) -> str:
        data = base64.b64encode((ASSETS / "fonts" / m.group(1)).read_bytes()).decode("ascii")
        return f'url(data:font/woff2;base64,{data}) format("woff2")'

    css = re.sub(r'url\(fonts/([\w-]+\.woff2)\) format\("woff2"\)', inline, css)
    css = re.sub(r',\s*url\(fonts/[\w-]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)', "", css)
    if "url(fonts/" in css:
        raise SymbackpropError("the vendored KaTeX CSS refers to fonts that are not inlined")
    js = (ASSETS / "katex.min.js").read_text("utf-8").replace("</script", "<\\/script")
    return css, js


def html(report: Report) -> str:
    css, js = katex_assets()
    return (
        environment("html").get_template(HTML_TEMPLATE).render(r=report, katex_css=css, katex_js=js)
    )


def tex(report: Report) -> str:
    width = report.network.diagram.width if report.network else 600.0
    unit = min(0.024, 15.0 / width)
    return environment("tex").get_template(TEX_TEMPLATE).render(r=report, tikz_unit=f"{unit:.4f}")


def write_atomic(path: Path, data: bytes) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SymbackpropError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SymbackpropError(f"cannot write {path}: {exc.strerror or exc}") from None


def check_output(path: Path) -> str:
    """The output's format (html, tex, pdf) once its folder is known to be writable."""
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("html", "tex", "pdf"):
        raise SymbackpropError(f"-o {path}: the output must end in .html, .tex or .pdf")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SymbackpropError(f"-o {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise SymbackpropError(f"-o {path}: not writable")
    if kind == "pdf" and shutil.which("latexmk") is None:
        raise SymbackpropError(f"a PDF needs latexmk, which is not installed: {LATEXMK_INSTALL}")
    return kind


def pdf(report: Report, timeout: float = 600) -> bytes:
    """The report compiled by latexmk in a temporary folder; the log's error on failure."""
    with tempfile.TemporaryDirectory(prefix="symbackprop-report-") as work:
        folder = Path(work)
        (folder / "report.tex").write_text(tex(report), "utf-8")
        for f in report.training.figures if report.training else ():
            (folder / f.pdf_name).write_bytes(f.pdf)
        cmd = [
            "latexmk",
            "-pdf",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-quiet",
            "report.tex",
        ]
        try:
            done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=timeout)
        except FileNotFoundError:
            raise SymbackpropError(
                f"a PDF needs latexmk, which is not installed: {LATEXMK_INSTALL}"
            ) from None
        except subprocess.TimeoutExpired:
            raise SymbackpropError(f"latexmk took longer than {timeout:.0f} s") from None
        out = folder / "report.pdf"
        if done.returncode != 0 or not out.is_file():
            log = (
                (folder / "report.log").read_text("utf-8", "replace")
                if (folder / "report.log").is_file()
                else done.stdout
            )
            first = next((line for line in log.splitlines() if line.startswith("!")), "see the log")
            raise SymbackpropError(f"latexmk failed: {first}")
        return out.read_bytes()


def write(report: Report, path: Path) -> str:
    """Write the report to ``path`` (.html, .tex or .pdf); returns the format."""
    kind = check_output(path)
    if kind == "html":
        write_atomic(path, html(report).encode("utf-8"))
    elif kind == "tex":
        write_atomic(path, tex(report).encode("utf-8"))
        for f in report.training.figures if report.training else ():
            write_atomic(path.parent / f.pdf_name, f.pdf)
    else:
        write_atomic(path, pdf(report))
    return kind
