"""The batch pass's vectorisable _vexp and _vsigmoid of the loop modules: against mpmath at 50
digits, their special values, and the jitted code against the same functions run as Python."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import mpmath
import numpy as np
import pytest

from symbackprop.codegen.output import generate
from symbackprop.model.spec import inline
from symbackprop.train.runs import import_path


@pytest.fixture(scope="module")
def loops(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    spec = inline("3-4-2", activation=["sigmoid", "softmax"], loss="cross_entropy")
    (path,) = generate(spec, Path(tmp_path_factory.mktemp("vexp")), 1.0, "loops")
    return import_path(path)


def points() -> np.ndarray:
    """Random points over the whole finite range of exp, plus the edges of its reduction."""
    rng = np.random.default_rng(7)
    edges = [0.0, -0.0, 1e-300, -1e-300, 0.34657359, -0.34657359, 1.0, -1.0, 708.0, -708.0]
    edges += [709.78, -744.0, -745.1, 36.5, -36.5]
    return np.concatenate([rng.uniform(-745.0, 709.7, 3000), rng.uniform(-40, 40, 3000), edges])


def test_vexp_within_one_ulp_of_exp(loops: ModuleType) -> None:
    mpmath.mp.dps = 50
    for x in points():
        got = loops._vexp(float(x))
        want = mpmath.exp(mpmath.mpf(float(x)))
        if want < mpmath.mpf(2.2250738585072014e-308):  # subnormal: an absolute bound
            assert abs(got - want) <= mpmath.mpf(5e-324), x
        else:
            assert abs(got - want) <= 2.3e-16 * want, x
        assert abs(got - math.exp(x)) <= 2.3e-16 * math.exp(x) + 5e-324, x


def test_vexp_is_exp_near_where_normal(loops: ModuleType) -> None:
    """Where exp(x) is a normal number, _vexp's two halves of 2^m are exact: the bits of the
    scalar _exp_near, whose steps it takes; below, its subnormal results are within 1 ulp."""
    xs = points()
    for x in xs[(xs > -708.0) & (xs < 700.0)]:
        assert loops._vexp(float(x)) == loops._exp_near(float(x)), x
    mpmath.mp.dps = 50
    for x in np.random.default_rng(5).uniform(-745.2, -708.4, 400):
        want = mpmath.exp(mpmath.mpf(float(x)))
        assert abs(loops._vexp(float(x)) - want) <= mpmath.mpf(5e-324), x


def test_vexp_special_values(loops: ModuleType) -> None:
    vexp = loops._vexp
    assert vexp(0.0) == 1.0
    assert vexp(710.0) == math.inf and vexp(1e300) == math.inf and vexp(math.inf) == math.inf
    assert vexp(709.7) == pytest.approx(math.exp(709.7), rel=3e-16)
    assert vexp(-746.0) == 0.0 and vexp(-1e300) == 0.0 and vexp(-math.inf) == 0.0
    assert math.isnan(vexp(math.nan))


def test_vsigmoid_against_mpmath(loops: ModuleType) -> None:
    mpmath.mp.dps = 50
    for z in np.concatenate([np.linspace(-50, 50, 2001), [-700.0, -720.0, 40.0, 800.0]]):
        want = 1 / (1 + mpmath.exp(-mpmath.mpf(float(z))))
        # below z = -710 (exp(-z) overflows) it is 0: off by less than 3e-308
        assert abs(loops._vsigmoid(float(z)) - want) <= 4.5e-16 * want + 3e-308, z
    assert loops._vsigmoid(-800.0) == 0.0 and loops._vsigmoid(800.0) == 1.0
    assert math.isnan(loops._vsigmoid(math.nan))


def test_jitted_equals_python(loops: ModuleType) -> None:
    """The same bits from the machine code and from the Python source (.py_func)."""
    for x in points()[::7]:
        assert loops._vexp(float(x)) == loops._vexp.py_func(float(x)), x
        assert loops._vsigmoid(float(x) / 10) == loops._vsigmoid.py_func(float(x) / 10), x


def test_gemm_against_numpy(loops: ModuleType) -> None:
    """_gemm: C = op(A) op(B) + beta C for every transpose (machine code only: the BLAS call
    through Numba's helper has no Python form)."""
    rng = np.random.default_rng(3)
    scal = np.empty(2)
    for ta in (False, True):
        for tb in (False, True):
            a = rng.normal(size=(5, 3) if ta else (3, 5))
            b = rng.normal(size=(4, 5) if tb else (5, 4))
            c0 = rng.normal(size=(3, 4))
            want = (a.T if ta else a) @ (b.T if tb else b) + 0.5 * c0
            c = c0.copy()
            loops._gemm(a, ta, b, tb, c, 0.5, scal)
            np.testing.assert_allclose(c, want, rtol=1e-13, atol=1e-14)
