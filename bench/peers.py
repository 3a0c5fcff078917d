"""The peers of the benchmark: NumPy hand-vectorised, PyTorch eager, JAX fori_loop.

Each runs per-sample SGD on XOR for the 2-2-1 network with biases (half SSE,
sigmoid) from a given theta (in xor_bias.PARAM_IDS order) and returns the final theta.
"""

from __future__ import annotations

import importlib.util

import numpy as np


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def unpack(theta: np.ndarray) -> tuple[np.ndarray, ...]:
    W1 = theta[0:4].reshape(2, 2).copy()
    b1 = theta[4:6].copy()
    W2 = theta[6:8].reshape(1, 2).copy()
    b2 = theta[8:9].copy()
    return W1, b1, W2, b2


def pack(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    return np.concatenate([np.ravel(W1), np.ravel(b1), np.ravel(W2), np.ravel(b2)]).astype(
        np.float64
    )


def numpy_sgd(
    X: np.ndarray, Y: np.ndarray, theta: np.ndarray, lr: float, epochs: int
) -> np.ndarray:
    W1, b1, W2, b2 = unpack(theta)
    for _ in range(epochs):
        for x, y in zip(X, Y):
            h = 1.0 / (1.0 + np.exp(-(W1 @ x + b1)))
            o = 1.0 / (1.0 + np.exp(-(W2 @ h + b2)))
            d2 = (o - y) * o * (1.0 - o)
            d1 = (W2.T @ d2) * h * (1.0 - h)
            W2 -= lr * np.outer(d2, h)
            b2 -= lr * d2
            W1 -= lr * np.outer(d1, x)
            b1 -= lr * d1
    return pack(W1, b1, W2, b2)


def torch_sgd(
    X: np.ndarray, Y: np.ndarray, theta: np.ndarray, lr: float, epochs: int
) -> np.ndarray:
    import torch

    torch.set_num_threads(1)
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in unpack(theta)]
    W1, b1, W2, b2 = params
    xs = [torch.tensor(x, dtype=torch.float64) for x in X]
    ys = [torch.tensor(y, dtype=torch.float64) for y in Y]
    for _ in range(epochs):
        for x, y in zip(xs, ys):
            h = torch.sigmoid(W1 @ x + b1)
            o = torch.sigmoid(W2 @ h + b2)
            loss = 0.5 * ((o - y) ** 2).sum()
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad = None
    return pack(*(p.detach().numpy() for p in params))


def jax_sgd_factory():  # type: ignore[no-untyped-def]
    """A jitted function (theta, X, Y, lr, epochs) -> theta: the whole training in one
    lax.fori_loop."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def loss(params, x, y):  # type: ignore[no-untyped-def]
        W1, b1, W2, b2 = params
        h = jax.nn.sigmoid(W1 @ x + b1)
        o = jax.nn.sigmoid(W2 @ h + b2)
        return 0.5 * jnp.sum((o - y) ** 2)

    grad = jax.grad(loss)

    def train(params, X, Y, lr, epochs):  # type: ignore[no-untyped-def]
        def sample(i, p):  # type: ignore[no-untyped-def]
            g = grad(p, X[i], Y[i])
            return tuple(a - lr * b for a, b in zip(p, g))

        def epoch(_, p):  # type: ignore[no-untyped-def]
            return jax.lax.fori_loop(0, X.shape[0], sample, p)

        return jax.lax.fori_loop(0, epochs, epoch, params)

    jitted = jax.jit(train, static_argnums=(4,))

    def run(X: np.ndarray, Y: np.ndarray, theta: np.ndarray, lr: float, epochs: int) -> np.ndarray:
        params = tuple(jnp.asarray(p) for p in unpack(theta))
        out = jitted(params, jnp.asarray(X), jnp.asarray(Y), lr, epochs)
        return pack(*(np.asarray(jax.block_until_ready(p)) for p in out))

    return run
