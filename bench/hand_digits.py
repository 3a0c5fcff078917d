"""The hand-written reference of bench/digits.py: minibatch backprop of an n_in-n_h-n_out
network (sigmoid hidden layer; sigmoid + half SSE or softmax + cross-entropy output),
in the plain way one writes it in Numba: one function, per-sample loops, every
weight matrix kept as (inputs, units) so the forward pass is contiguous row updates
z += a_k W[k, :], and the mean gradient of each batch applied at its end.

theta is in the generated modules' order (layer by layer, W (units, inputs) row by
row, then the biases); ``train`` transposes it in, trains, and writes it back.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def train(X, Y, theta, lr, epochs, batch_size, softmax):  # type: ignore[no-untyped-def]
    n, ni = X.shape
    no = Y.shape[1]
    nh = (theta.shape[0] - no) // (ni + 1 + no)
    w2 = nh * ni + nh
    W1 = theta[: nh * ni].reshape((nh, ni)).T.copy()  # (ni, nh)
    b1 = theta[nh * ni : w2].copy()
    W2 = theta[w2 : w2 + no * nh].reshape((no, nh)).T.copy()  # (nh, no)
    b2 = theta[w2 + no * nh :].copy()
    gW1, gb1, gW2, gb2 = np.empty((ni, nh)), np.empty(nh), np.empty((nh, no)), np.empty(no)
    h, dh, o, do = np.empty(nh), np.empty(nh), np.empty(no), np.empty(no)
    history = np.empty(epochs)
    for epoch in range(epochs):
        total = 0.0
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            gW1[:, :] = 0.0
            gb1[:] = 0.0
            gW2[:, :] = 0.0
            gb2[:] = 0.0
            for i in range(start, stop):
                x = X[i]
                y = Y[i]
                h[:] = b1
                for k in range(ni):
                    xk = x[k]
                    for j in range(nh):
                        h[j] += W1[k, j] * xk
                for j in range(nh):
                    h[j] = 1.0 / (1.0 + math.exp(-h[j]))
                o[:] = b2
                for k in range(nh):
                    hk = h[k]
                    for j in range(no):
                        o[j] += W2[k, j] * hk
                if softmax:
                    top = o.max()
                    s = 0.0
                    for j in range(no):
                        o[j] = math.exp(o[j] - top)
                        s += o[j]
                    for j in range(no):
                        o[j] /= s
                        total -= y[j] * math.log(o[j])
                        do[j] = o[j] - y[j]
                else:
                    for j in range(no):
                        o[j] = 1.0 / (1.0 + math.exp(-o[j]))
                        e = o[j] - y[j]
                        total += 0.5 * e * e
                        do[j] = e * o[j] * (1.0 - o[j])
                for k in range(nh):
                    hk = h[k]
                    s = 0.0
                    for j in range(no):
                        gW2[k, j] += hk * do[j]
                        s += W2[k, j] * do[j]
                    dh[k] = s * hk * (1.0 - hk)
                for j in range(no):
                    gb2[j] += do[j]
                for k in range(ni):
                    xk = x[k]
                    for j in range(nh):
                        gW1[k, j] += xk * dh[j]
                for j in range(nh):
                    gb1[j] += dh[j]
            step = lr / (stop - start)
            for k in range(ni):
                for j in range(nh):
                    W1[k, j] -= step * gW1[k, j]
            for k in range(nh):
                b1[k] -= step * gb1[k]
                for j in range(no):
                    W2[k, j] -= step * gW2[k, j]
            for j in range(no):
                b2[j] -= step * gb2[j]
        history[epoch] = total / n
    theta[: nh * ni] = W1.T.copy().ravel()
    theta[nh * ni : w2] = b1
    theta[w2 : w2 + no * nh] = W2.T.copy().ravel()
    theta[w2 + no * nh :] = b2
    return history
