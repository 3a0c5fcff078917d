"""The one measuring method of the issue-13 benchmarks.

Used by bench/honest.py, bench/batch_kernels.py and bench/threads.py.

- Every BLAS, OpenMP and XLA pool is limited to one thread *before* NumPy, JAX or
  PyTorch is imported (``one_thread_env``), and again with threadpoolctl after import.
- Time is the CPU time of the process (``time.process_time``), which on a shared
  machine counts only what this process ran; it is fair because every peer runs on
  one thread (the thread-policy benchmark, which needs wall time, says so itself).
- Within a process the peers run in interleaved rounds (round r runs every peer once);
  each peer's figure for the process is the median of its rounds.
- The driver starts ``--processes`` (>= 3) separate worker processes one after the
  other and reports, per peer, the median over the processes of those medians, with
  the spread (min..max of the process medians).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}
# Processor-specific OpenBLAS overrides that some machines set: unset together for a fair NumPy.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

METHOD = (
    "process CPU time (time.process_time); BLAS/OpenMP/XLA/PyTorch/Numba limited to one thread "
    "(OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1, "
    "XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1, "
    "threadpoolctl limit 1, "
    "torch.set_num_threads(1), Numba serial code); OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset; "
    "interleaved rounds within a "
    "process, median of the rounds; median over {processes} separate processes "
    "(min..max of the process medians)"
)


def one_thread_env(env: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if env is None else env)
    env.update(ONE_THREAD)
    for key in OPENBLAS_OVERRIDES:
        env.pop(key, None)
    return env


def apply_one_thread() -> None:
    """In a worker, before numpy is imported."""
    os.environ.update(one_thread_env())
    for key in OPENBLAS_OVERRIDES:
        os.environ.pop(key, None)


def limit_pools(user_api: str | None = None) -> list[dict]:
    """threadpoolctl's limit to one thread; returns what threadpoolctl sees (the BLAS kernels)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(1, user_api=user_api)
    return [
        {
            k: Path(d[k]).name if k == "filepath" and d.get(k) else d.get(k)  # no machine paths
            for k in (
                "internal_api",
                "num_threads",
                "version",
                "architecture",
                "threading_layer",
                "filepath",
            )
        }
        for d in threadpool_info()
    ]


def cpu_time(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def interleaved(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median CPU seconds of each run over ``rounds`` interleaved rounds."""
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            times[name].append(cpu_time(fn)[0])
    return {k: statistics.median(v) for k, v in times.items()}


def worker_main(work: Callable[[], dict]) -> None:
    """A worker prints one JSON line (its results) as the last line of stdout."""
    before = os.getloadavg()[0]
    result = work()
    result["loadavg_1min"] = [
        before,
        os.getloadavg()[0],
    ]  # the machine is shared: say how busy it was
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


def run_workers(
    argv: list[str],
    processes: int,
    env: dict[str, str] | None = None,
    echo: bool = False,
    save: str | None = None,
) -> list[dict]:
    """Run ``argv`` ``processes`` times, one after the other.

    Collect each one's JSON result (saved to ``save``).
    """
    results: list[dict] = []
    for p in range(processes):
        out = subprocess.run(argv, env=one_thread_env(env), capture_output=True, text=True)
        if out.returncode != 0:
            sys.stderr.write(out.stdout[-3000:] + out.stderr[-5000:])
            raise SystemExit(f"worker {p} failed: {' '.join(argv)}")
        if echo:
            sys.stderr.write(out.stderr[-2000:])
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        if save:
            with open(save, "w") as f:
                json.dump(results, f)
    return results


def combine(results: Iterable[dict[str, float]]) -> dict[str, tuple[float, float, float]]:
    """Per key: (median, min, max) over the processes."""
    results = list(results)
    keys = [k for k in results[0]]
    return {
        k: (
            statistics.median(r[k] for r in results),
            min(r[k] for r in results),
            max(r[k] for r in results),
        )
        for k in keys
    }


def command_line() -> str:
    import shlex

    return "python " + shlex.join([os.path.relpath(sys.argv[0]), *sys.argv[1:]])


def load_line(results: list[dict]) -> str:
    loads = [v for r in results for v in r.get("loadavg_1min", [])]
    if not loads:
        return "1-min load average: not recorded"
    return (
        f"1-min load average at worker start/end: {min(loads):.1f}..{max(loads):.1f} on 2 cores "
        "(other sessions' jobs share this machine; CPU time counts only this process, "
        "but caches and memory are shared)"
    )
