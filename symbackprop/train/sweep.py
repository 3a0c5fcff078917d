"""Sweeps: a grid of restart runs (seeds x learning rates x epochs) on Dask, one row per run.

Each task is a batch of seeds at one grid point (``runs.run_seeds``, the batches of
``train --restarts`` too): a worker imports the generated module from its file once and
trains every seed of the batch. Rows are written as batches finish (``rows.RowsFile``), so
a killed sweep leaves its completed rows, and ``resume`` skips the rows already there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import symbackprop.train.engine as engine
from symbackprop.errors import SymbackpropError
from symbackprop.train.data import Dataset
from symbackprop.train.rows import Row, RowsFile, check_output, read_rows
from symbackprop.train.runs import (
    RunResult,
    SeedBatch,
    Summary,
    Training,
    run_seeds,
    summarise,
)


def parse_seeds(text: str) -> range:
    """``A:B`` is the seeds A .. B-1 (as a Python slice); ``N`` alone is 0 .. N-1."""
    start, sep, stop = text.partition(":")
    try:
        a, b = (int(start), int(stop)) if sep else (0, int(start))
    except ValueError:
        raise SymbackpropError(
            f"--seeds {text}: give A:B (the seeds A to B-1, e.g. 0:10000) or a count N"
        ) from None
    if a < 0 or b <= a:
        raise SymbackpropError(f"--seeds {text}: need 0 <= A < B (the seeds A to B-1)")
    return range(a, b)


def parse_list(text: str, flag: str, kind: type) -> list[Any]:
    """A comma list of positive numbers (``kind`` int or float), duplicates dropped, in order."""
    values: list[Any] = []
    for part in text.split(","):
        try:
            value = kind(part.strip())
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value <= 0:
            what = "whole numbers" if kind is int else "numbers"
            raise SymbackpropError(
                f"{flag} {text}: {part.strip()!r} is not allowed; "
                f"give positive {what}, comma-separated"
            )
        if value not in values:
            values.append(value)
    return values


def row_of(result: RunResult, lr: float, epochs: int, batch_size: int) -> Row:
    assert result.seed is not None
    return Row(
        result.seed,
        lr,
        epochs,
        batch_size,
        result.final_loss,
        result.success,
        result.epochs_to_success,
        result.diverged_at,
    )


def as_result(row: Row) -> RunResult:
    """A row as a ``RunResult`` (no θ, predictions or history), to summarise with ``summarise``."""
    return RunResult(
        seed=row.seed,
        final_loss=row.final_loss,
        success=row.success,
        epochs_to_success=row.epochs_to_success,
        diverged_at=row.diverged_at,
        epochs_run=row.diverged_at or row.epochs,
        seconds=math.nan,
        theta=np.empty(0),
        predictions=np.empty(0),
    )


@dataclass(frozen=True)
class Point:
    lr: float
    epochs: int
    summary: Summary


@dataclass(frozen=True)
class SweepResult:
    points: list[Point]
    rows: int  # in the file at the end
    resumed: int  # of those, rows already in the file before this sweep
    ran: int  # runs done by this sweep
    workers: int


def summarise_points(
    rows: Sequence[Row], lrs: Sequence[float], epochs: Sequence[int]
) -> list[Point]:
    """Per grid point: success rate, median final loss, median epochs to success."""
    by_point: dict[tuple[float, int], list[RunResult]] = {}
    for row in rows:
        by_point.setdefault((row.lr, row.epochs), []).append(as_result(row))
    return [Point(lr, n, summarise(by_point.get((lr, n), []))) for lr in lrs for n in epochs]


def sweep(
    path: Path,
    data: Dataset,
    seeds: range,
    lrs: Sequence[float],
    epochs: Sequence[int],
    out: Path,
    batch_size: int = 1,
    resume: bool = False,
    scheduler: str | None = None,
    workers: int = 1,
    seeds_per_task: int | None = None,
    on_rows: Callable[[int], None] | None = None,
    client: Any = None,
) -> SweepResult:
    """Run every (seed, lr, epochs) not already in ``out``; rows written as tasks finish.

    Everything is checked before the output is touched: a bad output path, an unreadable file
    to resume, a scheduler that does not answer each raise ``SymbackpropError`` and leave
    ``out`` as it was. ``client``: an existing Dask client (else one is made from
    ``scheduler`` or a local cluster of ``workers`` processes). ``on_rows(n)`` is told after
    each batch how many rows it wrote.
    """
    check_output(out, resume)
    earlier = read_rows(out) if resume else []
    done = {r.key for r in earlier}
    known = workers if scheduler is None and client is None else 8  # a remote cluster: a guess
    size = seeds_per_task or engine.seeds_per_batch(len(seeds) * len(lrs) * len(epochs), known)
    todo: list[SeedBatch] = []
    for lr in lrs:
        for n in epochs:
            left = [s for s in seeds if (s, lr, n, batch_size) not in done]
            todo += [SeedBatch(lr, n, tuple(left[i : i + size])) for i in range(0, len(left), size)]
    shared = Training(str(path), data, batch_size)
    ran = 0

    def work(c: Any) -> tuple[RowsFile, int]:
        nonlocal ran
        output = RowsFile(out, earlier)  # opened only once the cluster answers
        threads = sum(c.nthreads().values())

        def keep(batch: SeedBatch, results: list[RunResult]) -> None:
            nonlocal ran
            added = output.add(row_of(r, batch.lr, batch.epochs, batch_size) for r in results)
            ran += added
            if on_rows:
                on_rows(added)

        try:
            if todo:
                engine.on_dask(c, run_seeds, shared, todo, keep)
        finally:
            output.flush()
        output.finish()
        return output, threads

    if client is not None:
        output, threads = work(client)
    else:
        with engine.dask_client(scheduler, workers) as c:
            output, threads = work(c)
    return SweepResult(
        points=summarise_points(output.rows, lrs, epochs),
        rows=len(output.rows),
        resumed=len(earlier),
        ran=ran,
        workers=threads,
    )


def check_plot(path: str) -> None:
    """Refuse a ``--plot`` that cannot be written, before the sweep starts."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SymbackpropError("--plot needs matplotlib: pip install 'symbackprop[plot]'") from None
    folder = Path(path).parent
    if not folder.is_dir():
        raise SymbackpropError(f"--plot {path}: the folder {folder} does not exist")


def plot_sweep(path: str, points: Sequence[Point], title: str) -> None:
    """Success rate against the learning rate, one line per number of epochs (matplotlib, Agg)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymbackpropError("--plot needs matplotlib: pip install 'symbackprop[plot]'") from None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, n in enumerate(sorted({p.epochs for p in points})):
        line = [p for p in points if p.epochs == n and p.summary.success_rate is not None]
        if line:
            ax.plot(
                [p.lr for p in line],
                [100 * (p.summary.success_rate or 0.0) for p in line],
                marker="o",
                color=f"C{i % 10}",
                label=f"{n} epochs",
            )
    lrs = sorted({p.lr for p in points})
    if len(lrs) > 1 and lrs[-1] / lrs[0] >= 10:
        ax.set_xscale("log")
    ax.set_ylim(-2, 102)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("success rate (%)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise SymbackpropError(f"--plot {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
