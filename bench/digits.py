"""Benchmark: digits 64-32-10, sigmoid, half SSE (the mean over each batch), minibatch SGD.

    python bench/digits.py [--quick] [--epochs 20] [--repeats 3] [--skip-compile] [--cpu]

All start from the same theta (the generated module's init(0)): (a) the generated
loop module, serial and with PARALLEL = True, (b) the hand-written Numba backprop
(bench/hand_digits.py), (c) NumPy hand-vectorised, (d) a JAX jitted step, (e) PyTorch
eager on 1 and 2 threads, (f) scikit-learn's MLPClassifier (its output is a softmax
with log-loss, not sigmoid + half SSE, and it starts from its own weights: it is
comparable in time per epoch and accuracy only, so its loss is not checked). Before
timing, one epoch of every other peer must give the generated module's loss and
theta to 1e-9. Prints seconds per epoch (median of the repeats), the ratios peer /
generated and the test accuracies; then batch 1 against the JAX step; then the
operation count per sample against textbook backprop; then the cold compile times.
Peers that are not importable are skipped with a line saying so. The repeats of the
peers are interleaved. --cpu times in CPU seconds of the process (time.process_time):
steadier on a machine shared with other jobs, but it adds up the threads' time, so the
multi-threaded runs are then left out and BLAS and XLA are limited to one thread.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import hand_digits

from symbackprop.codegen.output import generate
from symbackprop.model.spec import NetworkSpec, inline
from symbackprop.train.data import load_data
from symbackprop.train.runs import import_path, module_file

LR = 0.5
SIZES = (64, 32, 10)
Train = Callable[
    [np.ndarray, int, int], tuple[np.ndarray, float]
]  # (theta0, epochs, batch) -> (theta, last epoch loss)


def available(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def unpack(theta: np.ndarray) -> list[np.ndarray]:
    """W1 (32, 64), b1, W2 (10, 32), b2: copies in the generated modules' order."""
    ni, nh, no = SIZES
    cut = np.cumsum([nh * ni, nh, no * nh])
    w1, b1, w2, b2 = np.split(theta, cut)
    return [w1.reshape(nh, ni).copy(), b1.copy(), w2.reshape(no, nh).copy(), b2.copy()]


def pack(params: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in params])


def batches(n: int, size: int) -> list[slice]:
    return [slice(s, min(s + size, n)) for s in range(0, n, size)]


def numpy_peer(X: np.ndarray, Y: np.ndarray) -> Train:
    def run(theta0: np.ndarray, epochs: int, batch: int) -> tuple[np.ndarray, float]:
        W1, b1, W2, b2 = unpack(theta0)
        total = 0.0
        for _ in range(epochs):
            total = 0.0
            for s in batches(len(X), batch):
                x, y = X[s], Y[s]
                h = 1.0 / (1.0 + np.exp(-(x @ W1.T + b1)))
                o = 1.0 / (1.0 + np.exp(-(h @ W2.T + b2)))
                e = o - y
                total += 0.5 * float(np.sum(e * e))
                d2 = e * o * (1.0 - o)
                d1 = (d2 @ W2) * h * (1.0 - h)
                step = LR / len(x)
                W2 -= step * (d2.T @ h)
                b2 -= step * d2.sum(axis=0)
                W1 -= step * (d1.T @ x)
                b1 -= step * d1.sum(axis=0)
        return pack([W1, b1, W2, b2]), total / len(X)

    return run


