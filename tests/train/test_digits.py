"""Real data: scikit-learn's digits, accuracy, cross-entropy target checks and `train --data
digits`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import symbackprop.train as training
from symbackprop.cli.main import main
from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import inline
from tests.codegen_support import ROOT  # noqa: F401  (puts the repository on sys.path)

sklearn_datasets = pytest.importorskip("sklearn.datasets")

N_ROWS = 1797
DIGITS_NET = ["64-32-10", "--activation", "sigmoid,softmax", "--loss", "cross_entropy"]


def _cache(factory: pytest.TempPathFactory) -> str:
    """One cache folder for the session (as in test_codegen_train): 64-32-10 compiles once."""
    return str(factory.getbasetemp() / "symbackprop-cache")


@pytest.fixture(autouse=True)
def module_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMBACKPROP_CACHE", _cache(tmp_path_factory))


@pytest.fixture(scope="module")
def digits() -> training.Dataset:
    return training.load_data("digits", 64, 10)


@pytest.fixture(scope="module")
def softmax_net(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The module `train` itself uses for DIGITS_NET (the same file, so compiled once)."""
    spec = inline("64-32-10", activation=["sigmoid", "softmax"], loss="cross_entropy")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYMBACKPROP_CACHE", _cache(tmp_path_factory))
        return training.import_path(training.module_file(spec))


# ---------------------------------------------------------------- the data


def test_split_is_deterministic_disjoint_and_complete() -> None:
    train, test = training.digits_split(N_ROWS)
    again_train, again_test = training.digits_split(N_ROWS)
    assert np.array_equal(train, again_train) and np.array_equal(test, again_test)
    assert len(test) == round(0.2 * N_ROWS) and len(train) == N_ROWS - len(test)
    assert not set(train.tolist()) & set(test.tolist())
    assert sorted(train.tolist() + test.tolist()) == list(range(N_ROWS))
    # pinned: a change of the split (seed, generator, share) changes every reported accuracy
    assert test[:5].tolist() == [360, 1773, 1482, 600, 850]


def test_rows_are_sklearns_rows_scaled(digits: training.Dataset) -> None:
    bunch = sklearn_datasets.load_digits()
    train, test = training.digits_split(N_ROWS)
    assert digits.test is not None
    for part, rows in ((digits, train), (digits.test, test)):
        assert np.array_equal(part.X * 16.0, bunch.data[rows])
        assert np.array_equal(np.argmax(part.Y, axis=1), bunch.target[rows])


def test_pixels_in_unit_range(digits: training.Dataset) -> None:
    assert digits.test is not None
    for part in (digits, digits.test):
        assert part.X.min() == 0.0 and part.X.max() == 1.0
        assert np.array_equal(part.X * 16.0, np.round(part.X * 16.0))  # sixteenths: 17 grey levels


def test_targets_are_one_hot(digits: training.Dataset) -> None:
    assert digits.test is not None
    for part in (digits, digits.test):
        assert set(np.unique(part.Y).tolist()) == {0.0, 1.0}
        assert np.array_equal(part.Y.sum(axis=1), np.ones(len(part.Y)))
        assert part.labelled
    assert set(np.argmax(digits.Y, axis=1).tolist()) == set(range(10))


# ---------------------------------------------------------------- accuracy


def _reference_accuracy(predictions: np.ndarray, Y: np.ndarray) -> float:
    """Row by row in plain Python: the first largest output, or one output above 0.5."""
    right = 0
    for p, y in zip(predictions.tolist(), Y.tolist()):
        if len(y) == 1:
            right += (p[0] > 0.5) == (y[0] > 0.5)
        else:
            right += max(range(len(p)), key=lambda k: (p[k], -k)) == y.index(1.0)
    return right / len(Y)


