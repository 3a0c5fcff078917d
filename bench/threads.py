"""Thread policy of the generated loop module (issue 13, part 3): serial against threaded train.

    python bench/threads.py [--processes 3] [--rounds 5] [--batches 8 32 128 0]

The current generated 64-32-10 sigmoid/half_sse loop module (CHUNKS fixed chunks per batch,
PARALLEL selects the prange version). Each worker process picks one Numba threading layer
(NUMBA_THREADING_LAYER, NUMBA_NUM_THREADS=2):
  serial-only       never calls the parallel version (the clean serial baseline)
  workqueue         Numba's own pool
  omp passive       GNU OpenMP with OMP_WAIT_POLICY=passive (idle workers sleep)
  omp active        GNU OpenMP with OMP_WAIT_POLICY=active (idle workers spin)
  omp default       GNU OpenMP, no wait policy set (libgomp spins a while, then sleeps)
  tbb               Intel TBB (pip tbb; libtbb found through LD_LIBRARY_PATH=<venv>/lib)
and times, in interleaved rounds, serial train (PARALLEL = False) and threaded train
(PARALLEL = True, PARALLEL_MIN_BATCH = 1) at each batch size. Time is WALL time
(time.perf_counter: what a user waits for; CPU time would add up the threads), median of
the rounds, then median over --processes processes. "idle": nothing else runs; "loaded":
a `python -c "while True: pass"` runs beside the worker (started before it, killed after).
BLAS pools are limited to one thread (the module does not use BLAS). Ratios:
threaded / serial-only (what PARALLEL costs or gains) and serial-after-parallel /
serial-only (whether a parallel call slows the serial calls after it).
Also: the cold compile (empty NUMBA_CACHE_DIR) of the first train call, serial only
against serial + parallel, CPU time of the process, 3 processes each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import method

LR = 0.5
LAYERS = {
    "serial-only": {},
    "workqueue": {"NUMBA_THREADING_LAYER": "workqueue"},
    "omp passive": {"NUMBA_THREADING_LAYER": "omp", "OMP_WAIT_POLICY": "passive"},
    "omp active": {"NUMBA_THREADING_LAYER": "omp", "OMP_WAIT_POLICY": "active"},
    "omp default": {"NUMBA_THREADING_LAYER": "omp"},
    "tbb": {"NUMBA_THREADING_LAYER": "tbb", "LD_LIBRARY_PATH": os.path.join(sys.prefix, "lib")},
}


def worker(args: argparse.Namespace) -> dict:
    method.limit_pools("blas")
    import batch_kernels as bk
    import numba
    import numpy as np

    X, Y = bk.data()
    module = bk.generated_module(False)
    module.PARALLEL_MIN_BATCH = 1
    theta0 = module.init(0)
    out: dict = {}
    parallel = args.layer != "serial-only"
    if parallel:
        module.PARALLEL = True
        module.train(X[:64], Y[:64], theta0.copy(), LR, 1, 32)
        out["layer"] = numba.threading_layer()
        out["threads"] = numba.get_num_threads()
    module.PARALLEL = False
    module.train(X[:64], Y[:64], theta0.copy(), LR, 1, 32)

    def run(par: bool, b: int, epochs: int):  # type: ignore[no-untyped-def]
        def go() -> None:
            module.PARALLEL = par
            module.train(X, Y, theta0.copy(), LR, epochs, b)
            module.PARALLEL = False

        return go

    for batch in args.batches:
        b = len(X) if batch == 0 else batch
        epochs = args.epochs
        runs = {"serial": run(False, b, epochs)}
        if parallel:
            runs["threaded"] = run(True, b, epochs)
            a1, a2 = theta0.copy(), theta0.copy()
            module.PARALLEL = True
            module.train(X, Y, a1, LR, 2, b)
            module.PARALLEL = False
            module.train(X, Y, a2, LR, 2, b)
            out[f"bitident/{b}"] = float(np.array_equal(a1, a2))
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.rounds):
            for name, fn in runs.items():
                t = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - t) / epochs)
        for name, ts in times.items():
            out[f"t/{name}/{b}"] = statistics.median(ts)
    out["n"] = len(X)
    return out


COLD = (
    "import sys, time; sys.path[:0] = [{root!r}, {here!r}]; import batch_kernels as bk; "
    "X, Y = bk.data(); m = bk.generated_module(False); m.PARALLEL = {par}; "
    "m.PARALLEL_MIN_BATCH = 1; "
    "th = m.init(0); t = time.process_time(); m.train(X[:64], Y[:64], th, 0.5, 1, 32); "
    "print(time.process_time() - t)"
)


def cold(par: bool, processes: int) -> list[float]:
    out = []
    for _ in range(processes):
        with tempfile.TemporaryDirectory() as cache:
            env = method.one_thread_env()
            env.update(
                NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS="2", NUMBA_THREADING_LAYER="workqueue"
            )
            r = subprocess.run(
                [sys.executable, "-c", COLD.format(root=str(ROOT), here=str(HERE), par=par)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            out.append(float(r.stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batches", type=int, nargs="+", default=[8, 32, 128, 0])
    ap.add_argument("--layers", nargs="+", default=list(LAYERS))
    ap.add_argument("--layer", default=None)
    ap.add_argument("--no-cold", action="store_true")
    ap.add_argument("--worker", action="store_true")
    args = ap.parse_args()
    if args.worker:
        method.apply_one_thread()
        os.environ.pop(
            "OMP_NUM_THREADS", None
        )  # Numba's omp layer must keep its 2 threads; BLAS stays at 1
        method.worker_main(lambda: worker(args))
        return
    results: dict[tuple[str, str], list[dict]] = {}
    for load in ("idle", "loaded"):
        for layer in args.layers:
            env = method.one_thread_env()
            env.pop("OMP_NUM_THREADS")
            env.update(LAYERS[layer], NUMBA_NUM_THREADS="2")
            argv = [
                sys.executable,
                __file__,
                "--worker",
                "--layer",
                layer,
                "--rounds",
                str(args.rounds),
                "--epochs",
                str(args.epochs),
                "--batches",
                *map(str, args.batches),
            ]
            spinner = (
                subprocess.Popen([sys.executable, "-c", "while True: pass"])
                if load == "loaded"
                else None
            )
            try:
                res = []
                for _ in range(args.processes):
                    r = subprocess.run(argv, env=env, capture_output=True, text=True)
                    if r.returncode:
                        res = [{"error": r.stderr.strip().splitlines()[-1][:200]}]
                        break
                    res.append(__import__("json").loads(r.stdout.strip().splitlines()[-1]))
                results[(load, layer)] = res
                (HERE / "results").mkdir(exist_ok=True)
                (HERE / "results" / "threads.json").write_text(
                    __import__("json").dumps({f"{k[0]}|{k[1]}": v for k, v in results.items()})
                )
            finally:
                if spinner is not None:
                    spinner.kill()
                    spinner.wait()
    print(f"command: {method.command_line()}")
    print(
        "method: WALL time (time.perf_counter) per epoch, "
        f"median of {args.rounds} interleaved rounds (serial, threaded) "
        f"of {args.epochs}-epoch train calls, median over {args.processes} processes; "
        "NUMBA_NUM_THREADS=2 on 2 cores; "
        "BLAS limited to one thread; "
        "'loaded' = one `python -c \"while True: pass\"` beside the worker"
    )
    print(method.load_line([r for rs in results.values() for r in rs]))
    base = {
        load: results[(load, "serial-only")]
        for load in ("idle", "loaded")
        if (load, "serial-only") in results
    }
    n = next(r for rs in results.values() for r in rs if "n" in r)["n"]
    for load in ("idle", "loaded"):
        print(
            f"\n{load}: ms per epoch of the 64-32-10 generated module ({n} rows); "
            "thr = threaded, x = threaded / serial-only; "
            "(same process x = threaded / serial in the same worker, interleaved: "
            "robust to the load drifting between processes); "
            "ser x = serial-after-parallel / serial-only"
        )
        for layer in args.layers:
            res = results.get((load, layer), [])
            if not res or "error" in res[0]:
                print(f"  {layer:<12} could not run: {res[0].get('error') if res else 'no result'}")
                continue
            cells = []
            for batch in args.batches:
                b = n if batch == 0 else batch
                ser0 = statistics.median(r[f"t/serial/{b}"] for r in base[load])
                ser = statistics.median(r[f"t/serial/{b}"] for r in res)
                if layer == "serial-only":
                    cells.append(f"b{b}: {ser * 1e3:.2f}")
                else:
                    thr = statistics.median(r[f"t/threaded/{b}"] for r in res)
                    bit = all(r[f"bitident/{b}"] == 1.0 for r in res)
                    own = statistics.median(r[f"t/threaded/{b}"] / r[f"t/serial/{b}"] for r in res)
                    cells.append(
                        f"b{b}: thr {thr * 1e3:.2f} x{thr / ser0:.2f} (same process x{own:.2f}), "
                        f"ser x{ser / ser0:.2f}"
                        f"{'' if bit else ' NOT BIT-IDENTICAL'}"
                    )
            name = layer if layer == "serial-only" else f"{layer} ({res[0].get('layer')})"
            print(f"  {name:<24} " + " | ".join(cells))
    if not args.no_cold:
        s, p = cold(False, args.processes), cold(True, args.processes)
        print(
            "\ncold compile, first train call, empty NUMBA_CACHE_DIR, process CPU s, "
            f"median of {args.processes}: "
            f"serial only {statistics.median(s):.2f} ({', '.join(f'{v:.2f}' for v in s)}); "
            f"with the parallel version {statistics.median(p):.2f} "
            f"({', '.join(f'{v:.2f}' for v in p)})"
        )


if __name__ == "__main__":
    main()
