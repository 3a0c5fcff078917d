"""The fused training loop, the note's worked example, and the train command."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import symbackprop.train as training
from symbackprop.cli.main import main
from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import preset
from tests.codegen_support import ROOT  # noqa: F401  (puts the repository on sys.path)

XOR_X, XOR_Y = training.XOR_X, training.XOR_Y


@pytest.fixture(scope="module")
def xor_bias() -> ModuleType:
    from generated import xor_bias

    return xor_bias


@pytest.fixture(scope="module")
def note() -> ModuleType:
    from generated import note

    return note


@pytest.fixture(autouse=True)
def module_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """train compiles into one cache folder for the whole session."""
    base = tmp_path_factory.getbasetemp() / "symbackprop-cache"
    monkeypatch.setenv("SYMBACKPROP_CACHE", str(base))


NOTE_THETA = {
    "w1_1_1": 0.11,
    "w1_2_1": 0.12,
    "w1_1_2": 0.21,
    "w1_2_2": 0.08,
    "w2_1_1": 0.14,
    "w2_1_2": 0.15,
}


def test_the_notes_worked_example(note: ModuleType) -> None:
    """One SGD step on x = (2, 3), y = 1, lr 0.05 from the note's weights w_1..w_6."""
    theta = np.array([NOTE_THETA[p] for p in note.PARAM_IDS])
    history = note.train(np.array([[2.0, 3.0]]), np.array([[1.0]]), theta, 0.05, 1, 1)
    new = dict(zip(note.PARAM_IDS, theta))
    # The note's figures, right where its own arithmetic is right:
    assert round(new["w1_1_1"], 2) == 0.12  # w_1
    assert round(new["w1_2_1"], 2) == 0.13  # w_2
    assert round(new["w1_2_2"], 2) == 0.10  # w_4
    assert round(new["w2_1_1"], 2) == 0.17  # w_5
    assert round(new["w2_1_2"], 2) == 0.17  # w_6
    # Its w_3 row is wrong: w_3 = 0.21 + 0.05 * 0.809 * 0.14 * 3 = 0.226989, i.e. 0.23.
    assert new["w1_1_2"] == pytest.approx(0.226989, abs=1e-12)
    assert round(new["w1_1_2"], 2) == 0.23
    # E before the step: y-hat = 0.14 * 0.85 + 0.15 * 0.48 = 0.191, E = (1 - 0.191)^2 / 2.
    assert history[0] == pytest.approx(0.809**2 / 2, abs=1e-15)


def test_sgd_is_value_and_grad_step_by_step(xor_bias: ModuleType) -> None:
    theta0 = xor_bias.init(3)
    expected = theta0.copy()
    losses = []
    for _ in range(3):
        total = 0.0
        for x, y in zip(XOR_X, XOR_Y):
            grad = np.zeros(xor_bias.N_PARAMS)
            total += xor_bias.value_and_grad(x, y, expected, grad)
            expected -= 0.5 * grad
        losses.append(total / 4)
    for train in (xor_bias._train.py_func, xor_bias.train):
        theta = theta0.copy()
        history = train(XOR_X, XOR_Y, theta, 0.5, 3, 1)
        np.testing.assert_allclose(theta, expected, rtol=1e-14, atol=1e-16)
        np.testing.assert_allclose(history, losses, rtol=1e-14)


@pytest.mark.parametrize("batch_size", [2, 3, 4, 100])
def test_minibatch_steps_use_the_mean_gradient(xor_bias: ModuleType, batch_size: int) -> None:
    theta0 = xor_bias.init(5)
    expected = theta0.copy()
    for start in range(0, 4, batch_size):
        rows = range(start, min(start + batch_size, 4))
        mean = np.zeros(xor_bias.N_PARAMS)
        for i in rows:
            grad = np.zeros(xor_bias.N_PARAMS)
            xor_bias.value_and_grad(XOR_X[i], XOR_Y[i], expected, grad)
            mean += grad / len(rows)
        expected -= 0.5 * mean
    theta = theta0.copy()
    xor_bias.train(XOR_X, XOR_Y, theta, 0.5, 1, batch_size)
    np.testing.assert_allclose(theta, expected, rtol=1e-13, atol=1e-16)