@pytest.mark.parametrize(
    "n_rows, n_classes, seed",
    [(1, 2, 0), (7, 3, 1), (50, 10, 2), (200, 10, 3), (40, 1, 4), (9, 1, 5)],
)
def test_accuracy_matches_an_independent_count(n_rows: int, n_classes: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    if n_classes == 1:
        Y = rng.integers(0, 2, size=(n_rows, 1)).astype(float)
        predictions = rng.choice([0.0, 0.2, 0.5, 0.5000001, 0.9, 1.0], size=(n_rows, 1))
    else:
        Y = np.eye(n_classes)[rng.integers(0, n_classes, size=n_rows)]
        predictions = (
            rng.integers(0, 4, size=(n_rows, n_classes)) / 4.0
        )  # ties, decided by the first
    assert training.accuracy(predictions, Y) == _reference_accuracy(predictions, Y)


@pytest.mark.parametrize(
    "Y, labelled",
    [
        ([[0.0], [1.0]], True),  # one 0/1 output
        ([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], True),  # one-hot
        ([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]], False),  # several labels at once
        ([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]], False),  # a row of no class
        ([[0.3, 0.7], [1.0, 0.0]], False),  # soft targets
        ([[0.25], [1.0]], False),
    ],
)
def test_accuracy_is_defined_for_one_hot_or_single_0_1_targets(
    Y: list[list[float]], labelled: bool
) -> None:
    data = training.Dataset(np.zeros((len(Y), 2)), np.array(Y), "test")
    assert data.labelled is labelled


# ---------------------------------------------------------------- cross-entropy targets

GOOD, BAD = "good", "bad"


@pytest.mark.parametrize(
    "activations, Y, verdict, message",
    [
        (["sigmoid", "softmax"], [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], GOOD, ""),
        (
            ["sigmoid", "softmax"],
            [[0.2, 0.5, 0.3], [1.0, 0.0, 0.0]],
            GOOD,
            "",
        ),  # probability vectors
        (
            ["sigmoid", "softmax"],
            [[0.0, 1.0, 0.0], [0.5, 0.6, 0.0]],
            BAD,
            "data row 2 are (0.5, 0.6, 0) (sum 1.1)",
        ),
        (["sigmoid", "softmax"], [[1.5, -0.5, 0.0]], BAD, "data row 1 are (1.5, -0.5, 0) (sum 1)"),
        (["sigmoid", "softmax"], [[0.0, 0.0, 0.0]], BAD, "one-hot or a probability vector"),
        (["sigmoid", "sigmoid"], [[0.0, 0.25, 1.0]], GOOD, ""),  # binary: each in [0, 1]
        (
            ["sigmoid", "sigmoid"],
            [[0.0, 0.25, 1.0], [0.0, 2.0, -1.0]],
            BAD,
            "target 2 of data row 2 is 2",
        ),
        (
            ["sigmoid", "sigmoid"],
            [[-0.1, 0.0, 0.0]],
            BAD,
            "needs every target in [0, 1]; 1 target(s)",
        ),
    ],
)
def test_cross_entropy_targets_are_checked(
    activations: list[str], Y: list[list[float]], verdict: str, message: str
) -> None:
    spec = inline("2-2-3", activation=activations, loss="cross_entropy")
    data = training.Dataset(np.zeros((len(Y), 2)), np.array(Y), "cases.csv")
    if verdict == GOOD:
        training.check_targets(spec, data)
        return
    with pytest.raises(SymbackpropError, match="cross_entropy") as info:
        training.check_targets(spec, data)
    assert message in str(info.value) and str(info.value).startswith("cases.csv: ")
    # the same targets are fine for half_sse, and the check covers a held-out split too
    training.check_targets(inline("2-2-3", activation=activations), data)
    good = training.Dataset(data.X[:1], np.eye(3)[:1], "train.csv", test=data)
    with pytest.raises(SymbackpropError, match=r"cases\.csv"):
        training.check_targets(spec, good)


# ---------------------------------------------------------------- training


