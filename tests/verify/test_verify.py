"""symbackprop verify and audit: verdicts, diagnoses, exit codes and clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symbackprop.cli.main import main
from symbackprop.model.spec import preset
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.reader import ReadError, parse
from symbackprop.verify.steps import verify
from tests.helpers import seeds

SEARS_W1 = r"\alpha (y - \hat{y}) \varphi_{\hat{y}} (1 - \varphi_{\hat{y}}) \varphi_1"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# -- the four commands -------------------------------------------------------------


def test_sears_output_update_holds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "verify", "sears-xor", "--param", "w_{1}", "--claim", SEARS_W1, "--kind", "update"
    )
    assert code == 0 and "HOLDS" in out


def test_maren_index_claim_is_bound_by_the_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    claim = r"-\alpha E_o \mathcal{F}_o [1 - \mathcal{F}_o] H_h"
    code, out, _ = run(
        capsys, "verify", "maren", "--param", "v_{1,2}", "--claim", claim, "--format", "json"
    )
    records = json.loads(out)
    assert code == 0 and [r["binding"] for r in records] == ["h=1, o=2"]
    assert records[0]["verdict"] == "holds"


def test_index_claim_with_lhs_is_checked_for_every_binding() -> None:
    ctx = context(preset("maren"))
    claim = (
        r"\frac{\partial SSE}{\partial v_{h,o}} = -\alpha E_o \mathcal{F}_o [1 - \mathcal{F}_o] H_h"
    )
    outcomes = verify(ctx, Claim(claim))
    assert len(outcomes) == 6 and {o.verdict for o in outcomes} == {"holds"}
    bound = verify(ctx, Claim(claim, bind=(("o", "2"), ("h", "1"))))
    assert [o.binding for o in bound] == ["h=1, o=2"]


def test_canonical_inline_spec_with_sigma_prime(capsys: pytest.CaptureFixture[str]) -> None:
    claim = r"(a^{(2)}_{1} - y_{1}) \sigma'(z^{(2)}_{1}) a^{(1)}_{3}"
    code, out, _ = run(capsys, "verify", "2-3-2", "--param", "w2_1_3", "--claim", claim)
    assert code == 0, out


def test_note_claims_file_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "note", "--claims", "claims/note.toml")
    assert code == 2  # the note's Error = 1/2 sum_{i=1}^n ... names an n it never defines
    assert "STEP 4, table, row w_3 (new)" in out and "DOES NOT HOLD" in out


# -- verdicts -------------------------------------------------------------------------------


def test_wrong_claim_exit_one_with_diagnosis(capsys: pytest.CaptureFixture[str]) -> None:
    claim = r"\Delta w_{11} = -\Delta w_{\hat{y}} \varphi_1(1 - \varphi_1) i_1"
    code, out, _ = run(
        capsys, "verify", "sears-xor", "--claim", claim, "--bind", r"w_{\hat{y}}=w_1"
    )
    assert code == 1
    assert r"claim/true = - \frac{\varphi_{1}}{w_{1}}" in out and "counterexample: at" in out


def test_gain_and_learning_rate_are_different_symbols() -> None:
    ctx = context(preset("maren"))
    gradient = r"-\alpha E_o \mathcal{F}_o [1 - \mathcal{F}_o] H_h"
    as_update = verify(ctx, Claim(gradient, param="v_{1,2}", kind="update"))
    assert as_update[0].verdict == "does not hold"
    good = verify(
        ctx,
        Claim(
            r"\eta \alpha E_o \mathcal{F}_o [1 - \mathcal{F}_o] H_h", param="v_{1,2}", kind="update"
        ),
    )
    assert good[0].verdict == "holds"


def test_sign_error_is_named() -> None:
    ctx = context(preset("sears-xor"))
    out = verify(ctx, Claim(r"-" + SEARS_W1, param="w_{1}", kind="update"))
    assert out[0].verdict == "does not hold" and "sign" in out[0].factor and out[0].ratio == "-1"


def test_exponential_form_is_proved_symbolically() -> None:
    ctx = context(preset("essay"))
    claim = r"\frac{\partial o_1}{\partial b_z} = \frac{e^{-u}}{(1 + e^{-u})^2}"
    out = verify(ctx, Claim(claim, bind=(("u", "u^{(3)}_{1}"), ("b_z", "b^{(3)}_{1}"))))
    assert out[0].verdict == "holds"


def test_numeric_claim_needs_values() -> None:
    ctx = context(preset("note"))
    out = verify(ctx, Claim(r"w_{6,new} = 0.17", decimals=2))
    assert out[0].verdict == "undecided" and "no value is given" in out[0].remark


def test_numeric_claim_with_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = tmp_path / "v.toml"
    values.write_text(
        "x = [2, 3]\ny = [1]\nlr = 0.05\n[params]\nw_1 = 0.11\nw_2 = 0.12\nw_3 = 0.21\nw_4 = "
        "0.08\nw_5 = 0.14\nw_6 = 0.15\n"
    )
    code, out, _ = run(
        capsys,
        "verify",
        "note",
        "--param",
        "w_{6}",
        "--kind",
        "new",
        "--claim",
        "0.17",
        "--values",
        str(values),
        "--decimals",
        "2",
    )
    assert code == 0, out
    code, out, _ = run(
        capsys,
        "verify",
        "note",
        "--param",
        "w_{6}",
        "--kind",
        "new",
        "--claim",
        "0.17",
        "--values",
        str(values),
    )
    assert code == 1 and "0.169416" in out


# -- bad input: one line, exit 2, no traceback ---------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (
            ["verify", "sears-xor", "--param", "w_{1}", "--claim", r"\alpha (y - "],
            ["column", "expected"],
        ),
        (
            ["verify", "sears-xor", "--param", "w_{1}", "--claim", r"\sigma(x)"],
            ["unknown symbol", "it knows"],
        ),
        (
            ["verify", "sears-xor", "--param", "w_{9}", "--claim", "1"],
            ["unknown parameter", "valid"],
        ),
        (
            ["verify", "sears-xor", "--param", "w_{1}", "--claim", r"w^{(1)}_{1,1}"],
            ["w^{(1)}_{1,1} is notation canonical's name", "--notation canonical"],
        ),
        (
            ["verify", "sears-xor", "--param", "w_{1}", "--claim", "a @ b"],
            ["unexpected character '@'"],
        ),
        (
            ["verify", "sears-xor", "--claim", r"\Delta w_1 = 0", "--kind", "gradient"],
            ["update", "--kind"],
        ),
        (
            ["verify", "sears-xor", "--param", "w_{2}", "--claim", r"\Delta w_1 = 0"],
            ["never names"],
        ),
        (["verify", "sears-xor", "--claim", "1"], ["--param"]),
        (["verify", "sears-xor", "--claims", "nowhere.toml"], ["cannot read claims file"]),
        (["verify", "maren", "--claims", "claims/note.toml"], ["is about spec 'note'"]),
        (["verify", "essay", "--claim", "p' = p", "--learning-rate", "x"], ["--learning-rate"]),
        (["audit", "nowhere.md", "--spec", "sears-xor"], ["cannot read document"]),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    for word in words:
        assert word in err, err


def test_malformed_latex_reports_position_token_and_expectation() -> None:
    with pytest.raises(ReadError) as info:
        parse(r"\frac{1}{2} + )")
    message = str(info.value)
    assert "column 15" in message and "')'" in message and "expected" in message


# -- the reader takes the sources verbatim --------------------------------------------------


@pytest.mark.parametrize(
    "latex",
    [
        r"\frac{\partial SSE}{\partial v_{h,o}} = \frac{\partial SSE}{\partial E_o} "
        r"\frac{\partial E_o}{\partial A_o} \frac{\partial A_o}{\partial v_{h,o}} \quad (6.7)",
        r"\text{net}_{\hat{y}} = \varphi(\text{net}_1)w_1 + \varphi(\text{net}_2)w_2",
        r"\begin{aligned} \Delta w_{11} &= -\Delta w_{\hat{y}} \varphi_1(1 - \varphi_1) i_1 \\ "
        r"\Delta w_{12} &= x \end{aligned}",
        r"\frac{\partial}{\partial u} (\sigma(u)) = -(1 + e^{-u})^{-2} (-e^{-u}), \text{ by the "
        r"chain rule}",
        r"y = \frac{1}{1 + \exp(-\alpha x)} = (1 + \exp(-\alpha x))^{-1}. \quad (6.1)",
        r"\frac{\partial E}{\partial p} = \frac{1}{n} \left(\frac{\partial E_1}{\partial p} + "
        r"\dots + \frac{\partial E_n}{\partial p} \right)",
        r"w_{6,\text{new}} = 0.15 - 0.05 \cdot (0.19 - 1) \cdot 0.48 \approx 0.17",
        r"\partial y / \partial x = \alpha y [1 - y]",
        r"p' = p - \dfrac{\partial E}{\partial p}",
    ],
)
def test_reader_takes_source_equations(latex: str) -> None:
    assert parse(latex).rows


def test_audit_finds_every_transcribed_claim(capsys: pytest.CaptureFixture[str]) -> None:
    folder = seeds()
    code, out, _ = run(
        capsys, "audit", str(folder / "000_f8a59a32590a939b.txt"), "--spec", "sears-xor"
    )
    assert code == 1
    assert "line  104 | DOES NOT HOLD" in out and r"\Delta w_1 &= \alpha (y - \hat{y})" in out
    assert "UNREADABLE" not in out and "summary:" in out  # every equation of Sears' paper is judged


def test_audit_of_a_small_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "d.md"
    doc.write_text(
        "Text with $\\Delta w_1 = "
        + SEARS_W1
        + "$ inline.\n\n$$\\Delta w_2 = \\alpha$$\n\n$$\\frac{1}{$$\n"
    )
    code, out, _ = run(capsys, "audit", str(doc), "--spec", "sears-xor", "--format", "json")
    rows = json.loads(out)
    assert [r["status"] for r in rows] == ["holds", "does not hold", "unreadable"]
    assert [r["line"] for r in rows] == [1, 3, 5] and code == 1


def test_a_claim_in_another_notation_is_called_mixed(capsys: pytest.CaptureFixture[str]) -> None:
    from symbackprop.cli.main import main

    code = main(
        [
            "verify",
            "2-2-1",
            "--param",
            "w2_1_1",
            "--claim",
            # (a single letter such as y is in too many notations to name one)
            r"\varphi_{\hat{y}} (1 - \varphi_{\hat{y}}) \varphi_1 (\hat{y} - y)",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert (
        "the claim mixes notations" in err and "notation sears" in err and "--notation sears" in err
    )
    # the suggestion works: the same claim with the notation it names is judged
    argv = ["verify", "2-2-1", "--param", "w2_1_1", "--notation", "sears", "--claim"]
    assert main([*argv, r"-(y - \hat{y}) \varphi_{\hat{y}} (1 - \varphi_{\hat{y}}) \varphi_1"]) == 0
    code = main(["verify", "sears-xor", "--param", "w_{1}", "--claim", "q_7"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown symbol q_7 in notation sears" in err