def jax_peer(X: np.ndarray, Y: np.ndarray) -> Train:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def loss(params, x, y):  # type: ignore[no-untyped-def]
        W1, b1, W2, b2 = params
        h = jax.nn.sigmoid(x @ W1.T + b1)
        o = jax.nn.sigmoid(h @ W2.T + b2)
        return 0.5 * jnp.sum((o - y) ** 2)

    @jax.jit
    def step(params, total, x, y):  # type: ignore[no-untyped-def]
        value, grads = jax.value_and_grad(loss)(params, x, y)
        rate = LR / x.shape[0]
        return [p - rate * g for p, g in zip(params, grads)], total + value

    split: dict[int, list] = {}  # the batches on the device, made once per batch size

    def run(theta0: np.ndarray, epochs: int, batch: int) -> tuple[np.ndarray, float]:
        if batch not in split:
            split[batch] = [(jnp.asarray(X[s]), jnp.asarray(Y[s])) for s in batches(len(X), batch)]
        params = [jnp.asarray(p) for p in unpack(theta0)]
        total = jnp.zeros(())
        for _ in range(epochs):
            total = jnp.zeros(())
            for x, y in split[batch]:
                params, total = step(params, total, x, y)
        return pack([np.asarray(jax.block_until_ready(p)) for p in params]), float(total) / len(X)

    return run


def torch_peer(X: np.ndarray, Y: np.ndarray, threads: int) -> Train:
    import torch

    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)

    def run(theta0: np.ndarray, epochs: int, batch: int) -> tuple[np.ndarray, float]:
        torch.set_num_threads(threads)
        params = [torch.tensor(p, requires_grad=True) for p in unpack(theta0)]
        W1, b1, W2, b2 = params
        total = 0.0
        for _ in range(epochs):
            total = 0.0
            for s in batches(len(X), batch):
                x, y = Xt[s], Yt[s]
                o = torch.sigmoid(torch.sigmoid(x @ W1.T + b1) @ W2.T + b2)
                value = 0.5 * ((o - y) ** 2).sum()
                value.backward()
                total += float(value.detach())
                with torch.no_grad():
                    for p in params:
                        p -= (LR / len(x)) * p.grad
                        p.grad = None
        return pack([p.detach().numpy() for p in params]), total / len(X)

    return run


def generated_peer(module: ModuleType, X: np.ndarray, Y: np.ndarray, parallel: bool) -> Train:
    def run(theta0: np.ndarray, epochs: int, batch: int) -> tuple[np.ndarray, float]:
        module.PARALLEL = parallel
        theta = theta0.copy()
        history = module.train(X, Y, theta, LR, epochs, batch)
        module.PARALLEL = False
        return theta, float(history[-1])

    return run


def hand_peer(X: np.ndarray, Y: np.ndarray) -> Train:
    def run(theta0: np.ndarray, epochs: int, batch: int) -> tuple[np.ndarray, float]:
        theta = theta0.copy()
        history = hand_digits.train(X, Y, theta, LR, epochs, batch, False)
        return theta, float(history[-1])

    return run


def accuracy(theta: np.ndarray, X: np.ndarray, Y: np.ndarray) -> float:
    W1, b1, W2, b2 = unpack(theta)
    o = (1.0 / (1.0 + np.exp(-(X @ W1.T + b1)))) @ W2.T + b2
    return float(np.mean(np.argmax(o, axis=1) == np.argmax(Y, axis=1)))


CLOCK = time.perf_counter


