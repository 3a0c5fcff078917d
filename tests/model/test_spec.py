from __future__ import annotations

from pathlib import Path

import pytest

from symbackprop import SpecError, inline, preset, resolve
from symbackprop.model.spec import LossTerms, NetworkSpec, preset_names, spec_from_toml

BAD_INLINE = [
    ("2-0-1", "positive"),
    ("2--3-1", "positive layer sizes"),
    ("2", "positive layer sizes"),
    ("2-x-1", "positive layer sizes"),
]


@pytest.mark.parametrize(("text", "message"), BAD_INLINE)
def test_bad_inline_specs_fail_with_one_clear_message(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        inline(text)


BAD_FLAGS = [
    (
        {"activation": "swish"},
        "unknown activation 'swish'.*choose from linear, relu, sigmoid, softmax, softplus, tanh",
    ),
    ({"activation": ["tanh", "relu", "linear"]}, "3 activation entries for 2 non-input layers"),
    ({"loss": "mae"}, "unknown loss 'mae'; choose from cross_entropy, half_sse, sse"),
    ({"activation": "tanh", "gain": True}, "--gain needs at least one sigmoid layer"),
]


@pytest.mark.parametrize(("flags", "message"), BAD_FLAGS)
def test_bad_flags(flags: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        inline("2-3-2", **flags)


BAD_TOML = [
    ("layers = [2, 2", "malformed TOML"),
    ("layers = [2, -1]", "positive integer"),
    ("layers = [3]", "at least an input and an output layer"),
    ("sizes = [2, 1]", "unknown key"),
    ("activation = 'tanh'", "missing 'layers'"),
    ("layers = [2, 1]\nactivation = 'tanh'\ngain = true", "a gain needs sigmoid"),
    ("layers = [2, 1]\nbias = 'yes'", "bias must be a bool"),
    ("layers = [2, 2, 1]\nbias = [true]", "1 bias entries for 2 non-input layers"),
]


@pytest.mark.parametrize(("text", "message"), BAD_TOML)
def test_bad_spec_files(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        spec_from_toml(text)


def test_direct_construction_is_validated() -> None:
    with pytest.raises(SpecError, match="layer 1 has size 0"):
        NetworkSpec((2, 0, 1), ("sigmoid", "sigmoid"), (True, True), (False, False))


def test_inline_defaults() -> None:
    spec = inline("2-3-2")
    assert spec.activations == ("sigmoid", "sigmoid")
    assert spec.biases == (True, True)
    assert spec.loss == "half_sse" and spec.notation == "canonical" and not spec.mean
    mixed = inline("2-3-2", activation=["tanh", "linear"], bias=False)
    assert mixed.activations == ("tanh", "linear") and mixed.biases == (False, False)


def test_presets_are_the_sources_networks() -> None:
    assert preset_names() == ["essay", "maren", "note", "sears-xor", "xor-bias"]
    sears = preset("sears-xor")
    assert sears.sizes == (2, 2, 1) and not any(sears.biases) and sears.loss == "half_sse"
    maren = preset("maren")
    assert all(maren.gains) and maren.notation == "maren"
    essay = preset("essay")
    assert essay.mean and essay.loss == "sse" and all(essay.biases) and essay.depth == 3
    note = preset("note")
    assert note.activations == ("linear", "linear")


def test_toml_round_trip(tmp_path: Path) -> None:
    for name in preset_names():
        spec = preset(name)
        again = spec_from_toml(spec.to_toml())
        assert again == spec
    path = tmp_path / "mine.toml"
    path.write_text("layers = [3, 4, 1]\nactivation = ['tanh', 'sigmoid']\nloss = 'sse'\n")
    spec = resolve(str(path))
    assert (
        spec.sizes == (3, 4, 1) and spec.activations == ("tanh", "sigmoid") and spec.loss == "sse"
    )


def test_flags_refine_presets() -> None:
    spec = resolve("xor-bias", activation=["tanh"], bias=False)
    assert spec.activations == ("tanh", "tanh") and spec.biases == (False, False)


def test_unknown_preset_lists_choices() -> None:
    with pytest.raises(
        SpecError, match="unknown preset 'xor'; choose from essay, maren, note, sears-xor, xor-bias"
    ):
        resolve("xor")


@pytest.mark.parametrize(
    ("text", "flags", "message"),
    [
        ("2-2-1", {"activation": ["sigmoid", "softmax"]}, "softmax of one unit"),
        (
            "2-3-2",
            {"activation": "tanh", "loss": "cross_entropy"},
            "cross_entropy needs a softmax .* or sigmoid",
        ),
        (
            "2-3-2",
            {"activation": "softmax", "gain": True},
            "--gain needs at least one sigmoid layer",
        ),
    ],
)
def test_classification_heads_are_validated(text: str, flags: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        inline(text, **flags)


BAD_LOSS_TERMS = [
    ("reduce = 'max'", "'reduce' must be 'mean' or 'sum'"),
    ("reduce = 'sum'\nmean = true", "'mean = true' and 'reduce = \"sum\"' disagree"),
    ("l2 = -0.5", "'l2' must be nonnegative"),
    ("l2 = '1/0'", "divides by zero"),
    ("l2 = 'lambda'", "is not a number; write a decimal such as 0.01"),
    ("l2 = '2**10'", "is not a number"),
    ("l2 = inf", "must be a finite number"),
    ("l2 = true", "must be a nonnegative number"),
    ("l2_biases = 'yes'", "'l2_biases' must be true or false"),
    ("l2_mean = 1", "'l2_mean' must be true or false"),
    ("l2 = 0.1\nl2_mean = true", "l2_mean divides the L2 penalty by the number of cases n"),
]


@pytest.mark.parametrize(("text", "message"), BAD_LOSS_TERMS)
def test_bad_reduction_and_penalty(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace("*", r"\*")):
        spec_from_toml(f"layers = [2, 1]\n{text}")


@pytest.mark.parametrize(
    ("written", "exact"),
    [("0.01", "1/100"), ("'1/100'", "1/100"), ("'1e-3'", "1/1000"), ("2", "2"), ("0", "0")],
)
def test_penalty_is_read_as_the_exact_rational_written(written: str, exact: str) -> None:
    spec = spec_from_toml(f"layers = [2, 1]\nl2 = {written}")
    assert spec.l2 == exact


def test_reduction_and_penalty_round_trip_and_leave_other_specs_alone() -> None:
    text = "name = 'n'\nlayers = [2, 2, 1]\nreduce = 'sum'\nl2 = '3/10'\nl2_biases = true"
    spec = spec_from_toml(text)
    assert (spec.reduce, spec.over_cases, spec.mean, spec.summed) == ("sum", True, False, True)
    assert spec.penalised("weight") and spec.penalised("bias")
    assert spec_from_toml(spec.to_toml()) == spec
    mean = spec_from_toml("layers = [2, 1]\nreduce = 'mean'\nl2 = 0.1")
    assert mean == spec_from_toml("layers = [2, 1]\nmean = true\nl2 = 0.1")
    assert mean.penalised("weight") and not mean.penalised("bias")
    plain = preset("xor-bias")
    assert plain.reduce == "none" and not plain.penalised("weight")
    assert "reduce" not in plain.to_toml() and "l2" not in plain.to_toml()


def test_direct_construction_refuses_mean_and_sum_together() -> None:
    with pytest.raises(SpecError, match="either the mean or the sum"):
        NetworkSpec((2, 1), ("sigmoid",), (True,), (False,), mean=True, summed=True)
    with pytest.raises(SpecError, match="NetworkSpec l2 must be nonnegative"):
        NetworkSpec((2, 1), ("sigmoid",), (True,), (False,), l2="-1")


def test_flags_refine_the_reduction_and_penalty() -> None:
    essay = resolve("essay", loss_terms=LossTerms(summed=True, l2="1/2"))
    assert essay.reduce == "sum" and essay.l2 == "1/2" and not essay.l2_biases
    with pytest.raises(SpecError, match="--l2: 'x' is not a number"):
        inline("2-1", loss_terms=LossTerms(l2="x"))
