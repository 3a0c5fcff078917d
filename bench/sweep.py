"""Benchmark: how a restart sweep scales from one Dask worker to two, against the machine's own
two-process scaling measured in the same run.

    python bench/sweep.py [--restarts 10000] [--epochs 1000] [--lr 0.5] [--rounds 1]

Method, printed with the figures:

- the machine: a plain CPU-bound Python loop (no NumPy, no I/O), the same total work done
  by one process (two units, one after the other) and by two processes (one unit each), in
  warmed process pools; its scaling is wall(1 process) / wall(2 processes), ideally 2;
- the sweep: ``symbackprop.train.sweep.sweep`` of xor-bias over ``--restarts`` seeds on a
  ``LocalCluster`` of 1 worker, then of 2 workers (processes, one thread each), each cluster
  started and warmed (the module loaded by every worker) before the clock starts; its
  scaling is wall(1 worker) / wall(2 workers); rows go to a CSV file in a temporary folder;
- efficiency = sweep scaling / machine scaling (target >= 0.90). Each round runs the four
  timings one after the other (loop 1, loop 2, sweep 1, sweep 2), so a load that comes and
  goes on a shared machine touches both; the figures are the medians over ``--rounds``;
- CPU time: the process CPU seconds (``time.process_time``) of every worker, read through
  the pool or ``client.run`` before and after, and of this (the client's) process.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from symbackprop.model.spec import preset
from symbackprop.train.data import load_data
from symbackprop.train.runs import import_path, module_file
from symbackprop.train.sweep import sweep

LOOP = 30_000_000  # iterations of one unit of the plain loop (a few seconds)


def spin(n: int) -> float:
    """One unit of plain CPU work; its process CPU seconds."""
    start = time.process_time()
    total = 0
    for i in range(n):
        total += i * i % 7
    assert total >= 0
    return time.process_time() - start


def loop(processes: int, units: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``units`` loop units on a warmed pool of ``processes``."""
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        list(pool.map(spin, [1] * processes))  # warm: every process started
        start = time.perf_counter()
        cpu = sum(pool.map(spin, [LOOP] * units))
        return time.perf_counter() - start, cpu


def on_cluster(workers: int, path: Path, data: object, seeds: range, lr: float, epochs: int):
    """Wall, workers' CPU and client CPU seconds of the sweep on a warmed local cluster."""
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
        tempfile.TemporaryDirectory() as tmp,
    ):
        warm = Path(tmp) / "warm.csv"  # every worker loads the module before the clock starts
        sweep(path, data, range(4 * workers), [lr], [10], warm, client=client, seeds_per_task=1)
        cpu0 = sum(client.run(time.process_time).values())
        here0 = time.process_time()
        start = time.perf_counter()
        result = sweep(path, data, seeds, [lr], [epochs], Path(tmp) / "rows.csv", client=client)
        wall = time.perf_counter() - start
        cpu = sum(client.run(time.process_time).values()) - cpu0
        assert result.rows == len(seeds), result
        rate = result.points[0].summary.success_rate
        return wall, cpu, time.process_time() - here0, rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--restarts", type=int, default=10_000)
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    path = module_file(preset("xor-bias"))
    import_path(path)  # compile once; the workers load it from Numba's disk cache
    data = load_data("xor", 2, 1)
    seeds = range(args.restarts)
    print(
        f"xor-bias, {args.restarts} restarts x {args.epochs} epochs, lr {args.lr}; "
        f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start"
    )
    rows: dict[str, list[tuple[float, ...]]] = {k: [] for k in ("l1", "l2", "s1", "s2")}
    for r in range(args.rounds):
        rows["l1"].append(loop(1, 2))
        rows["l2"].append(loop(2, 2))
        rows["s1"].append(on_cluster(1, path, data, seeds, args.lr, args.epochs))
        rows["s2"].append(on_cluster(2, path, data, seeds, args.lr, args.epochs))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in rows.items()))

    def med(key: str, i: int) -> float:
        return statistics.median(v[i] for v in rows[key])

    machine = med("l1", 0) / med("l2", 0)
    scaling = med("s1", 0) / med("s2", 0)
    print(f"plain loop, 2 units of {LOOP:,} iterations (median of {args.rounds} rounds):")
    print(f"  1 process:   wall {med('l1', 0):8.2f} s   CPU {med('l1', 1):8.2f} s")
    print(f"  2 processes: wall {med('l2', 0):8.2f} s   CPU {med('l2', 1):8.2f} s")
    print(f"  machine scaling (wall 1 / wall 2): {machine:.3f}")
    print(f"sweep, {args.restarts} restarts (success rate {100 * rows['s2'][0][3]:.1f}%):")
    for key, n in (("s1", 1), ("s2", 2)):
        print(
            f"  {n} worker{'s' if n > 1 else ' '}:   wall {med(key, 0):8.2f} s   "
            f"workers' CPU {med(key, 1):8.2f} s   client CPU {med(key, 2):6.2f} s   "
            f"{args.restarts / med(key, 0):8.1f} runs/s"
        )
    print(f"  sweep scaling (wall 1 / wall 2): {scaling:.3f}")
    efficiency = scaling / machine
    verdict = "met" if efficiency >= 0.9 else "NOT met"
    print(
        f"efficiency = sweep scaling / machine scaling = {efficiency:.3f}"
        f" (target >= 0.90: {verdict})"
    )


if __name__ == "__main__":
    main()