def test_three_epochs_learn_far_above_chance(
    softmax_net: ModuleType, digits: training.Dataset
) -> None:
    assert digits.test is not None
    theta = softmax_net.init(0)
    before = training.accuracy(softmax_net.predict(digits.test.X, theta), digits.test.Y)
    result = training.run(softmax_net, digits, theta, 0.5, 3, 32, seed=0)
    assert result.test_accuracy is not None and result.train_accuracy is not None
    assert result.test_accuracy == _reference_accuracy(
        softmax_net.predict(digits.test.X, theta), digits.test.Y
    )
    assert result.train_accuracy == _reference_accuracy(result.predictions, digits.Y)
    assert before < 0.3 and result.test_accuracy > 0.8  # chance is 0.1
    assert result.history is not None and np.all(np.diff(result.history) < 0)


def _numpy_epochs(
    theta: np.ndarray, X: np.ndarray, Y: np.ndarray, lr: float, epochs: int, batch: int
) -> np.ndarray:
    """Hand-vectorised minibatch descent of 64-32-10 sigmoid/softmax/cross-entropy: theta - lr *
    batch mean."""
    W1, b1 = theta[:2048].reshape(32, 64).copy(), theta[2048:2080].copy()
    W2, b2 = theta[2080:2400].reshape(10, 32).copy(), theta[2400:].copy()
    for _ in range(epochs):
        for start in range(0, len(X), batch):
            x, y = X[start : start + batch], Y[start : start + batch]
            h = 1.0 / (1.0 + np.exp(-(x @ W1.T + b1)))
            z = h @ W2.T + b2
            o = np.exp(z - z.max(axis=1, keepdims=True))
            d2 = o / o.sum(axis=1, keepdims=True) - y
            d1 = (d2 @ W2) * h * (1.0 - h)
            step = lr / len(x)
            W2 -= step * d2.T @ h
            b2 -= step * d2.sum(axis=0)
            W1 -= step * d1.T @ x
            b1 -= step * d1.sum(axis=0)
    return np.concatenate([W1.ravel(), b1, W2.ravel(), b2])


def test_minibatch_steps_are_lr_times_the_batch_mean(
    softmax_net: ModuleType, digits: training.Dataset
) -> None:
    """1438 rows at batch 32: 44 full batches and one of 30, each step lr times its own mean
    gradient."""
    assert softmax_net.PARAM_IDS[1] == "w1_1_2" and softmax_net.PARAM_IDS[2048] == "b1_1"
    assert softmax_net.PARAM_IDS[2080] == "w2_1_1" and softmax_net.PARAM_IDS[2400] == "b2_1"
    theta = softmax_net.init(3)
    expected = _numpy_epochs(theta, digits.X, digits.Y, 0.5, 2, 32)
    softmax_net.train(digits.X, digits.Y, theta, 0.5, 2, 32)
    assert np.max(np.abs(theta - expected)) < 1e-12


def test_no_test_accuracy_without_a_held_out_split(
    softmax_net: ModuleType, digits: training.Dataset
) -> None:
    rows = training.Dataset(digits.X[:64], digits.Y[:64], "first 64 rows")
    result = training.run(softmax_net, rows, softmax_net.init(1), 0.5, 1, 32, seed=1)
    assert result.test_accuracy is None
    assert result.train_accuracy == _reference_accuracy(result.predictions, rows.Y)
    soft = training.Dataset(rows.X, 0.9 * rows.Y + 0.01, "smoothed targets")
    assert training.run(softmax_net, soft, softmax_net.init(1), 0.5, 1, 32).train_accuracy is None


def test_summary_takes_median_accuracies() -> None:
    def result(train: float | None, test: float | None) -> training.RunResult:
        return training.RunResult(
            seed=0,
            final_loss=0.1,
            success=None,
            epochs_to_success=None,
            diverged_at=None,
            epochs_run=1,
            seconds=0.0,
            theta=np.zeros(1),
            predictions=np.zeros((1, 1)),
            train_accuracy=train,
            test_accuracy=test,
        )

    summary = training.summarise([result(0.9, 0.8), result(0.7, None), result(0.8, 0.6)])
    assert summary.median_train_accuracy == pytest.approx(
        0.8
    ) and summary.median_test_accuracy == pytest.approx(0.7)
    assert training.summarise([result(None, None)]).median_test_accuracy is None


