from __future__ import annotations

import pytest
import sympy as sp

from symbackprop.model.activations import ACTIVATIONS, Sigmoid, to_elementary

z, g = sp.symbols("z g", real=True)


CASES = [(name, None) for name in sorted(ACTIVATIONS) if not ACTIVATIONS[name].layerwise] + [
    (n, g) for n, a in ACTIVATIONS.items() if a.takes_gain
]


@pytest.mark.parametrize(("name", "gain"), CASES)
def test_slope_in_terms_of_a_is_the_derivative(name: str, gain: sp.Symbol | None) -> None:
    act = ACTIVATIONS[name]
    forward = act.apply(z, gain)
    slope = act.slope(forward, z, gain)
    true = sp.diff(to_elementary(forward), z)
    for point in (sp.Rational(-7, 3), sp.Rational(1, 5), sp.Rational(13, 4)):
        at = {z: point, g: sp.Rational(3, 2)}
        assert sp.N(to_elementary(slope).subs(at) - true.subs(at), 40) == pytest.approx(
            0, abs=1e-35
        )
    # the display twin is the same expression
    assert sp.simplify(act.slope_display(forward, z, gain).doit() - slope) == 0


def test_sigmoid_derivative_stays_sigma_one_minus_sigma() -> None:
    s = Sigmoid(z)
    assert sp.diff(s, z) == s * (1 - s)
    assert sp.diff(Sigmoid(z, g), z) == g * Sigmoid(z, g) * (1 - Sigmoid(z, g))
    assert not sp.diff(s, z).has(sp.exp)


def test_sigmoid_values() -> None:
    assert Sigmoid(0) == sp.Rational(1, 2)
    assert sp.N(Sigmoid(sp.Rational(-4, 100)), 10) == pytest.approx(0.4900013, abs=1e-7)


def test_softmax_jacobian_is_the_derivative() -> None:
    zs = sp.symbols("z1:4", real=True)
    softmax = ACTIVATIONS["softmax"]
    assert softmax.apply_layer is not None and softmax.jacobian is not None
    a = softmax.apply_layer(zs)
    assert sp.simplify(sp.Add(*a) - 1) == 0
    for i in range(3):
        for j in range(3):
            value, shown = softmax.jacobian(a, i, j)
            assert sp.simplify(value - sp.diff(a[i], zs[j])) == 0
            assert sp.simplify(shown.doit() - value) == 0
