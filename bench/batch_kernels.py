"""Batch-kernel prototype (issue 13, part 2): the 64-32-10 minibatch step computed layer by layer
over the whole batch, in hand-written Numba (@njit, no fastmath, float64).

    python bench/batch_kernels.py [--processes 3] [--rounds 5] [--epochs 5]

Each kernel trains sigmoid/half_sse (64-32-10, sigmoid hidden and output) or
sigmoid/softmax/cross_entropy, the mean gradient of each batch, from theta in the
generated modules' order, exactly like the generated module's train; its theta after
3 steps (the first 3 batches) must equal the generated module's to 1e-12 relative
(max |dtheta| / max |theta|) before anything is timed.

Variants (all compute Z = X W^T + b for the batch, the deltas, and dW = D^T A):
  generated the generated loop module with BATCH_MIN out of reach: its row pass at every batch
  rows      per-row axpy loops: one layer at a time over the whole batch, every inner loop
            along a contiguous row of units (W kept transposed, (inputs, units))
  tile4     rows + register tiles: 4 batch rows per pass in the forward and delta loops
            (4 x 32 accumulators), 4 weight rows per pass in dW += a d^T
  tile8k    tile4, dW tiled 8 input rows per pass
  blas      np.dot inside @njit (calls SciPy's BLAS: SciPy must import at run time)
  tile4_vexp, blas_vexp  the same with error_model="numpy" and a vectorisable exp (vexp, below)
  tile4_mt  tile4 with numba.prange: the rows of the batch (forward, deltas) and the rows
            of dW (each owns whole sums over the batch, in row order) split across threads,
            so the result is the serial result bit for bit, whatever the thread count
Reported: ms per epoch (process CPU time), GFLOP/s counting the matrix products only
(10,112 flop per sample: forward, deltas, dW), the fraction of the one-thread dgemm peak
measured in the same worker (NumPy 1024^3 matmul, best of 5), and NumPy / kernel.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import method

if __name__ == "__main__" and "--worker" in sys.argv:
    method.apply_one_thread()

import numba
import numpy as np

NI, NH, NO = 64, 32, 10
import regtile

regtile.emit(NI, NH, NO)
import _regtile_gen as rg

LR = 0.5
FLOP_PER_SAMPLE = 2 * (NI * NH + NH * NO) * 2 + 2 * NH * NO  # forward + dW, plus the hidden deltas


@numba.njit(cache=True)
def _sig(z):  # type: ignore[no-untyped-def]
    return 1.0 / (1.0 + math.exp(-max(z, -708.0)))


@numba.njit(cache=True)
def _output(Y, lo, m, O, D2, softmax):  # type: ignore[no-untyped-def]
    """O holds the output net inputs; turns them into activations and D2 into dE/dz. Returns E."""
    E = 0.0
    for i in range(m):
        if softmax:
            top = O[i, 0]
            for j in range(1, NO):
                top = max(top, O[i, j])
            tot = 0.0
            for j in range(NO):
                e = math.exp(O[i, j] - top)
                O[i, j] = e
                tot += e
            for j in range(NO):
                O[i, j] /= tot
            for j in range(NO):
                y = Y[lo + i, j]
                E += -y * math.log(O[i, j])
                D2[i, j] = O[i, j] - y
        else:
            for j in range(NO):
                a = _sig(O[i, j])
                O[i, j] = a
                y = Y[lo + i, j]
                E += 0.5 * (y - a) ** 2
                D2[i, j] = a * (y - a) * (a - 1.0)
    return E


# ---------------------------------------- rows: plain per-row loops
@numba.njit(cache=True)
def step_rows(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax):  # type: ignore[no-untyped-def]
    for i in range(m):
        for j in range(NH):
            H[i, j] = b1[j]
        for k in range(NI):
            xv = X[lo + i, k]
            for j in range(NH):
                H[i, j] += xv * Wt1[k, j]
        for j in range(NH):
            a = _sig(H[i, j])
            H[i, j] = a
            S1[i, j] = a * (1.0 - a)
        for j in range(NO):
            O[i, j] = b2[j]
        for k in range(NH):
            hv = H[i, k]
            for j in range(NO):
                O[i, j] += hv * W2t[k, j]
    E = _output(Y, lo, m, O, D2, softmax)
    for i in range(m):  # deltas of the hidden layer: D1 = (D2 W2) * S1
        for k in range(NH):
            D1[i, k] = 0.0
        for j in range(NO):
            dv = D2[i, j]
            for k in range(NH):
                D1[i, k] += dv * W2[j, k]
        for k in range(NH):
            D1[i, k] *= S1[i, k]
    G1t[:, :] = 0.0
    G2[:, :] = 0.0
    gb1[:] = 0.0
    gb2[:] = 0.0
    for i in range(m):
        for j in range(NO):
            dv = D2[i, j]
            gb2[j] += dv
            for k in range(NH):
                G2[j, k] += dv * H[i, k]
        for k in range(NI):
            xv = X[lo + i, k]
            for j in range(NH):
                G1t[k, j] += xv * D1[i, j]
        for j in range(NH):
            gb1[j] += D1[i, j]
    return E


# ---------------------------------------- tile4: register tiles
@numba.njit(cache=True, inline="always")
def _forward_tile(X, lo, i, Wt1, b1, H):  # type: ignore[no-untyped-def]
    for j in range(NH):
        H[i, j] = b1[j]
        H[i + 1, j] = b1[j]
        H[i + 2, j] = b1[j]
        H[i + 3, j] = b1[j]
    for k in range(NI):
        x0 = X[lo + i, k]
        x1 = X[lo + i + 1, k]
        x2 = X[lo + i + 2, k]
        x3 = X[lo + i + 3, k]
        for j in range(NH):
            w = Wt1[k, j]
            H[i, j] += x0 * w
            H[i + 1, j] += x1 * w
            H[i + 2, j] += x2 * w
            H[i + 3, j] += x3 * w


@numba.njit(cache=True, inline="always")
def _forward_row(X, lo, i, Wt1, b1, H):  # type: ignore[no-untyped-def]
    for j in range(NH):
        H[i, j] = b1[j]
    for k in range(NI):
        xv = X[lo + i, k]
        for j in range(NH):
            H[i, j] += xv * Wt1[k, j]


@numba.njit(cache=True, inline="always")
def _rows_after_hidden(i, W2, W2t, b2, H, S1, O):  # type: ignore[no-untyped-def]
    for j in range(NH):
        a = _sig(H[i, j])
        H[i, j] = a
        S1[i, j] = a * (1.0 - a)
    for j in range(NO):
        O[i, j] = b2[j]
    for k in range(NH):
        hv = H[i, k]
        for j in range(NO):
            O[i, j] += hv * W2t[k, j]


@numba.njit(cache=True, inline="always")
def _delta_tile(i, W2, D2, S1, D1):  # type: ignore[no-untyped-def]
    for k in range(NH):
        D1[i, k] = 0.0
        D1[i + 1, k] = 0.0
        D1[i + 2, k] = 0.0
        D1[i + 3, k] = 0.0
    for j in range(NO):
        d0 = D2[i, j]
        d1 = D2[i + 1, j]
        d2 = D2[i + 2, j]
        d3 = D2[i + 3, j]
        for k in range(NH):
            w = W2[j, k]
            D1[i, k] += d0 * w
            D1[i + 1, k] += d1 * w
            D1[i + 2, k] += d2 * w
            D1[i + 3, k] += d3 * w
    for r in range(4):
        for k in range(NH):
            D1[i + r, k] *= S1[i + r, k]


@numba.njit(cache=True, inline="always")
def _delta_row(i, W2, D2, S1, D1):  # type: ignore[no-untyped-def]
    for k in range(NH):
        D1[i, k] = 0.0
    for j in range(NO):
        dv = D2[i, j]
        for k in range(NH):
            D1[i, k] += dv * W2[j, k]
    for k in range(NH):
        D1[i, k] *= S1[i, k]


@numba.njit(cache=True, inline="always")
def _grad1_rows(X, lo, m, k0, k1, D1, G1t, tk):  # type: ignore[no-untyped-def]
    """G1t[k0:k1] = sum_i X[lo+i, k] D1[i, :], tk input rows per pass (tk = 4 or 8)."""
    for k in range(k0, k1):
        for j in range(NH):
            G1t[k, j] = 0.0
    k = k0
    if tk == 8:
        while k + 8 <= k1:
            for i in range(m):
                x0 = X[lo + i, k]
                x1 = X[lo + i, k + 1]
                x2 = X[lo + i, k + 2]
                x3 = X[lo + i, k + 3]
                x4 = X[lo + i, k + 4]
                x5 = X[lo + i, k + 5]
                x6 = X[lo + i, k + 6]
                x7 = X[lo + i, k + 7]
                for j in range(NH):
                    d = D1[i, j]
                    G1t[k, j] += x0 * d
                    G1t[k + 1, j] += x1 * d
                    G1t[k + 2, j] += x2 * d
                    G1t[k + 3, j] += x3 * d
                    G1t[k + 4, j] += x4 * d
                    G1t[k + 5, j] += x5 * d
                    G1t[k + 6, j] += x6 * d
                    G1t[k + 7, j] += x7 * d
            k += 8
    while k + 4 <= k1:
        for i in range(m):
            x0 = X[lo + i, k]
            x1 = X[lo + i, k + 1]
            x2 = X[lo + i, k + 2]
            x3 = X[lo + i, k + 3]
            for j in range(NH):
                d = D1[i, j]
                G1t[k, j] += x0 * d
                G1t[k + 1, j] += x1 * d
                G1t[k + 2, j] += x2 * d
                G1t[k + 3, j] += x3 * d
        k += 4
    while k < k1:
        for i in range(m):
            xv = X[lo + i, k]
            for j in range(NH):
                G1t[k, j] += xv * D1[i, j]
        k += 1


@numba.njit(cache=True, inline="always")
def _grad_small(m, H, D1, D2, G2, gb1, gb2):  # type: ignore[no-untyped-def]
    G2[:, :] = 0.0
    gb1[:] = 0.0
    gb2[:] = 0.0
    for i in range(m):
        for j in range(NO):
            dv = D2[i, j]
            gb2[j] += dv
            for k in range(NH):
                G2[j, k] += dv * H[i, k]
        for j in range(NH):
            gb1[j] += D1[i, j]


@numba.njit(cache=True, inline="always")
def _tiled(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax, tk):  # type: ignore[no-untyped-def]
    i = 0
    while i + 4 <= m:
        _forward_tile(X, lo, i, Wt1, b1, H)
        for r in range(4):
            _rows_after_hidden(i + r, W2, W2t, b2, H, S1, O)
        i += 4
    while i < m:
        _forward_row(X, lo, i, Wt1, b1, H)
        _rows_after_hidden(i, W2, W2t, b2, H, S1, O)
        i += 1
    E = _output(Y, lo, m, O, D2, softmax)
    i = 0
    while i + 4 <= m:
        _delta_tile(i, W2, D2, S1, D1)
        i += 4
    while i < m:
        _delta_row(i, W2, D2, S1, D1)
        i += 1
    _grad_small(m, H, D1, D2, G2, gb1, gb2)
    _grad1_rows(X, lo, m, 0, NI, D1, G1t, tk)
    return E


@numba.njit(cache=True)
def step_tile4(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax):  # type: ignore[no-untyped-def]
    return _tiled(
        X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax, 4
    )


@numba.njit(cache=True)
def step_tile8k(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax):  # type: ignore[no-untyped-def]
    return _tiled(
        X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax, 8
    )


# ---------------------------------------- threaded, bit-identical to tile4
TASKS = 2  # fixed blocks of batch rows and of dW rows: the bounds do not depend on the thread count


@numba.njit(cache=True, parallel=True)
def step_tile4_mt(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax):  # type: ignore[no-untyped-def]
    for q in numba.prange(
        TASKS
    ):  # rows of the batch: each row's forward pass and delta are independent
        a = (m * q // TASKS) // 4 * 4
        b = m if q == TASKS - 1 else (m * (q + 1) // TASKS) // 4 * 4
        i = a
        while i + 4 <= b:
            _forward_tile(X, lo, i, Wt1, b1, H)
            for r in range(4):
                _rows_after_hidden(i + r, W2, W2t, b2, H, S1, O)
            i += 4
        while i < b:
            _forward_row(X, lo, i, Wt1, b1, H)
            _rows_after_hidden(i, W2, W2t, b2, H, S1, O)
            i += 1
    E = _output(Y, lo, m, O, D2, softmax)
    for q in numba.prange(TASKS):
        a = (m * q // TASKS) // 4 * 4
        b = m if q == TASKS - 1 else (m * (q + 1) // TASKS) // 4 * 4
        i = a
        while i + 4 <= b:
            _delta_tile(i, W2, D2, S1, D1)
            i += 4
        while i < b:
            _delta_row(i, W2, D2, S1, D1)
            i += 1
    for q in numba.prange(
        TASKS + 1
    ):  # dW: task q owns input rows of G1t (whole sums over the batch)
        if q == TASKS:
            _grad_small(m, H, D1, D2, G2, gb1, gb2)
        else:
            _grad1_rows(X, lo, m, NI * q // TASKS, NI * (q + 1) // TASKS, D1, G1t, 4)
    return E


# ---------------------------------------- reg: scalar-accumulator register tiles (bench/regtile.py)
@numba.njit(cache=True, inline="always")
def _sigmoid_rows(H, S1, r0, r1):  # type: ignore[no-untyped-def]
    for i in range(r0, r1):
        for j in range(NH):
            a = _sig(H[i, j])
            H[i, j] = a
            S1[i, j] = a * (1.0 - a)


@numba.njit(cache=True, inline="always")
def _bias_grads(m, D1, D2, gb1, gb2):  # type: ignore[no-untyped-def]
    gb1[:] = 0.0
    gb2[:] = 0.0
    for i in range(m):
        for j in range(NO):
            gb2[j] += D2[i, j]
        for j in range(NH):
            gb1[j] += D1[i, j]


@numba.njit(cache=True)
def step_reg(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax):  # type: ignore[no-untyped-def]
    rg.fwd1(X, lo, Wt1, b1, H, 0, m)
    _sigmoid_rows(H, S1, 0, m)
    rg.fwd2(H, W2t, b2, O, 0, m)
    E = _output(Y, lo, m, O, D2, softmax)
    rg.back1(D2, W2, S1, D1, 0, m)
    rg.grad1(X, lo, m, D1, G1t, 0, NI)
    rg.grad2(D2, H, m, G2, 0, NO)
    _bias_grads(m, D1, D2, gb1, gb2)
    return E


@numba.njit(cache=True, parallel=True)
def step_reg_mt(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax):  # type: ignore[no-untyped-def]
    for q in numba.prange(TASKS):  # fixed row blocks: each row's forward pass is independent
        a = m * q // TASKS
        b = m * (q + 1) // TASKS
        rg.fwd1(X, lo, Wt1, b1, H, a, b)
        _sigmoid_rows(H, S1, a, b)
        rg.fwd2(H, W2t, b2, O, a, b)
    E = _output(Y, lo, m, O, D2, softmax)
    for q in numba.prange(TASKS):
        rg.back1(D2, W2, S1, D1, m * q // TASKS, m * (q + 1) // TASKS)
    for q in numba.prange(
        TASKS + 1
    ):  # dW split by its rows: every sum over the batch stays whole and in order
        if q == TASKS:
            rg.grad2(D2, H, m, G2, 0, NO)
            _bias_grads(m, D1, D2, gb1, gb2)
        else:
            rg.grad1(X, lo, m, D1, G1t, NI * q // TASKS, NI * (q + 1) // TASKS)
    return E


# ---------------------------------------- blas: np.dot inside njit
@numba.njit(cache=True)
def step_blas(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax):  # type: ignore[no-untyped-def]
    x = X[lo : lo + m]
    h = H[:m]
    np.dot(x, Wt1, h)
    for i in range(m):
        for j in range(NH):
            a = _sig(h[i, j] + b1[j])
            h[i, j] = a
            S1[i, j] = a * (1.0 - a)
    o = O[:m]
    np.dot(h, W2t, o)
    for i in range(m):
        for j in range(NO):
            o[i, j] += b2[j]
    E = _output(Y, lo, m, O, D2, softmax)
    d2 = D2[:m]
    d1 = D1[:m]
    np.dot(d2, W2, d1)
    for i in range(m):
        for k in range(NH):
            d1[i, k] *= S1[i, k]
    np.dot(x.T, d1, G1t)
    np.dot(d2.T, h, G2)
    gb1[:] = 0.0
    gb2[:] = 0.0
    for i in range(m):
        for j in range(NO):
            gb2[j] += d2[i, j]
        for j in range(NH):
            gb1[j] += d1[i, j]
    return E


# ---------------------------------------- vexp: a vectorisable exp, error_model="numpy"
# Numba's default error_model="python" checks every float division for zero (to raise
# ZeroDivisionError): that branch, and the call to libm's exp, keep the elementwise loops
# scalar. vexp is exp by Cody-Waite reduction (x = k ln2 + r, |r| <= ln2/2) and a degree-13
# Taylor polynomial (truncation < 5e-18), 2^k put together in the exponent bits: plain
# arithmetic that LLVM vectorises, within 1 ulp of libm's exp (measured: max relative
# difference 2.2e-16 over [-700, 700]); the sigmoid built on it stays within 3.1e-16 of
# 1/(1 + math.exp(-z)). Strict IEEE still (no fastmath): the same bits on every run.
from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def _bits_to_f64(typingctx, x):  # type: ignore[no-untyped-def]
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@numba.njit(cache=True, inline="always", error_model="numpy")
def vexp(x):  # type: ignore[no-untyped-def]
    x = (
        x if x > -708.0 else -708.0
    )  # exp(-708) ~ 3e-308: below it 1 + exp(..) and softmax sums do not change
    x = x if x < 708.0 else 708.0
    k = np.floor(x * 1.4426950408889634 + 0.5)
    r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    return p * _bits_to_f64((np.int64(k) + 1023) << 52)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _sigv(z):  # type: ignore[no-untyped-def]
    return 1.0 / (1.0 + vexp(-z))


@numba.njit(cache=True, inline="always", error_model="numpy")
def _output_v(Y, lo, m, O, D2, softmax):  # type: ignore[no-untyped-def]
    E = 0.0
    for i in range(m):
        if softmax:
            top = O[i, 0]
            for j in range(1, NO):
                top = max(top, O[i, j])
            tot = 0.0
            for j in range(NO):
                e = vexp(O[i, j] - top)
                O[i, j] = e
                tot += e
            for j in range(NO):
                O[i, j] /= tot
            for j in range(NO):
                y = Y[lo + i, j]
                E += -y * math.log(O[i, j])
                D2[i, j] = O[i, j] - y
        else:
            for j in range(NO):
                a = _sigv(O[i, j])
                O[i, j] = a
                y = Y[lo + i, j]
                E += 0.5 * (y - a) ** 2
                D2[i, j] = a * (y - a) * (a - 1.0)
    return E


@numba.njit(cache=True, error_model="numpy")
def step_blas_v(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax):  # type: ignore[no-untyped-def]
    x = X[lo : lo + m]
    h = H[:m]
    np.dot(x, Wt1, h)
    for i in range(m):
        for j in range(NH):
            a = _sigv(h[i, j] + b1[j])
            h[i, j] = a
            S1[i, j] = a * (1.0 - a)
    o = O[:m]
    np.dot(h, W2t, o)
    for i in range(m):
        for j in range(NO):
            o[i, j] += b2[j]
    E = _output_v(Y, lo, m, O, D2, softmax)
    d2 = D2[:m]
    d1 = D1[:m]
    np.dot(d2, W2, d1)
    for i in range(m):
        for k in range(NH):
            d1[i, k] *= S1[i, k]
    np.dot(x.T, d1, G1t)
    np.dot(d2.T, h, G2)
    gb1[:] = 0.0
    gb2[:] = 0.0
    for i in range(m):
        for j in range(NO):
            gb2[j] += d2[i, j]
        for j in range(NH):
            gb1[j] += d1[i, j]
    return E


@numba.njit(cache=True, inline="always", error_model="numpy")
def _rows_after_hidden_v(i, W2, W2t, b2, H, S1, O):  # type: ignore[no-untyped-def]
    for j in range(NH):
        a = _sigv(H[i, j])
        H[i, j] = a
        S1[i, j] = a * (1.0 - a)
    for j in range(NO):
        O[i, j] = b2[j]
    for k in range(NH):
        hv = H[i, k]
        for j in range(NO):
            O[i, j] += hv * W2t[k, j]


@numba.njit(cache=True, error_model="numpy")
def step_tile4_v(X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax):  # type: ignore[no-untyped-def]
    i = 0
    while i + 4 <= m:
        _forward_tile(X, lo, i, Wt1, b1, H)
        for r in range(4):
            _rows_after_hidden_v(i + r, W2, W2t, b2, H, S1, O)
        i += 4
    while i < m:
        _forward_row(X, lo, i, Wt1, b1, H)
        _rows_after_hidden_v(i, W2, W2t, b2, H, S1, O)
        i += 1
    E = _output_v(Y, lo, m, O, D2, softmax)
    i = 0
    while i + 4 <= m:
        _delta_tile(i, W2, D2, S1, D1)
        i += 4
    while i < m:
        _delta_row(i, W2, D2, S1, D1)
        i += 1
    _grad_small(m, H, D1, D2, G2, gb1, gb2)
    _grad1_rows(X, lo, m, 0, NI, D1, G1t, 4)
    return E


@numba.njit(cache=True, error_model="numpy")
def exp_floor_v(X, buf, epochs, softmax):  # type: ignore[no-untyped-def]
    """exp_floor with vexp."""
    for e in range(epochs):
        for i in range(X.shape[0]):
            for j in range(NH):
                a = _sigv(X[i, j] + e)
                buf[i, j] = a * (1.0 - a)
            for j in range(NO):
                buf[i, NH + j] = vexp(X[i, j] - e) if softmax else _sigv(X[i, j] - e)


# ---------------------------------------- the training loop around a step
@numba.njit(cache=True)
def train(step, X, Y, theta, lr, epochs, batch, softmax):  # type: ignore[no-untyped-def]
    n = X.shape[0]
    w2 = NH * NI + NH
    W1 = theta[: NH * NI].reshape((NH, NI))
    Wt1 = np.ascontiguousarray(W1.T)
    b1 = theta[NH * NI : w2].copy()
    W2 = theta[w2 : w2 + NO * NH].reshape((NO, NH)).copy()
    W2t = np.ascontiguousarray(W2.T)
    b2 = theta[w2 + NO * NH :].copy()
    G1t, gb1, G2, gb2 = np.empty((NI, NH)), np.empty(NH), np.empty((NO, NH)), np.empty(NO)
    bmax = min(batch, n)
    H, S1, D1 = np.empty((bmax, NH)), np.empty((bmax, NH)), np.empty((bmax, NH))
    O, D2 = np.empty((bmax, NO)), np.empty((bmax, NO))
    history = np.empty(epochs)
    for epoch in range(epochs):
        total = 0.0
        for lo in range(0, n, batch):
            m = min(batch, n - lo)
            total += step(
                X, Y, lo, m, Wt1, b1, W2, W2t, b2, G1t, gb1, G2, gb2, H, S1, D1, O, D2, softmax
            )
            s = lr / m
            for k in range(NI):
                for j in range(NH):
                    Wt1[k, j] -= s * G1t[k, j]
            for j in range(NH):
                b1[j] -= s * gb1[j]
            for j in range(NO):
                for k in range(NH):
                    W2[j, k] -= s * G2[j, k]
                    W2t[k, j] = W2[j, k]
                b2[j] -= s * gb2[j]
        history[epoch] = total / n
    theta[: NH * NI] = Wt1.T.copy().ravel()
    theta[NH * NI : w2] = b1
    theta[w2 : w2 + NO * NH] = W2.ravel()
    theta[w2 + NO * NH :] = b2
    return history


STEPS = {
    "rows": step_rows,
    "tile4": step_tile4,
    "tile8k": step_tile8k,
    "blas": step_blas,
    "tile4_mt": step_tile4_mt,
    "tile4_vexp": step_tile4_v,
    "blas_vexp": step_blas_v,
}
if os.environ.get(
    "BENCH_REG"
):  # scalar-accumulator tiles: 21 s (reg) and 62 s (reg_mt) of compile, and slower than tile4
    STEPS |= {"reg": step_reg, "reg_mt": step_reg_mt}


@numba.njit(cache=True)
def exp_floor(X, buf, epochs, softmax):  # type: ignore[no-untyped-def]
    """The elementwise part alone, stored (no reduction).

    Per epoch: n NH sigmoids and slopes, n NO sigmoids (or exps).
    """
    for e in range(epochs):
        for i in range(X.shape[0]):
            for j in range(NH):
                a = _sig(X[i, j] + e)
                buf[i, j] = a * (1.0 - a)
            for j in range(NO):
                buf[i, NH + j] = math.exp(X[i, j] - e) if softmax else _sig(X[i, j] - e)


def numpy_train(X, Y, theta, lr, epochs, batch, softmax):  # type: ignore[no-untyped-def]
    """The NumPy peer: BLAS matmuls, the same arithmetic (bench/honest.py uses the same code)."""
    w2 = NH * NI + NH
    W1 = theta[: NH * NI].reshape(NH, NI).copy()
    b1 = theta[NH * NI : w2].copy()
    W2 = theta[w2 : w2 + NO * NH].reshape(NO, NH).copy()
    b2 = theta[w2 + NO * NH :].copy()
    history = np.empty(epochs)
    for e in range(epochs):
        total = 0.0
        for lo in range(0, len(X), batch):
            x, y = X[lo : lo + batch], Y[lo : lo + batch]
            h = 1.0 / (1.0 + np.exp(-(x @ W1.T + b1)))
            z = h @ W2.T + b2
            if softmax:
                o = np.exp(z - z.max(axis=1, keepdims=True))
                o /= o.sum(axis=1, keepdims=True)
                total -= float(np.sum(y * np.log(o)))
                d2 = o - y
            else:
                o = 1.0 / (1.0 + np.exp(-z))
                err = o - y
                total += 0.5 * float(np.sum(err * err))
                d2 = err * o * (1.0 - o)
            d1 = (d2 @ W2) * h * (1.0 - h)
            s = lr / len(x)
            W2 -= s * (d2.T @ h)
            b2 -= s * d2.sum(axis=0)
            W1 -= s * (d1.T @ x)
            b1 -= s * d1.sum(axis=0)
        history[e] = total / len(X)
    theta[:] = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
    return history


def dgemm_peak() -> float:
    """GFLOP/s of a one-thread NumPy 1024^3 matmul, best of 5 (process CPU time)."""
    a, b = np.random.rand(1024, 1024), np.random.rand(1024, 1024)
    a @ b
    best = min(method.cpu_time(lambda: a @ b)[0] for _ in range(5))
    return 2 * 1024**3 / best / 1e9


def generated_module(softmax: bool, rows: bool = False):  # type: ignore[no-untyped-def]
    """The generated loop module (serial); rows: with BATCH_MIN out of reach, so train runs the
    row pass at every batch size (the baseline the kernels here are compared with)."""
    from symbackprop.model.spec import inline
    from symbackprop.train import import_path, module_file

    spec = inline(
        "64-32-10",
        activation=["sigmoid", "softmax"] if softmax else "sigmoid",
        loss="cross_entropy" if softmax else "half_sse",
    )
    module = import_path(module_file(spec))
    module.PARALLEL = False
    if rows:
        module.BATCH_MIN = 10**9
    return module


def data():  # type: ignore[no-untyped-def]
    from symbackprop.train import load_data

    d = load_data("digits", NI, NO)
    return np.ascontiguousarray(d.X), np.ascontiguousarray(d.Y)


def worker(args: argparse.Namespace) -> dict:
    pools = method.limit_pools()
    t0 = time.process_time()
    import scipy.linalg.cython_blas  # noqa: F401  (what np.dot inside njit loads)

    scipy_import = time.process_time() - t0
    X, Y = data()
    out: dict[str, float] = {"scipy_import_cpu_s": scipy_import, "peak": dgemm_peak(), "n": len(X)}
    for softmax in (False, True):
        tag = "ce" if softmax else "sse"
        gen = generated_module(softmax, rows=True)
        theta0 = gen.init(0)
        for batch in args.batches:
            b = len(X) if batch == 0 else batch
            # agreement: 3 steps (the first 3 batches, or 3 full-batch epochs) to 1e-12 relative;
            # longer runs drift apart by rounding that SGD amplifies (reported as rel3/...,
            # 3 epochs, not checked)
            rows, ce = (min(len(X), 3 * b), 1) if 3 * b <= len(X) else (len(X), 3)
            Xc, Yc = X[:rows], Y[:rows]
            ref = theta0.copy()
            gen.train(Xc, Yc, ref, LR, ce, b)
            ref3 = theta0.copy()
            gen.train(X, Y, ref3, LR, 3, b)
            # each closure below binds this iteration's gen/theta0/b/softmax/buf (B023): they
            # are all called by method.interleaved at the end of this same iteration
            runs = {
                "generated": lambda gen=gen, theta0=theta0, b=b: gen.train(
                    X, Y, theta0.copy(), LR, args.epochs, b
                ),
                "NumPy": lambda theta0=theta0, b=b, softmax=softmax: numpy_train(
                    X, Y, theta0.copy(), LR, args.epochs, b, softmax
                ),
            }
            for name, fn in STEPS.items():
                th = theta0.copy()
                t = time.process_time()
                train(
                    fn, Xc, Yc, th, LR, ce, b, softmax
                )  # compiles (or loads the cache) and checks
                out.setdefault(f"first_call_cpu_s/{name}/{tag}", time.process_time() - t)
                rel = float(np.max(np.abs(th - ref)) / np.max(np.abs(ref)))
                th3 = theta0.copy()
                train(fn, X, Y, th3, LR, 3, b, softmax)
                out[f"rel3/{name}/{tag}/{b}"] = float(
                    np.max(np.abs(th3 - ref3)) / np.max(np.abs(ref3))
                )
                out[f"rel/{name}/{tag}/{b}"] = rel
                if rel > 1e-12:
                    raise SystemExit(
                        f"{name} ({tag}, batch {b}) disagrees with the generated module: {rel:.2e}"
                    )
                runs[name] = lambda fn=fn, theta0=theta0, b=b, softmax=softmax: train(
                    fn, X, Y, theta0.copy(), LR, args.epochs, b, softmax
                )
            th = theta0.copy()
            numpy_train(Xc, Yc, th, LR, ce, b, softmax)
            out[f"rel/NumPy/{tag}/{b}"] = float(np.max(np.abs(th - ref)) / np.max(np.abs(ref)))
            th = theta0.copy()
            numpy_train(X, Y, th, LR, 3, b, softmax)
            out[f"rel3/NumPy/{tag}/{b}"] = float(np.max(np.abs(th - ref3)) / np.max(np.abs(ref3)))
            if batch != 0 and b >= 8:  # bit-identity of the threaded variant on 1 and on 2 threads
                for threads in (1, 2):
                    if threads <= numba.config.NUMBA_NUM_THREADS:
                        numba.set_num_threads(threads)
                        for ser, par in (
                            (("tile4", step_tile4_mt), ("reg", step_reg_mt))
                            if "reg" in STEPS
                            else (("tile4", step_tile4_mt),)
                        ):
                            a1, a2 = theta0.copy(), theta0.copy()
                            train(par, X, Y, a1, LR, 2, b, softmax)
                            train(STEPS[ser], X, Y, a2, LR, 2, b, softmax)
                            out[f"bitident_{ser}_mt{threads}/{tag}/{b}"] = float(
                                np.array_equal(a1, a2)
                            )
                numba.set_num_threads(1)
            buf = np.empty((len(X), NH + NO))
            exp_floor(X, buf, 1, softmax)
            exp_floor_v(X, buf, 1, softmax)
            runs["exp floor"] = lambda buf=buf, softmax=softmax: exp_floor(
                X, buf, args.epochs, softmax
            )
            runs["vexp floor"] = lambda buf=buf, softmax=softmax: exp_floor_v(
                X, buf, args.epochs, softmax
            )
            for name, sec in method.interleaved(runs, args.rounds).items():
                out[f"t/{name}/{tag}/{b}"] = sec / args.epochs
    out["pools"] = pools  # type: ignore[assignment]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument(
        "--batches", type=int, nargs="+", default=[1, 8, 32, 128, 0], help="0 = full batch"
    )
    ap.add_argument("--worker", action="store_true")
    ap.add_argument(
        "--report",
        action="store_true",
        help="print the tables of the last run (bench/results/batch_kernels.json)",
    )
    ap.add_argument(
        "--threads",
        type=int,
        default=2,
        help="NUMBA_NUM_THREADS in the workers (for the bit-identity test)",
    )
    args = ap.parse_args()
    if args.worker:
        method.worker_main(lambda: worker(args))
        return
    argv = [
        sys.executable,
        __file__,
        "--worker",
        "--rounds",
        str(args.rounds),
        "--epochs",
        str(args.epochs),
        "--batches",
        *map(str, args.batches),
    ]
    env = method.one_thread_env()
    env["NUMBA_NUM_THREADS"] = str(args.threads)
    subprocess.run(
        [sys.executable, __file__, "--worker", "--rounds", "1", "--epochs", "1", "--batches", "8"],
        env=env,
        capture_output=True,
    )  # fill Numba's cache first: compile time stays out of the figures
    save = HERE / "results" / "batch_kernels.json"
    save.parent.mkdir(exist_ok=True)
    if args.report:
        report(json.loads(save.read_text()), args)
        return
    results = []
    for _ in range(args.processes):
        out = subprocess.run(argv, env=env, capture_output=True, text=True)
        if out.returncode:
            sys.stderr.write(out.stderr[-4000:])
            raise SystemExit("worker failed")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        save.write_text(json.dumps(results))
    report(results, args)


def report(results: list[dict], args: argparse.Namespace) -> None:
    print(f"command: {method.command_line()}")
    print(
        "method: "
        + method.METHOD.format(processes=len(results))
        + f"; Numba threads for tile4_mt: NUMBA_NUM_THREADS={args.threads} "
        "(the _mt variants are timed with numba.set_num_threads(1), i.e. their overhead on one "
        "thread); epochs per timed call " + str(args.epochs)
    )
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
    peak = med("peak")
    print(
        "one-thread dgemm peak (NumPy 1024^3, best of 5, per process; median over processes): "
        f"{peak:.1f} GFLOP/s "
        "(processes: " + ", ".join(f"{r['peak']:.1f}" for r in results) + ")"
    )
    print(
        "SciPy BLAS import (scipy.linalg.cython_blas, CPU s, median): "
        f"{med('scipy_import_cpu_s'):.3f}"
    )
    names = ["generated", "NumPy", *STEPS, "exp floor", "vexp floor"]
    n = int(results[0]["n"])
    for tag, title in (("sse", "sigmoid / half_sse"), ("ce", "sigmoid / softmax / cross_entropy")):
        print(
            f"\n64-32-10 {title}: ms per epoch ({n} rows, the digits training split); "
            "GFLOP/s (10,112 matmul flop/sample) and % of dgemm peak; NumPy / x"
        )
        batches = sorted(
            {int(k.split("/")[-1]) for k in results[0] if k.startswith(f"t/generated/{tag}/")}
        )
        print(f"  {'batch':>6} " + " ".join(f"{name:>22}" for name in names))
        for b in batches:
            cells = []
            for name in names:
                t = med(f"t/{name}/{tag}/{b}")
                g = n * FLOP_PER_SAMPLE / t / 1e9
                ratio = med(f"t/NumPy/{tag}/{b}") / t
                cells.append(
                    f"{t * 1e3:6.2f} ms"
                    if name.endswith("exp floor")
                    else f"{t * 1e3:6.2f} {g:5.1f} {100 * g / peak:3.0f}% x{ratio:4.2f}"
                )
            print(f"  {b:>6} " + " ".join(f"{c:>22}" for c in cells))
        rel = {
            n: max(r[k] for r in results for k in r if k.startswith(f"rel/{n}/{tag}/"))
            for n in [*STEPS, "NumPy"]
        }
        print(
            "  max relative |dtheta| vs generated after 3 steps (checked <= 1e-12): "
            + ", ".join(f"{n} {v:.1e}" for n, v in rel.items())
        )
        rel3 = {
            n: max(r[k] for r in results for k in r if k.startswith(f"rel3/{n}/{tag}/"))
            for n in [*STEPS, "NumPy"]
        }
        print(
            "  max relative |dtheta| vs generated after 3 epochs "
            "(SGD amplifies rounding; not checked): "
            + ", ".join(f"{n} {v:.1e}" for n, v in rel3.items())
        )
        bit = [k for k in results[0] if k.startswith("bitident") and f"/{tag}/" in k]
        print(
            "  threaded == serial bit for bit (variant, threads, batch): "
            + ", ".join(
                f"{k.split('/')[0][9:]} b{k.split('/')[-1]}: {all(r[k] == 1.0 for r in results)}"
                for k in bit
            )
        )
    first = {
        k.split("/")[1]: med(k)
        for k in results[0]
        if k.startswith("first_call_cpu_s") and k.endswith("/sse")
    }
    print("\nfirst call (cache warm) CPU s: " + ", ".join(f"{k} {v:.2f}" for k, v in first.items()))


if __name__ == "__main__":
    main()
