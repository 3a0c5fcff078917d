"""Training from the command line: data, the compiled module, runs and restarts.

The module of a spec is generated into a cache folder keyed by the hash of its
text and imported from there, so Numba's on-disk cache makes the second run start
warm. Restarts run in worker processes, one per core.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

import numpy as np

from .codegen import module_name, render, write_atomic
from .errors import SymbackpropError
from .losses import loss_for
from .spec import NetworkSpec

THRESHOLD = 0.5
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray
    Y: np.ndarray
    source: str
    test: Dataset | None = None  # a held-out split (digits), never trained on

    @property
    def binary(self) -> bool:
        """Targets all 0 or 1: success (every case right at threshold 0.5) is defined."""
        return bool(np.all((self.Y == 0.0) | (self.Y == 1.0)))

    @property
    def labelled(self) -> bool:
        """Accuracy is defined: one 0/1 target column, or one-hot rows (a single 1, the rest 0)."""
        return self.binary and (self.Y.shape[1] == 1 or bool(np.all(self.Y.sum(axis=1) == 1.0)))


def classes(values: np.ndarray) -> np.ndarray:
    """The class of each row: the argmax of several outputs, or one output above THRESHOLD."""
    if values.shape[1] == 1:
        return (values[:, 0] > THRESHOLD).astype(np.int64)
    return np.argmax(values, axis=1)


def accuracy(predictions: np.ndarray, Y: np.ndarray) -> float:
    """The share of rows whose predicted class is the target's class."""
    return float(np.mean(classes(predictions) == classes(Y)))


# ---------------------------------------------------------------- the module


def cache_dir() -> Path:
    env = os.environ.get("SYMBACKPROP_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "symbackprop" / "modules"


def module_file(spec: NetworkSpec, gain_value: float = 1.0) -> Path:
    """The generated module of ``spec`` in the cache folder, written if missing."""
    text = render(spec, gain_value)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    for base in (cache_dir(), Path(tempfile.gettempdir()) / "symbackprop-modules"):
        folder = base / digest
        path = folder / f"{module_name(spec)}.py"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not path.is_file() or path.read_text("utf-8") != text:
                write_atomic(path, text)
            return path
        except (OSError, SymbackpropError):
            continue
    raise SymbackpropError(f"cannot write the generated module to {cache_dir()}; set SYMBACKPROP_CACHE to a writable folder")


def import_path(path: Path) -> ModuleType:
    """Import a generated module from its file (once per process)."""
    name = "_symbackprop_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12] + "_" + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SymbackpropError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- data


def _columns(flag: str | None) -> list[str] | None:
    return [c.strip() for c in flag.split(",") if c.strip()] if flag else None


def _finite(name: str, values: np.ndarray, where: str) -> None:
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        row, col = int(bad[0][0]), int(bad[0][1])
        raise SymbackpropError(
            f"{where}: {name} row {row + 1}, column {col + 1} is {float(values[row, col])!r}: every value must be a finite number"
        )


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _shape_error(where: str, have: str, n_inputs: int, n_outputs: int, hint: str = "") -> SymbackpropError:
    return SymbackpropError(
        f"{where}: {have}, but the network has {_count(n_inputs, 'input')} and {_count(n_outputs, 'output')}{hint}"
    )


def _check(X: np.ndarray, Y: np.ndarray, n_inputs: int, n_outputs: int, where: str) -> Dataset:
    if X.shape[0] == 0:
        raise SymbackpropError(f"{where}: no rows of data")
    if X.shape[1] != n_inputs or Y.shape[1] != n_outputs:
        have = f"{_count(X.shape[1], 'input column')} and {_count(Y.shape[1], 'target column')}"
        raise _shape_error(where, have, n_inputs, n_outputs)
    if X.shape[0] != Y.shape[0]:
        raise SymbackpropError(f"{where}: {X.shape[0]} rows of inputs but {Y.shape[0]} rows of targets")
    _finite("input", X, where)
    _finite("target", Y, where)
    return Dataset(np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(Y, dtype=np.float64), where)


def _pick(header: list[str] | None, names: list[str], where: str, flag: str) -> list[int]:
    out = []
    for name in names:
        if header is not None and name in header:
            out.append(header.index(name))
        elif name.isdigit() and int(name) >= 1:
            out.append(int(name) - 1)
        else:
            known = f"; columns are {', '.join(header)}" if header else " (the file has no header: use 1-based numbers)"
            raise SymbackpropError(f"{where}: {flag} names unknown column {name!r}{known}")
    return out


def _number(cell: str, where: str, row: int, col: int) -> float:
    try:
        return float(cell)
    except ValueError:
        raise SymbackpropError(f"{where}: row {row}, column {col} is {cell!r}, not a number") from None


def load_csv(path: Path, n_inputs: int, n_outputs: int, inputs: list[str] | None, targets: list[str] | None) -> Dataset:
    where = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError) as exc:
        raise SymbackpropError(f"cannot read data file {where}: {getattr(exc, 'strerror', None) or exc}") from None
    if not rows:
        raise SymbackpropError(f"{where}: the file is empty")
    header: list[str] | None = None
    try:
        [float(c) for c in rows[0]]
    except ValueError:
        header = [c.strip() for c in rows[0]]
        rows = rows[1:]
    width = len(header) if header is not None else len(rows[0]) if rows else 0
    for r, row in enumerate(rows, start=2 if header else 1):
        if len(row) != width:
            raise SymbackpropError(f"{where}: row {r} has {len(row)} columns, expected {width}")
    if inputs is None and targets is None:
        if width != n_inputs + n_outputs:
            raise SymbackpropError(
                f"{where}: {width} columns, but the network needs {n_inputs} inputs + {n_outputs} targets "
                f"= {n_inputs + n_outputs}; name the columns with --inputs and --targets"
            )
        in_cols, out_cols = list(range(n_inputs)), list(range(n_inputs, width))
    else:
        if inputs is None or targets is None:
            raise SymbackpropError(f"{where}: give both --inputs and --targets, or neither")
        in_cols, out_cols = _pick(header, inputs, where, "--inputs"), _pick(header, targets, where, "--targets")
        for c in in_cols + out_cols:
            if c >= width:
                raise SymbackpropError(f"{where}: column {c + 1} does not exist; the file has {width} columns")
    first = 2 if header else 1
    data = np.array(
        [[_number(row[c], where, r, c + 1) for c in in_cols + out_cols] for r, row in enumerate(rows, start=first)],
        dtype=np.float64,
    ).reshape(len(rows), len(in_cols) + len(out_cols))
    return _check(data[:, : len(in_cols)], data[:, len(in_cols) :], n_inputs, n_outputs, where)


