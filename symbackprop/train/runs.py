"""Training from the command line: data, the compiled module, runs and restarts.

The module of a spec is generated into a cache folder keyed by the hash of its
text and imported from there, so Numba's on-disk cache makes the second run start
warm. Restarts run in batches of seeds (``run_seeds``) on Dask when it is installed, else in
a pool of worker processes (see :mod:`symbackprop.train.engine`); ``sweep`` runs grids of them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import math
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import symbackprop.train.engine as engine
from symbackprop.codegen.common import module_name
from symbackprop.codegen.output import write_atomic
from symbackprop.codegen.render import render
from symbackprop.errors import SymbackpropError
from symbackprop.files import write_atomic as write_bytes_atomic
from symbackprop.model.spec import NetworkSpec
from symbackprop.train.data import Dataset, read_npz

THRESHOLD = 0.5
CHUNK_CASES = 2_000_000  # epochs x rows per compiled call: a signal is honoured between calls


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
    raise SymbackpropError(
        f"cannot write the generated module to {cache_dir()}; set SYMBACKPROP_CACHE to a writable "
        "folder"
    )


def import_path(path: Path) -> ModuleType:
    """Import a generated module from its file (once per process)."""
    name = (
        "_symbackprop_"
        + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
        + "_"
        + path.stem
    )
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
    train_accuracy: float | None = (
        None  # for data with 0/1 or one-hot targets (see Dataset.labelled)
    )
    test_accuracy: float | None = None  # on the held-out split, when the data has one
    interrupted: bool = False  # stopped by SIGINT or SIGTERM after epochs_run epochs


class Stop:
    """Set by SIGINT or SIGTERM while training: the run stops after the current chunk."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, frame: Any) -> None:
        self.signum = signum