# ---------------------------------------------------------------- the command


def test_cli_json_reports_accuracies(
    softmax_net: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "digits.png"
    argv = [
        "train",
        *DIGITS_NET,
        "--data",
        "digits",
        "--epochs",
        "3",
        "--batch",
        "32",
        "--lr",
        "0.5",
    ]
    assert main([*argv, "--plot", str(png), "--format", "json", "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["batch_size"] == 32 and out["test_rows"] == 359 and len(out["predictions"]) == 1438
    assert 0.8 < out["train_accuracy"] <= 1.0 and 0.8 < out["test_accuracy"] <= 1.0
    assert 0.0 < out["final_loss"] < np.log(10) and out["seconds"] > 0.0
    assert png.stat().st_size > 1000


def test_cli_text_reports_accuracies_and_few_rows(
    softmax_net: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "train",
                *DIGITS_NET,
                "--data",
                "digits",
                "--epochs",
                "1",
                "--batch",
                "32",
                "--no-progress",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert any(
        line.startswith("train accuracy: ") and line.endswith(" of 1438 rows)") for line in lines
    )
    assert any(
        line.startswith("test accuracy: ") and line.endswith(" of 359 rows)") for line in lines
    )
    assert sum(line.startswith("  row ") for line in lines) == 10
    assert "  ... and 1428 more rows (--format json lists them all)" in lines


def test_cli_restarts_report_median_accuracies(
    softmax_net: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "train",
        *DIGITS_NET,
        "--data",
        "digits",
        "--epochs",
        "1",
        "--batch",
        "32",
        "--restarts",
        "3",
    ]
    assert main([*argv, "--jobs", "1", "--format", "json", "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    runs = out["runs"]
    assert [r["seed"] for r in runs] == [0, 1, 2]
    assert out["median_test_accuracy"] == pytest.approx(
        float(np.median([r["test_accuracy"] for r in runs]))
    )
    assert out["median_train_accuracy"] == pytest.approx(
        float(np.median([r["train_accuracy"] for r in runs]))
    )
    assert all(0.2 < r["test_accuracy"] <= 1.0 for r in runs)  # one epoch: about 47 %, chance 10 %


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symbackprop: error: ")
    return lines[0]


@pytest.mark.parametrize(
    "spec, message",
    [
        (["64-32-1"], "the digits are 64 inputs (8x8 pixels) and 10 one-hot targets"),
        (["64-32-1"], "the network has 64 inputs and 1 output; use a spec 64-...-10"),
        (["16-10"], "the network has 16 inputs and 10 outputs"),
    ],
)
def test_digits_with_the_wrong_shape(
    spec: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", *spec, "--data", "digits", "--epochs", "1"]) == 2
    assert message in _one_error(capsys)


@pytest.mark.parametrize(
    "activation, rows, message",
    [
        (
            "sigmoid,softmax",
            "0,1,0.5,0.6\n1,0,1,0\n",
            "categorical cross_entropy with a softmax output",
        ),
        ("sigmoid,sigmoid", "0,1,0,2\n1,0,1,0\n", "binary cross_entropy with a sigmoid output"),
    ],
)
def test_cli_bad_cross_entropy_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], activation: str, rows: str, message: str
) -> None:
    data = tmp_path / "cases.csv"
    data.write_text("x1,x2,y1,y2\n" + rows)
    argv = [
        "train",
        "2-2-2",
        "--activation",
        activation,
        "--loss",
        "cross_entropy",
        "--data",
        str(data),
    ]
    assert main(argv) == 2
    error = _one_error(capsys)
    assert message in error and "data row 1" in error
    assert data.read_text() == "x1,x2,y1,y2\n" + rows  # nothing lost


def test_missing_scikit_learn(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # the import now fails
    assert main(["train", *DIGITS_NET, "--data", "digits", "--epochs", "1"]) == 2
    assert "--data digits needs scikit-learn: pip install 'symbackprop[digits]'" in _one_error(
        capsys
    )