def test_train_checks_its_arguments(xor_bias: ModuleType) -> None:
    theta = xor_bias.init(0)
    with pytest.raises(ValueError):
        xor_bias.train(XOR_X[:, :1].copy(), XOR_Y, theta, 0.5, 1, 1)
    with pytest.raises(ValueError):
        xor_bias.train(XOR_X, XOR_Y, theta, 0.5, 1, 0)


def test_init_is_seeded_and_glorot(xor_bias: ModuleType) -> None:
    a, b = xor_bias.init(1), xor_bias.init(1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, xor_bias.init(2))
    assert np.all(np.abs(a[:4]) < np.sqrt(6 / 4)) and np.all(a[4:6] == 0) and a[8] == 0


def test_divergence_stops_and_leaves_nan(note: ModuleType) -> None:
    X = np.array([[20.0, 30.0], [-10.0, 25.0]])
    Y = np.array([[1.0], [-2.0]])
    theta = np.full(note.N_PARAMS, 0.5)
    history = note.train(X, Y, theta, 5.0, 200, 1)
    finite = np.isfinite(history)
    stop = int(np.argmin(finite))
    assert 0 < stop < 200 and not finite[stop:].any() and finite[:stop].all()


def test_cli_divergence_reports_the_epoch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "big.csv"
    data.write_text("a,b,y\n20,30,1\n-10,25,-2\n")
    assert (
        main(
            ["train", "note", "--data", str(data), "--lr", "5", "--epochs", "200", "--no-progress"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "diverged at epoch" in err and "Traceback" not in err


def test_cli_csv_with_named_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.csv"
    data.write_text("y,x1,x2,extra\n1,2,3,9\n")
    argv = ["train", "note", "--data", str(data), "--inputs", "x1,x2", "--targets", "y"]
    assert main([*argv, "--epochs", "1", "--lr", "0.05", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["theta"]["w1_1_2"] == pytest.approx(0.226989, abs=0.5)  # a random start, one step
    assert out["final_loss"] > 0 and len(out["predictions"]) == 1


def test_cli_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "xor.npz"
    np.savez(path, X=XOR_X, Y=XOR_Y)
    assert (
        main(["train", "xor-bias", "--data", str(path), "--epochs", "50", "--format", "json"]) == 0
    )
    assert len(json.loads(capsys.readouterr().out)["predictions"]) == 4


@pytest.mark.parametrize(
    "content, message",
    [
        ("a,b\n1,2\n", "2 columns, but the network needs 2 inputs + 1 targets"),
        ("a,b,y\n1,nan,1\n", "input row 1, column 2 is nan"),
        ("a,b,y\n1,2,x\n", "row 2, column 3 is 'x', not a number"),
        ("a,b,y\n1,2,1\n3,4\n", "row 3 has 2 columns, expected 3"),
        ("a,b,y\n", "no rows of data"),
    ],
)
def test_bad_data_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(content)
    assert main(["train", "note", "--data", str(data), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_unknown_column_and_missing_file(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n1,2,1\n")
    with pytest.raises(SymbackpropError, match="unknown column 'q'"):
        training.load_data(str(data), 2, 1, "a,q", "y")
    with pytest.raises(SymbackpropError, match="no such file"):
        training.load_data(str(tmp_path / "none.csv"), 2, 1)


def test_cli_single_run_with_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "loss.png"
    argv = ["train", "xor-bias", "--data", "xor", "--epochs", "3000", "--lr", "0.5", "--seed", "1"]
    assert main([*argv, "--plot", str(png), "--format", "json", "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(out) >= {"final_loss", "predictions", "success", "seconds", "epochs_to_success"}
    predictions = np.array(out["predictions"])
    assert out["success"] == bool(np.all((predictions > 0.5) == (XOR_Y > 0.5)))
    if out["success"]:
        assert 1 <= out["epochs_to_success"] <= 3000


def test_restarts_in_parallel_match_in_process(tmp_path: Path) -> None:
    path = training.module_file(preset("xor-bias"))
    data = training.load_data("xor", 2, 1)
    parallel = training.restarts(path, data, 0.5, 1500, 1, range(4), jobs=2)
    serial = training.restarts(path, data, 0.5, 1500, 1, range(4), jobs=1)
    assert [r.seed for r in parallel] == [0, 1, 2, 3]
    assert [r.final_loss for r in parallel] == [r.final_loss for r in serial]
    assert [r.epochs_to_success for r in parallel] == [r.epochs_to_success for r in serial]
    summary = training.summarise(parallel)
    assert (
        summary.restarts == 4 and summary.success_rate == sum(bool(r.success) for r in serial) / 4
    )


def test_cli_restarts_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "train",
        "xor-bias",
        "--data",
        "xor",
        "--restarts",
        "3",
        "--epochs",
        "500",
        "--jobs",
        "1",
    ]
    assert main([*argv, "--format", "json", "--no-progress"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["restarts"] == 3 and len(out["runs"]) == 3 and 0 <= out["success_rate"] <= 1
    assert out["median_final_loss"] > 0


def test_progress_is_reported_with_the_loss(xor_bias: ModuleType) -> None:
    seen: list[tuple[int, float]] = []
    data = training.load_data("xor", 2, 1)
    result = training.run(
        xor_bias, data, xor_bias.init(1), 0.5, 2500, on_progress=lambda e, l: seen.append((e, l))
    )
    epochs = [e for e, _ in seen]
    assert epochs == sorted(epochs) and epochs[-1] == 2500 == result.epochs_run
    assert all(np.isfinite(l) and l > 0 for _, l in seen)


def test_progress_bar_writes_the_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import symbackprop.cli.codegen as cli_codegen

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    monkeypatch.setattr(cli_codegen.sys, "stderr", err)
    bar = cli_codegen._bar(100, "train", True)
    bar.update(50)
    bar.set_postfix(loss="1.000e-02")
    bar.close()
    assert "50/100" in err.getvalue() and "loss=1.000e-02" in err.getvalue()


def test_columns_by_number_and_npz_arrays_by_name(tmp_path: Path) -> None:
    csv_path = tmp_path / "plain.csv"
    csv_path.write_text("9,1,2,3\n8,4,5,6\n")  # no header: columns by 1-based number
    data = training.load_data(str(csv_path), 2, 1, "2,3", "1")
    np.testing.assert_array_equal(data.X, [[1.0, 2.0], [4.0, 5.0]])
    np.testing.assert_array_equal(data.Y, [[9.0], [8.0]])
    npz_path = tmp_path / "cols.npz"
    np.savez(npz_path, a=np.array([1.0, 4.0]), b=np.array([2.0, 5.0]), t=np.array([9.0, 8.0]))
    data = training.load_data(str(npz_path), 2, 1, "a,b", "t")
    np.testing.assert_array_equal(data.X, [[1.0, 2.0], [4.0, 5.0]])
    assert not data.binary
    with pytest.raises(SymbackpropError, match="names array 'q'"):
        training.load_data(str(npz_path), 2, 1, "a,q", "t")


def test_cli_threads_give_the_serial_result_bit_for_bit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Loop modules run serially by default; --threads 2 opts in and changes no bit."""
    rng = np.random.default_rng(3)
    X, Y = rng.uniform(-1, 1, (64, 3)), rng.uniform(0, 1, (64, 1))
    data = tmp_path / "d.npz"
    np.savez(data, X=X, Y=Y)
    finals = []
    for threads in ("1", "2"):
        argv = ["train", "3-20-20-1", "--data", str(data), "--epochs", "3", "--batch-size", "32"]
        assert main([*argv, "--threads", threads, "--format", "json", "--no-progress"]) == 0
        finals.append(json.loads(capsys.readouterr().out)["final_loss"])
    assert finals[0] == finals[1] and finals[0] is not None


def test_loop_modules_are_serial_by_default(tmp_path: Path) -> None:
    from symbackprop.codegen.render import render
    from symbackprop.model.spec import inline

    path = tmp_path / "wide.py"
    path.write_text(render(inline("3-20-20-1"), style="loops"), "utf-8")
    module = training.import_path(path)
    assert module.PARALLEL is False and not module.uses_parallel(1000, 1000)
    training.use_threads(module, 2)
    assert module.PARALLEL is True
