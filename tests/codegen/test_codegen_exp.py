"""The scalar exp of the generated modules (_exp, _exp_near and its tables, _fma, _sigmoid)
against mpmath at 50 digits, their special values, and the jitted code against the same
functions run as Python."""

from __future__ import annotations

import importlib
import math
from types import ModuleType

import mpmath
import numba
import numpy as np
import pytest

from tests.codegen_support import ROOT  # noqa: F401  (puts the repository on sys.path)


@pytest.fixture(scope="module")
def mod() -> ModuleType:
    return importlib.import_module("generated.xor_bias")


def ulps(got: float, x: float) -> float:
    """|got - exp(x)| in units in the last place of exp(x)."""
    want = mpmath.exp(mpmath.mpf(x))
    return float(abs(mpmath.mpf(got) - want) / math.ulp(float(want)))


def points() -> np.ndarray:
    rng = np.random.default_rng(11)
    edges = [0.0, -0.0, 1e-300, -1e-300, 1e-3, 0.00067690, -0.00067690, 1.0, -1.0]
    edges += [699.999, -699.999, 660.5, -660.5]
    wide, near = rng.uniform(-700.0, 700.0, 2500), rng.uniform(-5.0, 5.0, 1500)
    return np.concatenate([wide, near, edges])


def test_exp_within_0_7_ulp(mod: ModuleType) -> None:
    mpmath.mp.dps = 50
    worst = max(ulps(mod._exp(float(x)), float(x)) for x in points())
    assert worst < 0.7


def test_exp_beyond_the_table_and_special_values(mod: ModuleType) -> None:
    exp = mod._exp
    for x in (700.0, 709.7, -700.0, -708.5, -745.0):  # math.exp's own range ends
        assert exp(x) == math.exp(x)
    assert exp(710.0) == math.inf and exp(math.inf) == math.inf and exp(1e300) == math.inf
    assert exp(-746.0) == 0.0 and exp(-math.inf) == 0.0
    assert math.isnan(exp(math.nan))
    assert exp(0.0) == 1.0 and exp(-0.0) == 1.0 and exp(1.0) == math.e


def test_jitted_exp_and_sigmoid_equal_their_python(mod: ModuleType) -> None:
    xs = points()[::7]
    for f in (mod._exp_near, mod._sigmoid):
        for x in xs if f is mod._sigmoid else xs[np.abs(xs) < 700]:
            assert f(float(x)) == f.py_func(float(x)), (f, x)


def test_tables_are_the_exact_powers_of_two(mod: ModuleType) -> None:
    mpmath.mp.dps = 50
    ln2 = mpmath.log(2)
    assert float(512 / ln2) == mod._EXP_K and -float(ln2 / 512) == mod._EXP_LN2_HI
    assert mpmath.mpf(-mod._EXP_LN2_HI) - mpmath.mpf(mod._EXP_LN2_LO) == pytest.approx(
        ln2 / 512, rel=1e-30
    )
    for j in range(0, 512, 5):
        exact = mpmath.power(2, mpmath.mpf(j) / 512)
        near = np.int64(mod._EXP_HI[j] + (j << 43)).view(np.float64)
        assert near == float(exact)
        assert mpmath.mpf(near) * (1 + mpmath.mpf(mod._EXP_REST[j])) == pytest.approx(
            exact, rel=1e-30
        )


def triples() -> list[tuple[float, float, float]]:
    rng = np.random.default_rng(3)
    out = []
    for _ in range(300):
        x, y = (float(v) for v in rng.uniform(-4, 4, 2) * 10.0 ** rng.integers(-5, 5, 2))
        out += [(x, y, float(rng.normal())), (x, y, -(x * y))]  # the second: cancellation
    return [*out, (1e308, 10.0, -1e308), (0.1, 0.1, -0.01), (-0.0, 1.0, -0.0), (3.0, 1.0, 0.5)]


@pytest.mark.parametrize("python_fma", [True, False])
def test_fma_rounds_once(mod: ModuleType, python_fma: bool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if not python_fma:
        monkeypatch.delattr(math, "fma", raising=False)  # the fractions path of Python < 3.13
    elif not hasattr(math, "fma"):
        pytest.skip("math.fma is Python 3.13 and later")
    jitted = numba.njit(lambda x, y, z: mod._fma(x, y, z))
    mpmath.mp.prec = 53
    try:
        for x, y, z in triples():
            want = mpmath.fadd(mpmath.fmul(x, y, exact=True), z)  # rounded once, to 53 bits
            want = float(want) if abs(want) < 1.8e308 else math.copysign(math.inf, want)
            got = mod._fma(x, y, z)
            assert got == want and jitted(x, y, z) == got, (x, y, z)
        assert math.copysign(1.0, mod._fma(-0.0, 1.0, -0.0)) == -1.0
    finally:
        mpmath.mp.dps = 15


def test_sigmoid_against_mpmath(mod: ModuleType) -> None:
    mpmath.mp.dps = 50
    for z in np.concatenate([np.linspace(-50, 50, 1001), [-699.9, 699.9, -36.0, 40.0]]):
        want = 1 / (1 + mpmath.exp(-mpmath.mpf(float(z))))
        assert abs(mod._sigmoid(float(z)) - want) <= 3.4e-16 * want, z
