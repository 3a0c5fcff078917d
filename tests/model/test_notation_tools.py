"""symbackprop notation show / check / new, and the tools behind them."""

from __future__ import annotations

from pathlib import Path

import pytest

from symbackprop.cli.main import main
from symbackprop.model.network import build
from symbackprop.model.notation import load_notation, notation_from_toml, notation_names
from symbackprop.model.notation_tools import check, check_network, quantities, starter
from symbackprop.model.spec import spec_from_dict

TEXTS = (
    "bishop",
    "duda",
    "goodfellow",
    "hagan",
    "handout",
    "haykin",
    "mitchell",
    "ng",
    "nielsen",
    "rumelhart",
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_show_lists_every_quantity_with_delta(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "notation", "show", "nielsen", "--spec", "2-3-2")
    assert code == 0
    rows = {line.split()[0]: line.split()[-1] for line in out.splitlines()[2:]}
    assert rows["w2_1_3"] == "w^{3}_{13}"  # Nielsen's input is layer 1
    assert rows["d1_2"] == r"\delta^{2}_{2}"
    assert rows["x1"] == "a^{1}_{1}"


def test_every_shipped_text_notation_checks_without_problems() -> None:
    net = check_network(None)
    for name in TEXTS:
        assert name in notation_names()
        assert [f for f in check(load_notation(name), net) if not f.warning] == [], name


def test_check_finds_a_collision_with_a_fix(capsys: pytest.CaptureFixture[str]) -> None:
    notation = notation_from_toml("[layer]\nnet = 'z_{$j}'\nactivation = 'a_{$j}'\n", "clash")
    findings = check(notation, check_network(None))
    assert findings and "fix:" in str(findings[0])


def test_check_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[layer]\nnet = 'z_{$j}'\nactivation = 'z_{$j}'\n", encoding="utf-8")
    code, out, _ = run(capsys, "notation", "check", str(bad))
    assert code == 1 and "problem" in out and "fix:" in out
    code, out, _ = run(capsys, "notation", "check", "nielsen", "--spec", "2-3-3-2")
    assert code == 0 and "no problems" in out


def test_two_names_for_the_output_is_a_warning() -> None:
    findings = check(load_notation("haykin"), check_network(None))
    assert findings and all(f.warning for f in findings)
    assert any("the output has two names" in f.problem for f in findings)


def test_two_names_for_the_input_name_the_layer_template_that_fixes_it() -> None:
    text = "numbering = 'network'\ninput = 'x_{$k}'\ntarget = 't_{$j}'\n"
    text += "[layer]\nactivation = 'y_{$j}'\n"
    findings = check(notation_from_toml(text, "dhs"), check_network(None))
    (found,) = [f for f in findings if "the input has two names" in f.problem]
    assert found.warning and "set [layer] activation = 'x_{$j}'" in found.fix
    fixed = text.replace("'y_{$j}'", "'x_{$j}'\n[layers.1]\nactivation = 'y_{$j}'")
    findings = check(notation_from_toml(fixed, "dhs"), check_network(None))
    assert not [f for f in findings if "the input" in f.problem]


def test_new_writes_a_starter_that_loads_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "notation", "new", "mytext")
    assert code == 0 and "mytext.toml" in out
    notation = load_notation(str(tmp_path / "mytext.toml"))
    assert notation.name == "mytext"
    assert quantities(notation, check_network(None))
    before = (tmp_path / "mytext.toml").read_text(encoding="utf-8")
    code, _, err = run(capsys, "notation", "new", "mytext")
    assert code == 2 and "never overwrites" in err and err.count("\n") == 1
    assert (tmp_path / "mytext.toml").read_text(encoding="utf-8") == before


def test_starter_is_the_same_every_time() -> None:
    assert starter("a") == starter("a")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["notation", "new", "a b"], "must be letters"),
        (["notation", "new", "../x"], "must be letters"),
        (["notation", "show", "nowhere.toml", "--spec", "2-2"], "cannot read notation file"),
        (["notation", "show", "nielsen", "--spec", "2-x"], "inline spec"),
        (["notation", "show", "nielsen", "--spec", ""], "--spec is empty"),
        (["notation", "check", "nope"], "unknown notation"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_penalty_row_only_when_the_spec_has_one() -> None:
    notation = load_notation("canonical")
    plain = build(spec_from_dict({"layers": [2, 2, 1]}, where="t"))
    penalised = build(spec_from_dict({"layers": [2, 2, 1], "l2": "0.1"}, where="t"))
    assert "lambda" not in [cid for cid, _, _ in quantities(notation, plain)]
    rows = {cid: (what, latex) for cid, what, latex in quantities(notation, penalised)}
    assert rows["lambda"] == ("L2 penalty", r"\lambda")


def test_default_case_letters_that_clash_are_warned() -> None:
    layered = (
        "first_layer = 0\nlayer_index = 'm'\nlast_layer = 'M'\n"
        "[layer]\nnet = 'n^{$l}_{$j}'\nactivation = 'a^{$l}_{$j}'\n"
    )
    findings = check(notation_from_toml(layered, "hagan-like"), check_network(None))
    problems = [f.problem for f in findings if f.warning]
    assert any("'case' is 'i' by default" in p for p in problems)
    assert any("'cases' is 'n' (the default), also the head" in p for p in problems)
    ours = check(load_notation("hagan"), check_network(None))
    assert not any("'case" in f.problem for f in ours)
