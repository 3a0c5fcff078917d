from __future__ import annotations

from pathlib import Path

import pytest

from symbackprop import NotationError, build, inline, load_notation, preset
from symbackprop.model.notation import notation_from_toml, notation_names


def test_builtin_notations() -> None:
    sources = {"canonical", "essay", "maren", "note", "sears"}
    texts = {"bishop", "goodfellow", "hagan", "handout", "haykin", "mitchell", "ng", "nielsen"}
    texts |= {"duda", "rumelhart"}
    assert set(notation_names()) == sources | texts


def test_canonical_names() -> None:
    net = build(inline("2-3-2", gain=True))
    names = load_notation("canonical").symbol_names(net)
    assert names["w2_1_3"] == "w^{(2)}_{1,3}"
    assert names["b1_2"] == "b^{(1)}_{2}"
    assert names["z1_3"] == "z^{(1)}_{3}" and names["a2_1"] == "a^{(2)}_{1}"
    assert names["o1"] == names["a2_1"]  # outputs are a^{(L)}_j
    assert names["x2"] == "x_{2}" and names["y1"] == "y_{1}"
    assert (names["eta"], names["alpha"], names["E"]) == (r"\eta", r"\alpha", "E")


def test_source_names() -> None:
    sears = load_notation("sears").symbol_names(build(preset("sears-xor")))
    assert [sears[f"w1_{j}_{k}"] for k in (1, 2) for j in (1, 2)] == [
        "w_{11}",
        "w_{12}",
        "w_{21}",
        "w_{22}",
    ]
    assert (sears["w2_1_1"], sears["a2_1"], sears["z2_1"], sears["o1"]) == (
        "w_{1}",
        r"\varphi_{\hat{y}}",
        r"\text{net}_{\hat{y}}",
        r"\hat{y}",
    )
    note = load_notation("note").symbol_names(build(preset("note")))
    # h1 = x1 w1 + x2 w3, h2 = x1 w2 + x2 w4, y = h1 w5 + h2 w6
    assert [note[i] for i in ("w1_1_1", "w1_1_2", "w1_2_1", "w1_2_2", "w2_1_1", "w2_1_2")] == [
        "w_{1}",
        "w_{3}",
        "w_{2}",
        "w_{4}",
        "w_{5}",
        "w_{6}",
    ]
    maren = load_notation("maren").symbol_names(build(preset("maren")))
    assert (maren["w2_2_1"], maren["w1_3_4"], maren["a1_2"], maren["e2"]) == (
        "v_{1,2}",
        "w_{4,3}",
        "H_{2}",
        "E_{2}",
    )


def test_parameter_by_notation_name() -> None:
    net = build(preset("sears-xor"))
    sears = load_notation("sears")
    assert sears.param_id("w_{12}", net) == "w1_2_1"
    assert sears.param_id("w_12", net) == "w1_2_1"
    assert sears.param_id("w2_1_2", net) == "w2_1_2"
    with pytest.raises(
        NotationError, match=r"unknown parameter 'w_\{33\}'; valid: w1_1_1 \(w_\{11\}\)"
    ):
        sears.param_id("w_{33}", net)


def test_a_users_own_notation(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        "name = 'mine'\nfunction = '\\\\sigma'\ninput = 'u_{$k}'\ntarget = 't_{$j}'\n"
        "[layer]\nweight = 'W^{[$l]}_{$j$k}'\n[layers.2]\nactivation = 'o_{$j}'\n"
    )
    notation = load_notation(str(path))
    names = notation.symbol_names(build(inline("2-2-1")))
    assert names["w1_2_1"] == "W^{[1]}_{21}" and names["a2_1"] == "o_{1}" and names["x1"] == "u_{1}"
    assert names["a1_1"] == "a^{(1)}_{1}"  # unspecified keys keep the canonical default


BAD = [
    ("input = 'x_{$q}'", "'input' uses \\$q; it may use \\$k"),
    ("[layer]\nweight = 'w_{$j$k$m}'", "uses \\$m"),
    ("colour = 'red'", "unknown key 'colour'"),
    ("[layer]\nshape = 'x'", "unknown key 'shape'"),
    ("[layers.zero]\nweight = 'w'", "keyed by a layer number"),
    ("input = 'x_{$k'\ntarget = [", "malformed TOML"),
    ("residual = 'sideways'", "residual must be one of"),
    ("input = 'cost $'", "stray"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_notation_files(text: str, message: str) -> None:
    with pytest.raises(NotationError, match=message):
        notation_from_toml(text, where="bad.toml")


def test_colliding_names_are_refused() -> None:
    notation = notation_from_toml("[layer]\nweight = 'w_{$j}'", where="collide.toml")
    with pytest.raises(NotationError, match="w1_1_1 and w1_1_2 are both written 'w_\\{1\\}'"):
        notation.symbol_names(build(inline("2-2-1")))


def test_names_override_must_name_a_symbol() -> None:
    notation = notation_from_toml("[names]\nw9_9_9 = 'q'", where="names.toml")
    with pytest.raises(NotationError, match="w9_9_9"):
        notation.symbol_names(build(inline("2-1")))


def test_unknown_notation() -> None:
    with pytest.raises(
        NotationError,
        match="unknown notation 'klingon'; choose from bishop, canonical, duda, essay",
    ):
        load_notation("klingon")
    with pytest.raises(NotationError, match="cannot read notation file"):
        load_notation("/nonexistent/n.toml")
