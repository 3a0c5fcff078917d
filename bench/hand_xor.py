"""The practical speed limit: per-sample SGD on the 2-2-1 XOR network with biases,
written by hand in scalar Numba, every weight a local float, the whole loop in one
njit function. theta is in the order of generated/xor_bias.PARAM_IDS:
w1_1_1, w1_1_2, w1_2_1, w1_2_2, b1_1, b1_2, w2_1_1, w2_1_2, b2_1.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def train(X, Y, theta, lr, epochs):  # type: ignore[no-untyped-def]
    w11, w12, w21, w22, b1, b2, v1, v2, c = (
        theta[0],
        theta[1],
        theta[2],
        theta[3],
        theta[4],
        theta[5],
        theta[6],
        theta[7],
        theta[8],
    )
    n = X.shape[0]
    history = np.empty(epochs)
    for epoch in range(epochs):
        total = 0.0
        for i in range(n):
            x1 = X[i, 0]
            x2 = X[i, 1]
            h1 = 1.0 / (1.0 + math.exp(-(w11 * x1 + w12 * x2 + b1)))
            h2 = 1.0 / (1.0 + math.exp(-(w21 * x1 + w22 * x2 + b2)))
            o = 1.0 / (1.0 + math.exp(-(v1 * h1 + v2 * h2 + c)))
            err = o - Y[i, 0]
            total += 0.5 * err * err
            do = err * o * (1.0 - o)
            dh1 = do * v1 * h1 * (1.0 - h1)
            dh2 = do * v2 * h2 * (1.0 - h2)
            v1 -= lr * do * h1
            v2 -= lr * do * h2
            c -= lr * do
            w11 -= lr * dh1 * x1
            w12 -= lr * dh1 * x2
            b1 -= lr * dh1
            w21 -= lr * dh2 * x1
            w22 -= lr * dh2 * x2
            b2 -= lr * dh2
        history[epoch] = total / n
    theta[0], theta[1], theta[2], theta[3], theta[4] = w11, w12, w21, w22, b1
    theta[5], theta[6], theta[7], theta[8] = b2, v1, v2, c
    return history
