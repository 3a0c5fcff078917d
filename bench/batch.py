"""The loop modules' batch pass (issue 13, part 1): speed against the row pass and NumPy, compile.

    python bench/batch.py speed [--processes 3] [--rounds 3] [--epochs 3] [--batches 8 32 128 0]
    python bench/batch.py compile [--processes 3]
    python bench/batch.py speed --report   (reprint the last run from bench/results/batch_*.json)

speed: digits 64-32-10, sigmoid hidden layer; "sse" = sigmoid output + half SSE, "ce" = softmax
output + cross-entropy; minibatch descent, lr 0.5, the mean gradient of each batch, the digits
training split (1438 rows), batch 0 = full batch. Peers:
  generated   the loop module as generated (batches of BATCH_MIN rows or more: the batch pass)
  row pass    the same module text with BATCH_MIN set out of reach: every batch row by row,
              i.e. the loop modules' code before the batch pass
  NumPy       BLAS matmuls over the batch (bench/batch_kernels.numpy_train)
Before timing, each peer's theta after one epoch must equal the generated module's to 1e-9
relative (printed: the largest difference). GFLOP/s count the matrix products only (10,112
flop per sample: forward, hidden deltas, weight gradients); the one-thread peak is a NumPy
1024^3 matmul (best of 5) measured in the same worker.

compile: 784-128-10 (sigmoid, softmax, cross-entropy), each in a fresh process: "cold" with an
empty Numba cache, "warm" with the cache the cold process wrote: CPU seconds of importing the
generated module (and SciPy's BLAS module, which np.dot in Numba loads), of its first train
call (batch 32, one epoch of 256 random rows: the batch pass), and wall seconds from
interpreter start to the end of that call.
Method: bench/method.py (process CPU time, one thread, interleaved rounds, median of processes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

START = time.time()
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import method

if __name__ == "__main__" and "--worker" in sys.argv:
    method.apply_one_thread()

LR = 0.5
FLOP_PER_SAMPLE = 2 * (64 * 32 + 32 * 10) * 2 + 2 * 32 * 10
OUT_OF_REACH = "BATCH_MIN = 1000000000"


def spec_of(sizes: str, softmax: bool):  # type: ignore[no-untyped-def]
    from symbackprop.model.spec import inline

    return inline(
        sizes,
        activation=["sigmoid", "softmax"] if softmax else "sigmoid",
        loss="cross_entropy" if softmax else "half_sse",
    )


def write_modules(sizes: str, softmax: bool, folder: Path) -> tuple[Path, Path]:
    """The generated module and its row-pass-only twin (BATCH_MIN out of reach), in folder."""
    from symbackprop.codegen.render import render

    text = render(spec_of(sizes, softmax), style="loops")
    line = next(ln for ln in text.splitlines() if ln.startswith("BATCH_MIN = "))
    name = f"net_{sizes.replace('-', '_')}_{'ce' if softmax else 'sse'}"
    batch, rows = folder / f"{name}.py", folder / f"{name}_rows.py"
    for path, body in ((batch, text), (rows, text.replace(line, OUT_OF_REACH))):
        if not path.is_file() or path.read_text() != body:
            path.write_text(body)
    return batch, rows


def speed_worker(args: argparse.Namespace) -> dict:
    import numba
    import numpy as np
    import scipy.linalg.cython_blas  # noqa: F401  (loads SciPy's BLAS, which np.dot in Numba calls)

    pools = method.limit_pools()

    numba.set_num_threads(1)
    from batch_kernels import data, dgemm_peak, numpy_train

    from symbackprop.train import import_path

    X, Y = data()
    out: dict = {"pools": pools, "n": len(X), "peak": dgemm_peak()}
    for tag in args.losses:
        softmax = tag == "ce"
        paths = write_modules("64-32-10", softmax, Path(args.folder))
        gen, rows = import_path(paths[0]), import_path(paths[1])
        out["batch_min"] = gen.BATCH_MIN
        theta0 = gen.init(0)
        for batch in args.batches:
            b = len(X) if batch == 0 else batch

            def module_run(mod, b=b):  # type: ignore[no-untyped-def]
                def run(th0, e):  # type: ignore[no-untyped-def]
                    th = th0.copy()
                    mod.train(X, Y, th, LR, e, b)
                    return th

                return run

            def numpy_run(th0, e, b=b, softmax=softmax):  # type: ignore[no-untyped-def]
                th = th0.copy()
                numpy_train(X, Y, th, LR, e, b, softmax)
                return th

            peers = {"generated": module_run(gen), "row pass": module_run(rows), "NumPy": numpy_run}
            ref = peers["generated"](theta0, 1)
            for name, fn in peers.items():  # one epoch each: compiles, and must agree
                t = time.process_time()
                th = fn(theta0, 1)
                out[f"first/{name}/{tag}/{b}"] = time.process_time() - t
                rel = float(np.max(np.abs(th - ref)) / np.max(np.abs(ref)))
                out[f"rel/{name}/{tag}/{b}"] = rel
                if not rel <= 1e-9:
                    raise SystemExit(
                        f"{name} ({tag}, batch {b}) disagrees after 1 epoch: {rel:.1e}"
                    )
            runs = {
                name: (lambda fn=fn, theta0=theta0: fn(theta0, args.epochs))
                for name, fn in peers.items()
            }
            for name, sec in method.interleaved(runs, args.rounds).items():
                out[f"t/{name}/{tag}/{b}"] = sec / args.epochs
    return out


def compile_worker(args: argparse.Namespace) -> dict:
    """One cold or warm start: import, then the first train call (NUMBA_CACHE_DIR set by the
    driver)."""
    t0 = time.process_time()
    import numpy as np
    import scipy.linalg.cython_blas  # noqa: F401  (what np.dot inside njit loads)

    from symbackprop.train import import_path

    t1 = time.process_time()
    module = import_path(Path(args.module))
    t2 = time.process_time()
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(256, module.N_INPUTS))
    Y = np.eye(module.N_OUTPUTS)[rng.integers(module.N_OUTPUTS, size=256)]
    module.train(X, Y, module.init(0), 0.1, 1, 32)
    t3 = time.process_time()
    return {
        "imports": t1 - t0,
        "module import": t2 - t1,
        "first train": t3 - t2,
        "wall from start": time.time() - START,
    }


def compile_driver(args: argparse.Namespace) -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix="batch-compile-"))
    path = write_modules("784-128-10", True, folder)[0]
    results = []
    for p in range(args.processes):
        row: dict = {}
        cache = folder / f"cache-{p}"
        for state in ("cold", "warm"):  # the warm process reads what the cold one wrote
            env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
            argv = [sys.executable, __file__, "compile", "--worker", "--module", str(path)]
            one = method.run_workers(argv, 1, env=env)[0]
            row |= {f"{state}/{k}": v for k, v in one.items()}
        results.append(row)
    return results


def print_speed(results: list[dict], args: argparse.Namespace) -> None:
    med = lambda key: statistics.median(r[key] for r in results)  # noqa: E731
    peak = med("peak")
    peaks = ", ".join(f"{r['peak']:.1f}" for r in results)
    print(
        f"one-thread dgemm peak (NumPy 1024^3, best of 5, per process; median): {peak:.1f} GFLOP/s "
        f"(processes: {peaks}); BATCH_MIN = "
        f"{results[0]['batch_min']}"
    )
    n = results[0]["n"]
    for tag in args.losses:
        title = "sigmoid / half_sse" if tag == "sse" else "softmax / cross_entropy"
        print(
            f"\ndigits 64-32-10 {title}: ms per epoch ({n} rows; min..max of the process "
            "medians), GFLOP/s and % of the peak, NumPy / peer, max rel |dtheta| after 1 epoch"
        )
        for batch in args.batches:
            b = n if batch == 0 else batch
            numpy_t = med(f"t/NumPy/{tag}/{b}")
            for name in ("generated", "row pass", "NumPy"):
                key = f"t/{name}/{tag}/{b}"
                lo, hi = min(r[key] for r in results), max(r[key] for r in results)
                gflops = FLOP_PER_SAMPLE * n / med(key) / 1e9
                rel = max(r[f"rel/{name}/{tag}/{b}"] for r in results)
                print(
                    f"  batch {b:>4} {name:<10} {med(key) * 1e3:7.3f} ms "
                    f"({lo * 1e3:.3f}..{hi * 1e3:.3f})  {gflops:5.1f} GFLOP/s "
                    f"{100 * gflops / peak:3.0f}%   NumPy/x {numpy_t / med(key):5.2f}   "
                    f"rel {rel:.1e}"
                )


def print_compile(results: list[dict]) -> None:
    print(
        "784-128-10 sigmoid/softmax/cross_entropy, fresh process each; CPU s (median, min..max "
        "over the processes); 'wall from start' includes interpreter start"
    )
    for key in (k for k in results[0] if not k.endswith("loadavg_1min")):
        vals = [r[key] for r in results]
        print(f"  {key:<40} {statistics.median(vals):6.2f} s ({min(vals):.2f}..{max(vals):.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("which", choices=["speed", "compile"])
    ap.add_argument("--processes", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batches", type=int, nargs="+", default=[8, 32, 128, 0])
    ap.add_argument("--losses", nargs="+", default=["sse", "ce"])
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--module", help=argparse.SUPPRESS)
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    if args.worker:
        work = speed_worker if args.which == "speed" else compile_worker
        method.worker_main(lambda: work(args))
        return
    save = HERE / "results" / f"batch_{args.which}.json"
    save.parent.mkdir(exist_ok=True)
    if args.report:
        results = json.loads(save.read_text())
    elif args.which == "speed":
        folder = tempfile.mkdtemp(prefix="batch-speed-")
        argv = [sys.executable, __file__, *sys.argv[1:], "--worker", "--folder", folder]
        results = method.run_workers(argv, args.processes, save=str(save))
    else:
        results = compile_driver(args)
        save.write_text(json.dumps(results))
    print(f"command: {method.command_line()}")
    if args.which == "speed":
        print("method: " + method.METHOD.format(processes=len(results)))
        print(method.load_line(results))
        pools = results[0]["pools"]
        print(
            "threadpoolctl: "
            + "; ".join(
                f"{p['internal_api']} {p['version']} kernel {p['architecture']} "
                f"threads {p['num_threads']}"
                for p in pools
            )
        )
        print_speed(results, args)
    else:
        print(
            "method: one process per figure, BLAS/OpenMP on one thread (environment), "
            f"{len(results)} processes per start; NUMBA_CACHE_DIR empty (cold) or as the cold "
            "process left it (warm)"
        )
        print(method.load_line(results))
        print_compile(results)


if __name__ == "__main__":
    main()
