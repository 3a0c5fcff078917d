"""Benchmark: per-sample SGD on XOR (xor_bias, 4 cases, 10,000 epochs, lr 0.5), one process.

    python bench/run.py [--repeats 7] [--epochs 10000] [--skip-sizes]

(a) the generated train, (b) hand-written scalar Numba (bench/hand_xor.py),
(c) NumPy hand-vectorised, (d) PyTorch eager, (e) JAX, the whole training in one
jax.jit (lax.fori_loop); peers that are not installed are skipped. All start from
the same theta and must end on the same theta to 1e-9. Prints the median of the
repetitions and the ratios; then cold compile, warm start, generation time and
module size for 2-2-1, 8-8-1 and 16-16-16-1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import hand_xor
import peers

from generated import xor_bias
from symbackprop.codegen.output import generate
from symbackprop.codegen.render import render
from symbackprop.model.spec import inline

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])
LR = 0.5
TARGETS = {
    "hand": ("generated / hand", 1.15, "<="),
    "jax": ("JAX / generated", 1.8, ">="),
    "numpy": ("NumPy / generated", 100, ">="),
    "torch": ("PyTorch / generated", 1000, ">="),
}


def timed(fn: Callable[[], np.ndarray], repeats: int) -> tuple[float, np.ndarray]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def speed(repeats: int, epochs: int, slow_repeats: int) -> None:
    theta0 = xor_bias.init(0)
    xor_bias.train(X, Y, theta0.copy(), LR, 1, 1)  # compile (or load from cache) before timing
    hand_xor.train(X, Y, theta0.copy(), LR, 1)

    def generated() -> np.ndarray:
        theta = theta0.copy()
        xor_bias.train(X, Y, theta, LR, epochs, 1)
        return theta

    def hand() -> np.ndarray:
        theta = theta0.copy()
        hand_xor.train(X, Y, theta, LR, epochs)
        return theta

    runs: dict[str, tuple[str, Callable[[], np.ndarray], int]] = {
        "generated": ("(a) generated train", generated, repeats),
        "hand": ("(b) hand-written Numba", hand, repeats),
        "numpy": (
            "(c) NumPy hand-vectorised",
            lambda: peers.numpy_sgd(X, Y, theta0, LR, epochs),
            slow_repeats,
        ),
    }
    if peers.available("torch"):
        runs["torch"] = (
            "(d) PyTorch eager",
            lambda: peers.torch_sgd(X, Y, theta0, LR, epochs),
            slow_repeats,
        )
    else:
        print("(d) PyTorch: not installed, skipped")
    if peers.available("jax"):
        jax_run = peers.jax_sgd_factory()
        jax_run(X, Y, theta0, LR, epochs)  # compile
        runs["jax"] = ("(e) JAX jit(fori_loop)", lambda: jax_run(X, Y, theta0, LR, epochs), repeats)
    else:
        print("(e) JAX: not installed, skipped")
    medians: dict[str, float] = {}
    finals: dict[str, np.ndarray] = {}
    for key, (label, fn, n) in runs.items():
        medians[key], finals[key] = timed(fn, n)
        print(
            f"{label:<28} {medians[key] * 1e3:10.3f} ms  {medians[key] / epochs * 1e9:10.1f} "
            f"ns/epoch  (median of {n})"
        )
    reference = finals["generated"]
    for key, theta in finals.items():
        diff = float(np.max(np.abs(theta - reference)))
        status = "ok" if diff <= 1e-9 else "DIFFERENT"
        print(f"final theta of {key:<10} vs generated: max |diff| = {diff:.2e}  {status}")
    print("ratios:")
    for key, (label, target, sense) in TARGETS.items():
        if key not in medians:
            continue
        ratio = (
            medians["generated"] / medians["hand"]
            if key == "hand"
            else medians[key] / medians["generated"]
        )
        met = ratio <= target if sense == "<=" else ratio >= target
        print(
            f"  {label:<22} {ratio:10.2f}   target {sense} {target}: {'met' if met else 'NOT met'}"
        )


CALL = (
    "import sys, time; t0 = time.perf_counter(); sys.path.insert(0, {folder!r}); import numpy as "
    "np; import {name} as m; "
    "x = np.zeros(m.N_INPUTS); y = np.zeros(m.N_OUTPUTS); th = m.init(0); g = "
    "np.zeros(m.N_PARAMS); "
    "m.value_and_grad(x, y, th, g); m.train(x[None, :], y[None, :], th, 0.1, 1, 1); "
    "print(time.perf_counter() - t0)"
)


def start_time(folder: Path, name: str, cache: str) -> float:
    """Seconds from interpreter start to after the first calls of value_and_grad and train."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    out = subprocess.run(
        [sys.executable, "-c", CALL.format(folder=str(folder), name=name)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def sizes() -> None:
    print(
        "generation, size, cold compile (no cache), warm start (import + first calls, cache on "
        "disk):"
    )
    for text in ("2-2-1", "8-8-1", "16-16-16-1"):
        spec = inline(text)
        start = time.perf_counter()
        source = render(spec)
        gen = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
            (path,) = generate(spec, Path(tmp))
            cold = start_time(Path(tmp), path.stem, cache)
            warm = start_time(Path(tmp), path.stem, cache)
        print(
            f"  {text:<11} generate {gen:7.2f} s   {len(source.encode()) / 1024:8.1f} KiB  "
            f"{source.count(chr(10)):6d} lines"
            f"   cold {cold:7.2f} s   warm {warm:6.2f} s"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--slow-repeats", type=int, default=7, help="repetitions for NumPy and PyTorch")
    ap.add_argument("--epochs", type=int, default=10_000)
    ap.add_argument("--skip-sizes", action="store_true")
    args = ap.parse_args()
    print(f"per-sample SGD on XOR, xor_bias (2-2-1, biases), {args.epochs} epochs, lr {LR}")
    speed(args.repeats, args.epochs, args.slow_repeats)
    if not args.skip_sizes:
        sizes()


if __name__ == "__main__":
    main()
