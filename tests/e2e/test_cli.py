from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from symbackprop.cli.main import main
from tests.helpers import REPO

ROOT = REPO
GOLDEN = REPO / "tests" / "golden"
GOLDEN_CASES = {
    "sears-xor-chain": ["derive", "sears-xor", "--form", "chain"],
    "maren-chain": ["derive", "maren", "--form", "chain"],
    "note-all": ["derive", "note", "--form", "all"],
    "essay-compact": ["derive", "essay"],
    "xor-bias-compact": ["derive", "xor-bias"],
    "2-3-2-tanh-sse": ["derive", "2-3-2", "--activation", "tanh", "--loss", "sse"],
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_latex_matches_golden(
    case: str, capsys: pytest.CaptureFixture[str], update_golden: bool
) -> None:
    code, out, _ = run(capsys, *GOLDEN_CASES[case])
    assert code == 0
    path = GOLDEN / f"{case}.tex"
    if update_golden:
        path.write_text(out)
    assert path.read_text() == out, (
        f"LaTeX for {' '.join(GOLDEN_CASES[case])} changed; if intended, run "
        "`python -m pytest tests/e2e/test_cli.py --update-golden` and review the diff"
    )


def test_output_is_deterministic_across_processes() -> None:
    cmd = [
        sys.executable,
        "-m",
        "symbackprop",
        "derive",
        "maren",
        "--form",
        "all",
        "--format",
        "json",
    ]
    first = subprocess.run(
        cmd, capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "1"}
    ).stdout
    second = subprocess.run(
        cmd, capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "2"}
    ).stdout
    assert first == second and first


def test_sears_reads_like_the_paper(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "sears-xor", "--param", "w_{1}")
    assert code == 0
    # factors in chain order, differences in the paper's orientation
    assert out.strip() == (
        r"\frac{\partial E}{\partial w_{1}} = - \left(y - \hat{y}\right) \varphi_{\hat{y}} "
        r"\left(1 - \varphi_{\hat{y}}\right) \varphi_{1}"
    )


def test_json_lists_every_parameter_with_forms_and_symbols(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys,
        "derive",
        "2-3-2",
        "--activation",
        "tanh",
        "--loss",
        "sse",
        "--format",
        "json",
        "--form",
        "all",
    )
    assert code == 0
    data = json.loads(out)
    params = data["parameters"]
    assert len(params) == 2 * 3 + 3 + 3 * 2 + 2
    w = next(p for p in params if p["id"] == "w2_1_3")
    assert (w["name"], w["kind"], w["layer"], w["from"], w["to"]) == (
        "w^{(2)}_{1,3}",
        "weight",
        2,
        3,
        1,
    )
    assert set(w["forms"]) == {"exact", "chain", "compact"}
    names_in_exprs: set[str] = set()
    for p in params:
        for form in p["forms"].values():
            names_in_exprs |= set(re.findall(r"Symbol\('([^']+)'", form["srepr"]))
    assert names_in_exprs <= set(data["symbols"]), names_in_exprs - set(data["symbols"])
    assert data["symbols"]["x2"] == "input 2" and data["symbols"]["eta"] == "learning rate"
    from symbackprop import build, gradients, inline

    net = build(inline("2-3-2", activation="tanh", loss="sse"))
    (g,) = gradients(net, ["w2_1_3"])
    assert w["forms"]["exact"]["srepr"] == sp.srepr(g.exact, order="none")
    assert w["forms"]["compact"]["srepr"] == sp.srepr(g.compact.value, order="none")


def test_param_and_exact_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "essay", "--param", "b2_1", "--form", "exact")
    assert code == 0
    assert out.startswith(r"\frac{\partial E}{\partial b^{(2)}_{1}} = \frac{1}{n} \sum_{i=1}^{n}")
    assert r"v^{(2)}" not in out  # exact: no intermediates


def test_text_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "note", "--format", "text", "--param", "w_{6}")
    assert code == 0
    assert out.strip() == "dE/dw2_1_2 [w_{6}] = a1_2*(o1 - y1)"


BAD = [
    (
        ["derive", "nope"],
        "unknown preset 'nope'; choose from essay, maren, note, sears-xor, xor-bias",
    ),
    (
        ["derive", "sears-xor", "--param", "w_{9}"],
        "unknown parameter 'w_{9}'; valid: w1_1_1 (w_{11})",
    ),
    (["derive", "2-3-2", "--activation", "swish"], "unknown activation 'swish'"),
    (["derive", "2-0-2"], "every layer size must be a positive integer"),
    (["derive", "2-2-1", "--notation", "klingon"], "unknown notation 'klingon'"),
    (["derive", "missing.toml"], "cannot read spec file missing.toml"),
    (["eval", "note", "--values", "missing.toml"], "cannot read values file missing.toml"),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_input_gets_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_malformed_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "broken.toml"
    spec.write_text("layers = [2, 2\n")
    code, _, err = run(capsys, "derive", str(spec))
    assert code == 2 and "malformed TOML" in err
    values = tmp_path / "v.toml"
    values.write_text("x = [1, 2]\ny = [1]\n[params]\nw_1 = 0.1\n")
    code, _, err = run(capsys, "eval", "note", "--values", str(values))
    assert code == 2 and "no value for" in err
    notation = tmp_path / "n.toml"
    notation.write_text("colour = 'red'\n")
    code, _, err = run(capsys, "derive", "2-2-1", "--notation", str(notation))
    assert code == 2 and "unknown key 'colour'" in err


def test_module_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "symbackprop", "list"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "sears-xor" in done.stdout and "softplus" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "symbackprop", "derive", "xor"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
