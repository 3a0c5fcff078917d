"""Honest peers (issue 13, part 1): each peer written the way its own documentation recommends.

    python bench/honest.py digits [--processes 3] [--rounds 5] [--epochs 5] [--batches 1 32 128 0]
    python bench/honest.py xor    [--processes 3] [--rounds 5] [--epochs 10000]

digits: 64-32-10, sigmoid hidden; "sse" = sigmoid output + half SSE, "ce" = softmax output +
cross-entropy; minibatch SGD, lr 0.5, the mean gradient of each batch, the digits training
split (1438 rows), batch 0 = full batch. Peers:
  generated        the generated loop module, PARALLEL = False (serial)
  hand Numba       bench/hand_digits.py
  kernel tile4     bench/batch_kernels.py, register-tiled batch loops (the prototype)
  kernel blas      bench/batch_kernels.py, np.dot inside @njit (SciPy BLAS)
  NumPy            BLAS matmuls over the batch (bench/batch_kernels.numpy_train)
  JAX jit step     a plain jax.jit(value_and_grad) step, the batches pre-split on the device
  JAX jit train    the whole training in one jax.jit: lax.fori_loop over epochs, lax.scan over
                   the full batches, the last partial batch by the same step
  PyTorch eager    torch.set_num_threads(1), autograd, torch.no_grad() update
  PyTorch compile  the same step under torch.compile (inductor, CPU), see --no-compile
  sklearn MLP      MLPClassifier(solver="sgd", momentum 0, alpha 0, shuffle False), "ce" only
                   (its multi-class output is softmax + log-loss): our theta put in coefs_ /
                   intercepts_, then fit with warm_start=True and max_iter = epochs
xor: per-sample SGD on the 2-2-1 XOR network with biases (generated/xor_bias), lr 0.5.
  generated, hand Numba (bench/hand_xor.py), JAX fori_loop as in bench/peers.py (X, Y and lr
  traced arguments, nested fori_loops), JAX idiomatic (one jit, X, Y, lr closed over as
  constants, lax.scan over the 4 cases inside lax.fori_loop over epochs; and the same with
  scan(unroll=True), the documented choice for short loops), NumPy, PyTorch eager
  (these two for 200 epochs, reported per epoch).
Every peer starts from the generated module's init(0); before any timing, each peer's theta
after 1 epoch (digits) or 10 epochs (xor) must equal the generated module's to 1e-9 relative.
Method: bench/method.py (process CPU time, one thread, interleaved rounds, median of processes).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import method

if __name__ == "__main__" and "--worker" in sys.argv:
    method.apply_one_thread()

import numpy as np

LR = 0.5
NI, NH, NO = 64, 32, 10


def split(theta: np.ndarray) -> list[np.ndarray]:
    w2 = NH * NI + NH
    return [
        theta[: NH * NI].reshape(NH, NI).copy(),
        theta[NH * NI : w2].copy(),
        theta[w2 : w2 + NO * NH].reshape(NO, NH).copy(),
        theta[w2 + NO * NH :].copy(),
    ]


def join(params) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in params])


# ---------------------------------------------------------------------------------- JAX
def jax_peers(X: np.ndarray, Y: np.ndarray, softmax: bool, batch: int):  # type: ignore[no-untyped-def]
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp

    def loss(params, x, y):  # type: ignore[no-untyped-def]
        W1, b1, W2, b2 = params
        h = jax.nn.sigmoid(x @ W1.T + b1)
        z = h @ W2.T + b2
        if softmax:
            return -jnp.sum(y * jax.nn.log_softmax(z))
        return 0.5 * jnp.sum((jax.nn.sigmoid(z) - y) ** 2)

    def update(params, x, y):  # type: ignore[no-untyped-def]
        value, grads = jax.value_and_grad(loss)(params, x, y)
        rate = LR / x.shape[0]
        return jax.tree_util.tree_map(lambda p, g: p - rate * g, params, grads), value

    step = jax.jit(update)
    n = len(X)
    full = n // batch
    xs = [jnp.asarray(X[s : s + batch]) for s in range(0, n, batch)]
    ys = [jnp.asarray(Y[s : s + batch]) for s in range(0, n, batch)]
    Xb, Yb = (
        jnp.asarray(X[: full * batch].reshape(full, batch, NI)),
        jnp.asarray(Y[: full * batch].reshape(full, batch, NO)),
    )
    Xr, Yr = jnp.asarray(X[full * batch :]), jnp.asarray(Y[full * batch :])

    def run_step(theta0: np.ndarray, epochs: int) -> np.ndarray:
        params = tuple(jnp.asarray(p) for p in split(theta0))
        for _ in range(epochs):
            for x, y in zip(xs, ys):
                params, _ = step(params, x, y)
        return join(jax.block_until_ready(params))

    def epoch(params):  # type: ignore[no-untyped-def]
        params, _ = jax.lax.scan(lambda p, xy: update(p, *xy), params, (Xb, Yb))
        if Xr.shape[0]:
            params, _ = update(params, Xr, Yr)
        return params

    @functools.partial(jax.jit, static_argnums=1)
    def training(params, epochs):  # type: ignore[no-untyped-def]
        return jax.lax.fori_loop(0, epochs, lambda _, p: epoch(p), params)

    def run_train(theta0: np.ndarray, epochs: int) -> np.ndarray:
        params = tuple(jnp.asarray(p) for p in split(theta0))
        return join(jax.block_until_ready(training(params, epochs)))

    return run_step, run_train


# ---------------------------------------------------------------------------------- PyTorch
def torch_peers(X: np.ndarray, Y: np.ndarray, softmax: bool, batch: int, compile_: bool):  # type: ignore[no-untyped-def]
    import torch

    torch.set_num_threads(1)
    n = len(X)
    xs = [torch.from_numpy(X[s : s + batch]) for s in range(0, n, batch)]
    ys = [torch.from_numpy(Y[s : s + batch]) for s in range(0, n, batch)]

    def loss(params, x, y):  # type: ignore[no-untyped-def]
        W1, b1, W2, b2 = params
        h = torch.sigmoid(x @ W1.T + b1)
        z = h @ W2.T + b2
        if softmax:
            return -(y * torch.log_softmax(z, dim=1)).sum()
        return 0.5 * ((torch.sigmoid(z) - y) ** 2).sum()

    def make(fn):  # type: ignore[no-untyped-def]
        def run(theta0: np.ndarray, epochs: int) -> np.ndarray:
            params = [torch.tensor(p, requires_grad=True) for p in split(theta0)]
            for _ in range(epochs):
                for x, y in zip(xs, ys):
                    fn(params, x, y).backward()
                    with torch.no_grad():
                        rate = LR / x.shape[0]
                        for p in params:
                            p -= rate * p.grad
                            p.grad = None
            return join(p.detach().numpy() for p in params)

        return run

    peers = {"PyTorch eager": make(loss)}
    # the documented use: compile the model (forward + its autograd graph),
    # backward and step as usual
    if compile_:
        peers["PyTorch compile"] = make(torch.compile(loss))
    return peers


# ---------------------------------------------------------------------------------- scikit-learn
def sklearn_peer(X: np.ndarray, Y: np.ndarray, batch: int):  # type: ignore[no-untyped-def]
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    labels = np.argmax(Y, axis=1)
    clf = MLPClassifier(
        hidden_layer_sizes=(NH,),
        activation="logistic",
        solver="sgd",
        batch_size=batch,
        learning_rate_init=LR,
        learning_rate="constant",
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        max_iter=1,
        shuffle=False,
        tol=0.0,
        n_iter_no_change=10**9,
        warm_start=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.partial_fit(
            X, labels, classes=np.arange(NO)
        )  # sets the estimator up (untimed); theta is replaced below

    def run(theta0: np.ndarray, epochs: int) -> np.ndarray:
        clf.max_iter = epochs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            W1, b1, W2, b2 = split(theta0)
            clf.coefs_ = [np.ascontiguousarray(W1.T), np.ascontiguousarray(W2.T)]
            clf.intercepts_ = [b1, b2]
            del clf._optimizer
            clf.fit(X, labels)
        return join([clf.coefs_[0].T, clf.intercepts_[0], clf.coefs_[1].T, clf.intercepts_[1]])

    return run


# ---------------------------------------------------------------------------------- digits worker
def digits_worker(args: argparse.Namespace) -> dict:
    pools = method.limit_pools()
    import numba

    numba.set_num_threads(1)
    import batch_kernels as bk
    import hand_digits

    X, Y = bk.data()
    out: dict = {"pools": pools, "n": len(X)}
    for tag in args.losses:
        softmax = tag == "ce"
        gen = bk.generated_module(softmax)
        theta0 = gen.init(0)
        for batch in args.batches:
            b = len(X) if batch == 0 else batch
            epochs = args.epochs if b > 1 else max(1, args.epochs // 5)

            # the peers bind this iteration's gen/b/softmax as defaults (B023); they are all
            # called within this same iteration (agreement check, then method.interleaved)
            def generated(th0, e, b=b, gen=gen):  # type: ignore[no-untyped-def]
                th = th0.copy()
                gen.train(X, Y, th, LR, e, b)
                return th

            def hand(th0, e, b=b, softmax=softmax):  # type: ignore[no-untyped-def]
                th = th0.copy()
                hand_digits.train(X, Y, th, LR, e, b, softmax)
                return th

            def kernel(step, b=b, softmax=softmax):  # type: ignore[no-untyped-def]
                def run(th0, e, b=b, softmax=softmax):  # type: ignore[no-untyped-def]
                    th = th0.copy()
                    bk.train(step, X, Y, th, LR, e, b, softmax)
                    return th

                return run

            def numpy_run(th0, e, b=b, softmax=softmax):  # type: ignore[no-untyped-def]
                th = th0.copy()
                bk.numpy_train(X, Y, th, LR, e, b, softmax)
                return th

            peers = {
                "generated": generated,
                "hand Numba": hand,
                "kernel tile4": kernel(bk.step_tile4),
                "kernel blas": kernel(bk.step_blas),
                "NumPy": numpy_run,
            }
            jstep, jtrain = jax_peers(X, Y, softmax, b)
            peers["JAX jit step"] = jstep
            peers["JAX jit train"] = jtrain
            for name, fn in torch_peers(X, Y, softmax, b, not args.no_compile and b > 1).items():
                peers[name] = fn
            if softmax:
                peers["sklearn MLP"] = sklearn_peer(X, Y, b)
            ref = generated(theta0, 1)
            scale = float(np.max(np.abs(ref)))
            for name, fn in list(peers.items()):  # one epoch each: compiles, and must agree
                t = time.process_time()
                try:
                    th = fn(theta0, 1)
                except Exception as exc:
                    out[f"error/{name}/{tag}/{b}"] = f"{type(exc).__name__}: {str(exc)[:300]}"
                    del peers[name]
                    continue
                out[f"first/{name}/{tag}/{b}"] = time.process_time() - t
                rel = float(np.max(np.abs(th - ref)) / scale)
                out[f"rel/{name}/{tag}/{b}"] = rel
                if not rel <= 1e-9:
                    raise SystemExit(
                        f"{name} ({tag}, batch {b}) disagrees with the generated module "
                        f"after 1 epoch: {rel:.2e}"
                    )
            runs = {
                name: (lambda fn=fn, theta0=theta0, epochs=epochs: fn(theta0, epochs))
                for name, fn in peers.items()
            }
            for name, sec in method.interleaved(runs, args.rounds).items():
                out[f"t/{name}/{tag}/{b}"] = sec / epochs
    return out


# ---------------------------------------------------------------------------------- xor worker
XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def jax_xor_idiomatic(epochs: int, unroll: bool = False):  # type: ignore[no-untyped-def]
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import peers

    Xc, Yc = jnp.asarray(XOR_X), jnp.asarray(XOR_Y)

    def loss(p, x, y):  # type: ignore[no-untyped-def]
        W1, b1, W2, b2 = p
        o = jax.nn.sigmoid(W2 @ jax.nn.sigmoid(W1 @ x + b1) + b2)
        return 0.5 * jnp.sum((o - y) ** 2)

    def sample(p, xy):  # type: ignore[no-untyped-def]
        g = jax.grad(loss)(p, *xy)
        return jax.tree_util.tree_map(lambda a, b: a - LR * b, p, g), None

    @jax.jit
    def train(p):  # type: ignore[no-untyped-def]
        return jax.lax.fori_loop(
            0, epochs, lambda _, q: jax.lax.scan(sample, q, (Xc, Yc), unroll=unroll)[0], p
        )

    def run(theta: np.ndarray) -> np.ndarray:
        p = tuple(jnp.asarray(a) for a in peers.unpack(theta))
        return peers.pack(*(np.asarray(a) for a in jax.block_until_ready(train(p))))

    return run


def xor_worker(args: argparse.Namespace) -> dict:
    pools = method.limit_pools()
    import numba

    numba.set_num_threads(1)
    import hand_xor
    import peers

    from generated import xor_bias

    theta0 = xor_bias.init(0)
    E, slow = args.epochs, args.slow_epochs

    def generated(e: int) -> np.ndarray:
        th = theta0.copy()
        xor_bias.train(XOR_X, XOR_Y, th, LR, e, 1)
        return th

    def hand(e: int) -> np.ndarray:
        th = theta0.copy()
        hand_xor.train(XOR_X, XOR_Y, th, LR, e)
        return th

    as_peers = peers.jax_sgd_factory()
    idiomatic = {e: jax_xor_idiomatic(e) for e in (10, E)}
    unrolled = {e: jax_xor_idiomatic(e, True) for e in (10, E)}
    runs_for = {
        "generated": (generated, E),
        "hand Numba": (hand, E),
        "JAX fori (bench/peers.py)": (lambda e: as_peers(XOR_X, XOR_Y, theta0, LR, e), E),
        "JAX jit scan-in-fori": (lambda e: idiomatic[e](theta0), E),
        "JAX jit scan(unroll)-in-fori": (lambda e: unrolled[e](theta0), E),
        "NumPy": (lambda e: peers.numpy_sgd(XOR_X, XOR_Y, theta0, LR, e), slow),
    }
    out: dict = {"pools": pools}
    if peers.available("torch"):
        runs_for["PyTorch eager"] = (lambda e: peers.torch_sgd(XOR_X, XOR_Y, theta0, LR, e), slow)
    else:
        out["skipped/PyTorch eager"] = "torch is not installed"
    ref = generated(10)
    for name, (fn, e) in runs_for.items():
        fn(e)  # compiles
        th = fn(10)
        rel = float(np.max(np.abs(th - ref)) / np.max(np.abs(ref)))
        out[f"rel/{name}"] = rel
        if not rel <= 1e-9:
            raise SystemExit(
                f"{name} disagrees with the generated module after 10 epochs: {rel:.2e}"
            )
    runs = {name: (lambda fn=fn, e=e: fn(e)) for name, (fn, e) in runs_for.items()}
    for name, sec in method.interleaved(runs, args.rounds).items():
        out[f"t/{name}"] = sec / runs_for[name][1]
    return out


# ---------------------------------------------------------------------------------- driver
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("which", choices=["digits", "xor"])
    ap.add_argument("--processes", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=None, help="digits 5, xor 10000")
    ap.add_argument("--slow-epochs", type=int, default=200, help="xor: epochs of NumPy and PyTorch")
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 32, 128, 0])
    ap.add_argument("--losses", nargs="+", default=["sse", "ce"])
    ap.add_argument("--no-compile", action="store_true", help="leave torch.compile out")
    ap.add_argument("--worker", action="store_true")
    ap.add_argument(
        "--report",
        action="store_true",
        help="print the tables of the last run (bench/results/*.json)",
    )
    args = ap.parse_args()
    if args.epochs is None:
        args.epochs = 5 if args.which == "digits" else 10_000
    if args.worker:
        method.worker_main(lambda: (digits_worker if args.which == "digits" else xor_worker)(args))
        return
    argv = [sys.executable, __file__, *[a for a in sys.argv[1:] if a != "--report"], "--worker"]
    save = HERE / "results" / f"honest_{args.which}.json"
    save.parent.mkdir(exist_ok=True)
    results = (
        json.loads(save.read_text())
        if args.report
        else method.run_workers(argv, args.processes, save=str(save))
    )
    print(f"command: {method.command_line()}")
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
    med = lambda key: statistics.median(r[key] for r in results)  # noqa: E731
    spread = lambda key: (min(r[key] for r in results), max(r[key] for r in results))  # noqa: E731
    for r in results[:1]:
        for k, v in r.items():
            if k.startswith("error/"):
                print(f"  could not run {k[6:]}: {v}")
            if k.startswith("skipped/"):
                print(f"  left out {k[8:]}: {v}")
    if args.which == "xor":
        print(
            f"XOR 2-2-1 per-sample SGD, lr {LR}: microseconds per epoch (4 samples); "
            f"{args.epochs} epochs per call "
            f"({args.slow_epochs} for NumPy and PyTorch)"
        )
        base = med("t/generated")
        names = [k[2:] for k in results[0] if k.startswith("t/")]
        for name in names:
            lo, hi = spread(f"t/{name}")
            print(
                f"  {name:<28} {med(f't/{name}') * 1e6:10.3f} us  "
                f"({lo * 1e6:.3f}..{hi * 1e6:.3f})   "
                f"{name} / generated = {med(f't/{name}') / base:8.2f}   "
                f"rel |dtheta| {max(r[f'rel/{name}'] for r in results):.1e}"
            )
        best = min(med(f"t/{k}") for k in names if k.startswith("JAX"))
        print(
            f"  targets: fastest JAX / generated >= 2: {best / base:.2f}; "
            f"generated / hand <= 1.02: {base / med('t/hand Numba'):.3f}"
        )
        return
    n = results[0]["n"]
    for tag in args.losses:
        for batch in args.batches:
            b = n if batch == 0 else batch
            print(
                "\ndigits 64-32-10 "
                f"{'sigmoid / half_sse' if tag == 'sse' else 'softmax / cross_entropy'}, batch {b}"
                f"{' (full)' if batch == 0 else ''}: ms per epoch ({n} rows), peer / generated, "
                "first call (compile) CPU s, "
                "max rel |dtheta| after 1 epoch"
            )
            base = med(f"t/generated/{tag}/{b}")
            names = [
                k.split("/")[1]
                for k in results[0]
                if k.startswith("t/") and k.endswith(f"/{tag}/{b}")
            ]
            for name in names:
                key = f"t/{name}/{tag}/{b}"
                lo, hi = spread(key)
                print(
                    f"  {name:<16} {med(key) * 1e3:9.3f} ms ({lo * 1e3:.3f}..{hi * 1e3:.3f})  "
                    f"x{med(key) / base:6.2f}"
                    f"   first {med(f'first/{name}/{tag}/{b}'):6.2f} s   "
                    f"rel {max(r[f'rel/{name}/{tag}/{b}'] for r in results):.1e}"
                )


if __name__ == "__main__":
    main()