def per_epoch(
    runs: dict[str, Train], theta0: np.ndarray, epochs: int, batch: int, repeats: int
) -> dict[str, tuple[float, np.ndarray]]:
    """Seconds per epoch (the median of the repeats, interleaved across the peers) and the final
    theta."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    thetas: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            start = CLOCK()
            thetas[name], _ = run(theta0, epochs, batch)
            times[name].append((CLOCK() - start) / epochs)
    return {name: (statistics.median(t), thetas[name]) for name, t in times.items()}


def sklearn_run(X: np.ndarray, Y: np.ndarray, epochs: int, repeats: int) -> tuple[float, object]:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    labels = np.argmax(Y, axis=1)
    times, clf = [], None
    for _ in range(repeats):
        clf = MLPClassifier(
            hidden_layer_sizes=(SIZES[1],),
            activation="logistic",
            solver="sgd",
            batch_size=32,
            learning_rate_init=LR,
            learning_rate="constant",
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,
            max_iter=epochs,
            shuffle=False,
            tol=0.0,
            n_iter_no_change=epochs + 1,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = CLOCK()
            clf.fit(X, labels)
            times.append((CLOCK() - start) / epochs)
    return statistics.median(times), clf


def op_counts(spec: NetworkSpec, batch: int, chunks: int) -> tuple[float, float]:
    """Arithmetic operations per sample: the generated loops (read off their structure) and
    textbook backprop.

    An exp, a division, a multiplication or an addition each counts 1. Generated, per layer
    (n_in -> n): the bias copy (0), _affine (2 n_in n), the sigmoid (neg, exp, add, div) and
    its slope a(1 - a) (2): 6 n; half SSE 4 per output and its delta a(y - a)(a - 1) 4;
    _outer (2 n_in n), the bias gradient (n), _back below the first layer (2 n_in n + n_in);
    per batch, the chunk sums (CHUNKS - 1) P and the step 2 P. Textbook: the forward pass
    2 n_in n + n + 4 n (bias, sigmoid), the loss and output delta as above, dW = d a^T
    (2 n_in n, accumulated over the batch), db (n), and W^T d times a(1 - a) below the
    first layer (2 n_in n + 3 n_in); the step 2 P per batch.
    """
    sizes = spec.sizes
    n_params = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes)))
    gen = text = 8.0 * sizes[-1]
    for l in range(1, len(sizes)):
        n_in, n = sizes[l - 1], sizes[l]
        gen += 2 * n_in * n + 6 * n + 2 * n_in * n + n + ((2 * n_in * n + n_in) if l > 1 else 0)
        text += (
            2 * n_in * n
            + n
            + 4 * n
            + 2 * n_in * n
            + n
            + ((2 * n_in * n + 3 * n_in) if l > 1 else 0)
        )
    gen += ((min(chunks, batch) - 1) * n_params + 2 * n_params) / batch
    text += 2 * n_params / batch
    return gen, text


COLD = (
    "import sys, time; sys.path.insert(0, {folder!r}); import numpy as np; import {name} as m; "
    "X = np.zeros((4, m.N_INPUTS)); Y = np.zeros((4, m.N_OUTPUTS)); th = m.init(0); "
    "t0 = time.{clock}(); m.train(X, Y, th, 0.1, 1, 2); print(time.{clock}() - t0)"
)


def cold_compile() -> None:
    clock = CLOCK.__name__
    print(
        "cold compile of the loop module (empty Numba cache): the first train call, seconds of "
        f"{clock}"
    )
    for text, acts, loss in (
        ("16-16-16-1", "sigmoid", "half_sse"),
        ("64-32-10", "sigmoid", "half_sse"),
        ("784-128-10", "sigmoid,softmax", "cross_entropy"),
    ):
        spec = inline(text, activation=acts.split(","), loss=loss)
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
            (path,) = generate(spec, Path(tmp), style="loops")
            out = subprocess.run(
                [sys.executable, "-c", COLD.format(folder=tmp, name=path.stem, clock=clock)],
                env=dict(os.environ, NUMBA_CACHE_DIR=cache),
                capture_output=True,
                text=True,
                check=True,
            )
            print(
                f"  {text:<11} {acts:<16} {float(out.stdout):6.2f} s   "
                f"{path.stat().st_size / 1024:5.1f} KiB source"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 epochs, 1 repeat, no compile timings")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-compile", action="store_true")
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="CPU time of the process instead of wall time (single-threaded runs only)",
    )
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    if (
        args.cpu
    ):  # CPU time is fair only if every peer runs on one thread: BLAS, XLA and PyTorch too
        os.environ["XLA_FLAGS"] = (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        )
        if available("threadpoolctl"):
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)
        else:
            print("threadpoolctl: not importable, NumPy's BLAS may use several threads")
    epochs, repeats = (3, 1) if args.quick else (args.epochs, args.repeats)
    data = load_data("digits", SIZES[0], SIZES[-1])
    X, Y = data.X, data.Y
    assert data.test is not None
    spec = inline("64-32-10", activation="sigmoid", loss="half_sse")
    module = import_path(module_file(spec))
    theta0 = module.init(0)
    module.train(
        X[:8], Y[:8], theta0.copy(), LR, 1, 4
    )  # compile (or load from the cache) before timing
    print(
        f"digits {SIZES}, sigmoid, half SSE (mean over each batch), lr {LR}, {epochs} epochs, "
        f"{len(X)} rows, "
        f"median of {repeats}; numba threads {__import__('numba').get_num_threads()}"
    )
    peers: dict[str, Train] = {
        "generated": generated_peer(module, X, Y, False),
        "hand Numba": hand_peer(X, Y),
        "NumPy": numpy_peer(X, Y),
    }
    if not args.cpu:
        peers["generated PARALLEL"] = generated_peer(module, X, Y, True)
    for name, make in (
        ("jax", lambda: {"JAX jit step": jax_peer(X, Y)}),
        (
            "torch",
            lambda: (
                {"PyTorch 1 thread": torch_peer(X, Y, 1)}
                | ({} if args.cpu else {"PyTorch 2 threads": torch_peer(X, Y, 2)})
            ),
        ),
    ):
        if available(name):
            peers.update(make())
        else:
            print(f"{name}: not importable, skipped")
    reference, ref_loss = peers["generated"](theta0, 1, 32)
    for (
        name,
        run,
    ) in peers.items():  # one epoch each (which also compiles) must agree before anything is timed
        theta, value = run(theta0, 1, 32)
        diff = float(np.max(np.abs(theta - reference)))
        if diff > 1e-9 or abs(value - ref_loss) > 1e-9 * abs(ref_loss):
            raise SystemExit(
                f"{name} disagrees with the generated module after one epoch: |dtheta| "
                f"{diff:.1e}, loss {value!r} vs {ref_loss!r}"
            )
    print(
        "one epoch from the same theta: every peer's loss and theta agree with the generated "
        f"module to 1e-9 (loss {ref_loss:.6f})"
    )
    print("batch 32:")
    results = per_epoch(peers, theta0, epochs, 32, repeats)
    base = results["generated"][0]
    for name, (seconds, theta) in results.items():
        ratio = "" if name == "generated" else f"  {name} / generated = {seconds / base:5.2f}"
        print(
            f"  {name:<20} {seconds * 1e3:8.3f} ms/epoch   test accuracy "
            f"{accuracy(theta, data.test.X, data.test.Y):.3f}{ratio}"
        )
    if available("sklearn"):
        seconds, clf = sklearn_run(X, Y, epochs, repeats)
        acc = float(np.mean(clf.predict(data.test.X) == np.argmax(data.test.Y, axis=1)))  # type: ignore[attr-defined]
        print(
            f"  {'scikit-learn MLP':<20} {seconds * 1e3:8.3f} ms/epoch   test accuracy {acc:.3f}  "
            "scikit-learn / generated = "
            f"{seconds / base:5.2f}   (softmax + log-loss output, own init: time and accuracy only)"
        )
    else:
        print("sklearn: not importable, skipped")
    if "NumPy" in results:
        print(f"  target NumPy / generated >= 1.2: {results['NumPy'][0] / base:.2f}")
    one = max(1, epochs // 10)
    print(f"batch 1 ({one} epochs):")
    single = per_epoch(
        {k: peers[k] for k in ("generated", "hand Numba", "JAX jit step") if k in peers},
        theta0,
        one,
        1,
        repeats,
    )
    gen1 = single["generated"][0]
    for name, (seconds, _) in single.items():
        ratio = "" if name == "generated" else f"  {name} / generated = {seconds / gen1:5.2f}"
        print(
            f"  {name:<20} {seconds * 1e3:8.3f} "
            f"ms/epoch{ratio}{' (target >= 10)' if name.startswith('JAX') else ''}"
        )
    gen_ops, text_ops = op_counts(spec, 32, module.CHUNKS)
    print(
        f"operations per sample at batch 32: generated {gen_ops:,.0f}, textbook backprop "
        f"{text_ops:,.0f}, "
        f"ratio {gen_ops / text_ops:.3f} (target <= 1.5)"
    )
    if not (args.quick or args.skip_compile):
        cold_compile()


if __name__ == "__main__":
    main()
