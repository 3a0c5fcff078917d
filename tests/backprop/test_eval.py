"""Worked numbers of the sources, reproduced by `symbackprop eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symbackprop.cli.main import main
from tests.helpers import REPO

EXAMPLES = REPO / "examples"


def eval_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["eval", *argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_essay_unit_sigma_of_minus_0_04(capsys: pytest.CaptureFixture[str]) -> None:
    data = eval_json(capsys, "3-1", "--values", str(EXAMPLES / "essay-unit.toml"))
    (case,) = data["forward"]
    assert case["z1_1"]["value"] == pytest.approx(-0.04, abs=1e-15)
    assert round(case["a1_1"]["value"], 3) == 0.490


def test_essay_sum_of_squares_is_1_11(capsys: pytest.CaptureFixture[str]) -> None:
    data = eval_json(
        capsys,
        "1-4",
        "--activation",
        "linear",
        "--loss",
        "sse",
        "--values",
        str(EXAMPLES / "essay-error.toml"),
    )
    assert data["error"] == pytest.approx(1.11, abs=1e-15)
    # dE/db_j = 2 (o_j - d_j)
    assert [data["gradients"][f"b1_{j}"]["value"] for j in range(1, 5)] == pytest.approx(
        [-1.4, 1.0, 1.2, 0.2]
    )


def test_note_forward_error_gradients_and_update(capsys: pytest.CaptureFixture[str]) -> None:
    data = eval_json(capsys, "note", "--values", str(EXAMPLES / "note.toml"))
    (case,) = data["forward"]
    assert case["a1_1"] == {"name": "h_{1}", "value": pytest.approx(0.85)}
    assert case["a1_2"]["value"] == pytest.approx(0.48)
    assert round(case["o1"]["value"], 2) == 0.19  # the note: y-hat = 0.19 (exactly 0.191)
    assert data["error"] == pytest.approx(0.5 * (0.191 - 1) ** 2)
    new = {v["name"]: round(v["value"], 2) for v in data["updates"].values()}
    # the note's table, where its arithmetic is right
    assert (new["w_{1}"], new["w_{2}"], new["w_{4}"], new["w_{5}"], new["w_{6}"]) == (
        0.12,
        0.13,
        0.10,
        0.17,
        0.17,
    )
    # the note's table says w_{3,new} = 0.12 from a miscopied w_{3,old} = 0.11; from its own
    # initial w_3 = 0.21 the step gives 0.21 + 0.05 * 0.809 * 0.14 * 3 = 0.226989.
    assert data["updates"]["w1_1_2"]["value"] == pytest.approx(0.226989, abs=1e-12)


def test_several_cases_average(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = tmp_path / "v.toml"
    values.write_text(
        "x = [[0, 0], [0, 1]]\ny = [[0], [1]]\nlr = 1\n[params]\n"
        "w1_1_1 = 0\nw1_1_2 = 0\nw1_2_1 = 0\nw1_2_2 = 0\nw2_1_1 = 0\nw2_1_2 = 0\n"
        "b1_1 = 0\nb1_2 = 0\nb2_1 = 0\n"
    )
    data = eval_json(capsys, "2-2-1", "--mean", "--loss", "sse", "--values", str(values))
    # all outputs are sigma(0) = 1/2: E = mean of (1/2)^2 and (1/2)^2; dE/db2 = mean of 2(1/2 - y)
    assert data["error"] == pytest.approx(0.25)
    assert data["gradients"]["b2_1"]["value"] == pytest.approx(0.0)
    assert data["gradients"]["w2_1_1"]["value"] == pytest.approx(0.0)
    code = main(["eval", "2-2-1", "--values", str(values)])
    assert code == 2 and "use a spec with reduce" in capsys.readouterr().err


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "note", "--values", str(EXAMPLES / "note.toml")]) == 0
    out = capsys.readouterr().out
    assert "h_{1}" in out and "0.850000" in out and "0.110000 -> 0.121326" in out