def load_npz(path: Path, n_inputs: int, n_outputs: int, inputs: list[str] | None, targets: list[str] | None) -> Dataset:
    where = str(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SymbackpropError(f"cannot read data file {where}: {exc}") from None
    with archive:
        keys = list(archive.keys())

        def stack(names: list[str], flag: str) -> np.ndarray:
            parts = []
            for name in names:
                if name not in keys:
                    raise SymbackpropError(f"{where}: {flag} names array {name!r}; the archive holds {', '.join(keys)}")
                arr = np.asarray(archive[name])
                if arr.dtype.kind not in "fiub":
                    raise SymbackpropError(f"{where}: array {name!r} is not numeric")
                parts.append(arr.reshape(-1, 1) if arr.ndim == 1 else arr)
                if parts[-1].ndim != 2:
                    raise SymbackpropError(f"{where}: array {name!r} must be 1-D or 2-D")
            if len({p.shape[0] for p in parts}) > 1:
                raise SymbackpropError(f"{where}: the arrays of {flag} have different numbers of rows")
            return np.hstack(parts).astype(np.float64)

        X = stack(inputs or ["X"], "--inputs")
        Y = stack(targets or ["Y"], "--targets")
    return _check(X, Y, n_inputs, n_outputs, where)


DIGITS_SPLIT_SEED = 0
DIGITS_TEST_SHARE = 0.2


def digits_split(n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the train and test parts: a PCG64 permutation (seed DIGITS_SPLIT_SEED), test first."""
    order = np.random.Generator(np.random.PCG64(DIGITS_SPLIT_SEED)).permutation(n_rows)
    n_test = int(round(DIGITS_TEST_SHARE * n_rows))
    return order[n_test:], order[:n_test]


def load_digits(n_inputs: int = 64, n_outputs: int = 10) -> Dataset:
    """scikit-learn's bundled 8x8 digits: pixels scaled to [0, 1], one-hot targets, a fixed 80/20 split.

    The split is a permutation from NumPy's PCG64 with seed DIGITS_SPLIT_SEED, so it is
    the same on every machine; ``.test`` holds the 20 %.
    """
    where = "--data digits"
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise SymbackpropError(f"{where} needs scikit-learn: pip install 'symbackprop[digits]'") from None
    bunch = sklearn_digits()
    X = np.asarray(bunch.data, dtype=np.float64) / 16.0
    labels = np.asarray(bunch.target, dtype=np.int64)
    Y = np.zeros((labels.size, 10))
    Y[np.arange(labels.size), labels] = 1.0
    if n_inputs != X.shape[1] or n_outputs != Y.shape[1]:
        have = f"the digits are {X.shape[1]} inputs (8x8 pixels) and {Y.shape[1]} one-hot targets (classes 0-9)"
        hint = "; use a spec 64-...-10, for example: train 64-32-10 --activation sigmoid,softmax --loss cross_entropy"
        raise _shape_error(where, have, n_inputs, n_outputs, hint)
    train, test = digits_split(labels.size)
    held_out = _check(X[test], Y[test], n_inputs, n_outputs, f"{where} (test split)")
    data = _check(X[train], Y[train], n_inputs, n_outputs, f"{where} (train split)")
    return Dataset(data.X, data.Y, data.source, test=held_out)


def load_data(ref: str, n_inputs: int, n_outputs: int, inputs: str | None = None, targets: str | None = None) -> Dataset:
    """``xor`` or ``digits`` (built in), a CSV file (header optional) or an .npz archive."""
    if ref == "xor":
        return _check(XOR_X.copy(), XOR_Y.copy(), n_inputs, n_outputs, "--data xor")
    if ref == "digits":
        return load_digits(n_inputs, n_outputs)
    path = Path(ref)
    if not path.is_file():
        raise SymbackpropError(f"--data {ref}: no such file (use xor, digits, a .csv or an .npz file)")
    if path.suffix == ".npz":
        return load_npz(path, n_inputs, n_outputs, _columns(inputs), _columns(targets))
    return load_csv(path, n_inputs, n_outputs, _columns(inputs), _columns(targets))


PROBABILITY_TOLERANCE = 1e-9  # how far a categorical target row may sum from 1


def check_targets(spec: NetworkSpec, data: Dataset) -> None:
    """Targets that cross_entropy is defined for, in the training data and any held-out split.

    Categorical (softmax output): every row a probability vector, non-negative and summing
    to 1; the generated output delta a - y holds only then. Binary (sigmoid output): every
    target in [0, 1]; outside it the loss has no minimum.
    """
    if spec.loss != "cross_entropy":
        return
    target_sum = loss_for(spec.loss, spec.activations[-1]).target_sum  # categorical: rows sum to it
    for part in (data, data.test):
        if part is None:
            continue
        Y = part.Y
        bad = np.argwhere((Y < 0.0) | (Y > 1.0))
        if target_sum is not None:
            sums = Y.sum(axis=1)
            off = np.flatnonzero(np.abs(sums - target_sum) > PROBABILITY_TOLERANCE)
            rows = sorted({int(r) for r in bad[:, 0]} | {int(r) for r in off})
            if rows:
                r = rows[0]
                raise SymbackpropError(
                    f"{part.source}: the targets of data row {r + 1} are {_row(Y[r])} (sum {sums[r]:.6g}): categorical "
                    f"cross_entropy with a softmax output needs every target row to be one-hot or a "
                    f"probability vector (non-negative, summing to 1); {len(rows)} of {len(Y)} rows are not"
                )
        elif bad.size:
            r, c = int(bad[0][0]), int(bad[0][1])
            raise SymbackpropError(
                f"{part.source}: target {c + 1} of data row {r + 1} is {float(Y[r, c]):g}: binary "
                f"cross_entropy with a sigmoid output needs every target in [0, 1]; "
                f"{len(bad)} target(s) are outside"
            )


def _row(values: np.ndarray) -> str:
    return "(" + ", ".join(f"{float(v):g}" for v in values) + ")"


# ---------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunResult:
    seed: int | None
    final_loss: float
    success: bool | None
    epochs_to_success: int | None
    diverged_at: int | None
    epochs_run: int
    seconds: float
    theta: np.ndarray = field(repr=False)
    predictions: np.ndarray = field(repr=False)
    history: np.ndarray | None = field(default=None, repr=False)
    train_accuracy: float | None = None  # for data with 0/1 or one-hot targets (see Dataset.labelled)
    test_accuracy: float | None = None  # on the held-out split, when the data has one


def classified(predictions: np.ndarray, Y: np.ndarray) -> bool:
    return bool(np.all((predictions > THRESHOLD) == (Y > THRESHOLD)))


def run(
    module: ModuleType,
    data: Dataset,
    theta: np.ndarray,
    lr: float,
    epochs: int,
    batch_size: int = 1,
    seed: int | None = None,
    chunk: int = 1000,
    on_progress: Callable[[int, float], None] | None = None,
    keep_history: bool = True,
) -> RunResult:
    """Train in place; epoch by epoch until every case is right (to time it), then in chunks."""
    start = time.perf_counter()
    history = np.full(epochs, np.nan)
    target = data.Y > THRESHOLD
    success_epoch: int | None = None
    diverged: int | None = None
    done = 0
    if data.binary:  # epoch by epoch (lean: this loop is the overhead) until every case is right
        while done < epochs:
            loss = module.train(data.X, data.Y, theta, lr, 1, batch_size)[0]
            history[done] = loss
            done += 1
            if not math.isfinite(loss):
                diverged = done
                break
            if np.array_equal(module.predict(data.X, theta) > THRESHOLD, target):
                success_epoch = done
                break
            if on_progress is not None and done % 100 == 0:
                on_progress(done, float(loss))
    while done < epochs and diverged is None:
        step = min(chunk, epochs - done)
        h = module.train(data.X, data.Y, theta, lr, step, batch_size)
        history[done : done + step] = h
        bad = ~np.isfinite(h)
        if bad.any():
            diverged = done + int(np.argmax(bad)) + 1
            done = diverged
            break
        done += step
        if on_progress is not None:
            on_progress(done, float(h[-1]))
    predictions = module.predict(data.X, theta) if diverged is None else np.full(data.Y.shape, np.nan)
    final = float(history[done - 1]) if done else math.nan
    ok = diverged is None
    held_out = data.test if ok and data.test is not None and data.test.labelled else None
    return RunResult(
        seed=seed,
        final_loss=final,
        success=(classified(predictions, data.Y) if diverged is None else False) if data.binary else None,
        epochs_to_success=success_epoch,
        diverged_at=diverged,
        epochs_run=done,
        seconds=time.perf_counter() - start,
        theta=theta,
        predictions=predictions,
        history=history if keep_history else None,
        train_accuracy=accuracy(predictions, data.Y) if ok and data.labelled else None,
        test_accuracy=accuracy(module.predict(held_out.X, theta), held_out.Y) if held_out is not None else None,
    )


@dataclass(frozen=True)
class RestartJob:
    path: str
    data: Dataset
    lr: float
    epochs: int
    batch_size: int
    seed: int
    keep_history: bool
    threads: bool = True  # False in worker processes: the restarts already use every core


def run_restart(job: RestartJob) -> RunResult:
    """One random start (in a worker process or in this one)."""
    module = import_path(Path(job.path))
    if not job.threads and hasattr(module, "PARALLEL"):
        module.PARALLEL = False  # a loop module's threaded minibatches would oversubscribe the cores
    theta = module.init(job.seed)
    return run(module, job.data, theta, job.lr, job.epochs, job.batch_size, job.seed, keep_history=job.keep_history)


def restarts(
    path: Path,
    data: Dataset,
    lr: float,
    epochs: int,
    batch_size: int,
    seeds: Sequence[int],
    jobs: int,
    keep_history: bool = False,
    on_done: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Independent random starts, spread over ``jobs`` worker processes; results in seed order."""
    threads = jobs <= 1 or len(seeds) == 1
    work = [RestartJob(str(path), data, lr, epochs, batch_size, s, keep_history, threads) for s in seeds]
    results: list[RunResult] = []
    if jobs <= 1 or len(work) == 1:
        for job in work:
            results.append(run_restart(job))
            if on_done:
                on_done(results[-1])
        return results
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        for result in pool.map(run_restart, work, chunksize=max(1, len(work) // (4 * jobs))):
            results.append(result)
            if on_done:
                on_done(result)
    return results


@dataclass(frozen=True)
class Summary:
    restarts: int
    success_rate: float | None
    median_final_loss: float | None
    median_epochs_to_success: float | None
    diverged: int
    median_train_accuracy: float | None = None
    median_test_accuracy: float | None = None


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.median(known)) if known else None


def summarise(results: list[RunResult]) -> Summary:
    wins = [r for r in results if r.success]
    tracked = [r for r in results if r.success is not None]
    return Summary(
        restarts=len(results),
        success_rate=len(wins) / len(tracked) if tracked else None,
        median_final_loss=_median([r.final_loss for r in results if r.diverged_at is None]),
        median_epochs_to_success=_median([r.epochs_to_success for r in wins]),
        diverged=sum(r.diverged_at is not None for r in results),
        median_train_accuracy=_median([r.train_accuracy for r in results]),
        median_test_accuracy=_median([r.test_accuracy for r in results]),
    )


def plot(path: str, histories: list[np.ndarray], title: str) -> None:
    """A loss-curve PNG (log scale); several curves are drawn faint."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymbackpropError("--plot needs matplotlib: pip install 'symbackprop[plot]'") from None
    folder = Path(path).parent
    if not folder.is_dir():
        raise SymbackpropError(f"--plot {path}: the folder {folder} does not exist")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    alpha = 1.0 if len(histories) == 1 else max(0.05, 1.0 / math.sqrt(len(histories)))
    for h in histories:
        epochs = np.arange(1, len(h) + 1)
        ax.plot(epochs, h, color="C0", alpha=alpha, linewidth=1.0)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean error per case")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise SymbackpropError(f"--plot {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)


def as_json(value: Any) -> Any:
    """Numbers for JSON: NaN and inf become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return as_json(value.tolist())
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return value
