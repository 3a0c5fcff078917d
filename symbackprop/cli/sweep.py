"""The ``sweep`` subcommand: a grid of restart runs on Dask, one row per run in a file."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import NetworkSpec
from symbackprop.train.data import check_targets, load_data
from symbackprop.train.runs import import_path, module_file
from symbackprop.train.sweep import (
    SweepResult,
    check_plot,
    parse_list,
    parse_seeds,
    plot_sweep,
    sweep,
)

SpecOf = Callable[[argparse.Namespace], NetworkSpec]


def add_parsers(sub: Any, spec_args: Callable[..., None]) -> None:
    s = sub.add_parser(
        "sweep",
        help="a grid of training runs (seeds x lr x epochs) on Dask, one row per run",
        description="Train every seed at every learning rate and number of epochs on Dask "
        "(a local cluster, or --scheduler); write one row per run to -o as runs finish.",
    )
    spec_args(s)
    s.add_argument("--data", required=True, help="xor, digits, a .csv file or an .npz archive")
    s.add_argument("--inputs", help="input columns (as for train)")
    s.add_argument("--targets", help="target columns (as for train)")
    s.add_argument(
        "--seeds", default="0:100", help="A:B, the seeds A to B-1 (default 0:100), or a count N"
    )
    s.add_argument("--lr", default="0.5", help="learning rates, comma-separated (default 0.5)")
    s.add_argument(
        "--epochs", default="10000", help="numbers of epochs, comma-separated (default 10000)"
    )
    s.add_argument("--batch-size", "--batch", type=int, default=1, help="as for train (default 1)")
    s.add_argument(
        "-o", "--output", required=True, help="the rows: a .csv or .parquet file (new, or --resume)"
    )
    s.add_argument(
        "--resume", action="store_true", help="continue the sweep in -o: skip the rows it has"
    )
    s.add_argument(
        "--workers",
        type=int,
        help="processes of the local Dask cluster, one thread each (default: one per core)",
    )
    s.add_argument("--scheduler", help="tcp://host:port of a running Dask scheduler to use")
    s.add_argument(
        "--seeds-per-task",
        type=int,
        help="seeds in each Dask task (default: about 8 tasks per worker, at most 250)",
    )
    s.add_argument("--gain-value", type=float, default=1.0, help="the sigmoid gain alpha")
    s.add_argument("--plot", help="write success rate against lr and epochs to this image file")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_sweep(args: argparse.Namespace, spec_of: SpecOf) -> str:
    seeds = parse_seeds(args.seeds)
    lrs = parse_list(args.lr, "--lr", float)
    epochs = parse_list(args.epochs, "--epochs", int)
    if args.batch_size < 1 or (args.workers is not None and args.workers < 1):
        raise SymbackpropError("--batch-size and --workers must be at least 1")
    if args.seeds_per_task is not None and args.seeds_per_task < 1:
        raise SymbackpropError("--seeds-per-task must be at least 1")
    if args.scheduler and args.workers is not None:
        raise SymbackpropError("--workers is for the local cluster; drop it with --scheduler")
    if args.plot:
        check_plot(args.plot)
    spec = spec_of(args)
    data = load_data(args.data, spec.sizes[0], spec.sizes[-1], args.inputs, args.targets)
    check_targets(spec, data)
    path = module_file(spec, args.gain_value)
    import_path(path)  # compiled here first, so the workers load it from Numba's disk cache
    total = len(seeds) * len(lrs) * len(epochs)
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="sweep", unit="run", file=sys.stderr, disable=None)
    started = time.perf_counter()
    try:
        result = sweep(
            path,
            data,
            seeds,
            lrs,
            epochs,
            Path(args.output),
            batch_size=args.batch_size,
            resume=args.resume,
            scheduler=args.scheduler,
            workers=args.workers or os.cpu_count() or 1,
            seeds_per_task=args.seeds_per_task,
            on_rows=bar.update if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started
    if args.plot:
        plot_sweep(args.plot, result.points, f"{spec.label} on {data.source}: {len(seeds)} seeds")
    return _report(args, spec.label, data.source, seeds, result, seconds)


def _report(
    args: argparse.Namespace,
    label: str,
    source: str,
    seeds: range,
    result: SweepResult,
    seconds: float,
) -> str:
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else "a local Dask cluster"
    lines = [
        f"{label} on {source}: seeds {seeds.start}..{seeds.stop - 1}, lr {args.lr}, "
        f"epochs {args.epochs}, batch size {args.batch_size}",
        f"runs: {result.ran} now on {where} ({result.workers} worker threads), "
        f"{result.resumed} already in {args.output}",
        f"{'lr':>8} {'epochs':>8} {'runs':>7} {'success':>8} {'median final loss':>18} "
        f"{'median epochs to success':>25} {'diverged':>9}",
    ]
    for p in result.points:
        s = p.summary
        rate = "n/a" if s.success_rate is None else f"{100 * s.success_rate:.1f}%"
        loss = "n/a" if s.median_final_loss is None else f"{s.median_final_loss:.6e}"
        first = "n/a" if s.median_epochs_to_success is None else f"{s.median_epochs_to_success:g}"
        lines.append(
            f"{p.lr:>8g} {p.epochs:>8} {s.restarts:>7} {rate:>8} {loss:>18} {first:>25}"
            f" {s.diverged:>9}"
        )
    lines.append(f"wrote {args.output} ({result.rows} rows)")
    if args.plot:
        lines.append(f"wrote {args.plot}")
    lines.append(f"seconds: {seconds:.2f}")
    return "\n".join(lines)