@contextmanager
def stop_on_signals() -> Iterator[Stop]:
    """SIGINT and SIGTERM set a flag instead of raising (in the main thread; elsewhere a no-op)."""
    stop = Stop()
    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, stop)
    except ValueError:  # not the main thread
        pass
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
    """Train in place; epoch by epoch until every case is right (to time it), then in chunks.

    SIGINT or SIGTERM stops the run at the end of the current chunk (``interrupted``): theta
    and the history hold what was reached.
    """
    start = time.perf_counter()
    history = np.full(epochs, np.nan)
    target = data.Y > THRESHOLD
    success_epoch: int | None = None
    diverged: int | None = None
    done = 0
    chunk = max(1, min(chunk, CHUNK_CASES // max(1, data.X.shape[0])))  # a stop waits for a chunk
    with stop_on_signals() as stop:
        if (
            data.binary
        ):  # epoch by epoch (lean: this loop is the overhead) until every case is right
            while done < epochs and stop.signum is None:
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
        while done < epochs and diverged is None and stop.signum is None:
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
    interrupted = stop.signum is not None and done < epochs and diverged is None
    predictions = (
        module.predict(data.X, theta) if diverged is None else np.full(data.Y.shape, np.nan)
    )
    final = float(history[done - 1]) if done else math.nan
    ok = diverged is None
    held_out = data.test if ok and data.test is not None and data.test.labelled else None
    return RunResult(
        seed=seed,
        final_loss=final,
        success=(classified(predictions, data.Y) if diverged is None else False)
        if data.binary
        else None,
        epochs_to_success=success_epoch,
        diverged_at=diverged,
        epochs_run=done,
        seconds=time.perf_counter() - start,
        theta=theta,
        predictions=predictions,
        history=history if keep_history else None,
        train_accuracy=accuracy(predictions, data.Y) if ok and data.labelled else None,
        test_accuracy=accuracy(module.predict(held_out.X, theta), held_out.Y)
        if held_out is not None
        else None,
        interrupted=interrupted,
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


def use_threads(module: ModuleType, threads: int) -> None:
    """Run a loop module's minibatches on ``threads`` of Numba's threads (1: serial, its default).
    Unrolled modules have no threaded path; a count over the machine's is capped by Numba's."""
    if not hasattr(module, "PARALLEL"):
        return
    vars(module)["PARALLEL"] = threads > 1  # a ModuleType has no typed attributes to assign
    if threads > 1:
        import numba  # only a threaded run sets Numba's thread count

        most = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]  # set at import
        numba.set_num_threads(min(threads, most))


def run_restart(job: RestartJob) -> RunResult:
    """One random start (in a worker process or in this one)."""
    module = import_path(Path(job.path))
    if not job.threads and hasattr(module, "PARALLEL"):
        # a loop module's threaded minibatches would oversubscribe the cores
        vars(module)["PARALLEL"] = False  # a ModuleType has no typed attributes to assign
    theta = module.init(job.seed)
    return run(
        module,
        job.data,
        theta,
        job.lr,
        job.epochs,
        job.batch_size,
        job.seed,
        keep_history=job.keep_history,
    )


@dataclass(frozen=True)
class Training:
    """What every batch of a restart run or sweep shares (sent to each worker once)."""

    path: str  # the generated module's file: workers import it, never a pickled function
    data: Dataset
    batch_size: int
    keep_history: bool = False
    threads: bool = False  # False in worker processes: the runs already use every core


@dataclass(frozen=True)
class SeedBatch:
    """One task: the runs of these seeds at one learning rate and number of epochs."""

    lr: float
    epochs: int
    seeds: tuple[int, ...]


def run_seeds(shared: Training, batch: SeedBatch) -> list[RunResult]:
    """The runs of a batch of seeds, in seed order (in a worker process or in this one)."""
    return [
        run_restart(
            RestartJob(
                shared.path,
                shared.data,
                batch.lr,
                batch.epochs,
                shared.batch_size,
                seed,
                shared.keep_history,
                shared.threads,
            )
        )
        for seed in batch.seeds
    ]


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
    backend: str = "auto",
) -> list[RunResult]:
    """Independent random starts over ``jobs`` workers; results in seed order.

    ``backend``: ``"dask"`` (a local Dask cluster of ``jobs`` processes), ``"processes"`` (a
    plain process pool) or ``"auto"``: Dask when it is installed. One job or one seed runs
    here, in this process. Both backends run the same batches (``run_seeds``).
    """
    seeds = list(seeds)
    local = jobs <= 1 or len(seeds) == 1
    shared = Training(str(path), data, batch_size, keep_history, threads=local)
    size = 1 if local else engine.seeds_per_batch(len(seeds), jobs, most=50)
    batches = [
        SeedBatch(lr, epochs, tuple(seeds[i : i + size])) for i in range(0, len(seeds), size)
    ]
    found: dict[int, RunResult] = {}

    def keep(batch: SeedBatch, results: list[RunResult]) -> None:
        for result in results:
            if result.interrupted:
                raise KeyboardInterrupt(f"after {len(found)} of {len(seeds)} restarts")
            found[result.seed if result.seed is not None else -1] = result
            if on_done:
                on_done(result)

    if local:
        engine.in_process(run_seeds, shared, batches, keep)
    elif backend == "dask" or (backend == "auto" and engine.dask_available()):
        with engine.dask_client(None, jobs) as client:
            engine.on_dask(client, run_seeds, shared, batches, keep)
    else:
        engine.on_processes(run_seeds, shared, batches, jobs, keep)
    return [found[s] for s in seeds]


def ignore_sigint() -> None:
    """In a worker: Ctrl-C is the parent's to handle (a run in progress still stops early)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ---------------------------------------------------------------- saved runs

SAVED_KEYS = {"theta", "history", "spec", "param_ids"}


def save_run(
    path: str | Path,
    spec_toml: str,
    param_ids: Sequence[str],
    theta: np.ndarray,
    history: np.ndarray,
) -> None:
    """θ, the loss history (the epochs run) and the spec, as an .npz written atomically."""
    buffer = io.BytesIO()
    np.savez(
        buffer,
        theta=np.asarray(theta, dtype=np.float64),
        history=np.asarray(history, dtype=np.float64),
        spec=np.array(spec_toml),
        param_ids=np.array(list(param_ids)),
    )
    write_bytes_atomic(Path(path), buffer.getvalue(), "--save file")


def load_run(
    path: str | Path, spec_toml: str, param_ids: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """θ and the history of a saved run of this spec (one clear error for anything else)."""
    arrays = read_npz(path, "--resume file")
    where = f"--resume file {path}"
    missing = SAVED_KEYS - set(arrays)
    if missing:
        raise SymbackpropError(
            f"{where}: not a file written by --save (no {', '.join(sorted(missing))})"
        )
    if str(arrays["spec"]) != spec_toml or [str(p) for p in arrays["param_ids"]] != list(param_ids):
        raise SymbackpropError(
            f"{where}: it was saved for another spec; resume it with the same spec and flags"
        )
    theta, history = arrays["theta"], arrays["history"]
    if (
        theta.dtype.kind != "f"
        or theta.shape != (len(param_ids),)
        or not np.all(np.isfinite(theta))
    ):
        raise SymbackpropError(f"{where}: theta must be {len(param_ids)} finite numbers")
    if history.dtype.kind != "f" or history.ndim != 1:
        raise SymbackpropError(f"{where}: the history must be a list of numbers")
    return np.ascontiguousarray(theta, dtype=np.float64), history.astype(np.float64)


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
