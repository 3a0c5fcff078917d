"""The sparse-polynomial proof of zero: a zero is a proof, a decided non-zero agrees with SymPy's
``expand``."""

from __future__ import annotations

import random

import sympy as sp

from symbackprop.verify.polynomial import zero_when_multiplied_out

x, y, eta = sp.symbols("x y eta")
a = sp.IndexedBase("a")
sigma = sp.Function("sigma")
ATOMS = [x, y, eta, a[1], a[2]]


def test_identities_multiply_out_to_zero() -> None:
    assert zero_when_multiplied_out((x + y) ** 2 - x**2 - 2 * x * y - y**2) is True
    assert zero_when_multiplied_out(x / y * y**2 - x * y) is True
    expr = eta * (a[1] * (x - 1) + a[2]) / 2
    assert zero_when_multiplied_out(expr - eta * a[1] * x / 2 + (eta * a[1] - eta * a[2]) / 2)
    # a function is kept whole: the same σ(z) on both sides cancels
    s = sigma(x + y)
    assert zero_when_multiplied_out(s * (1 - s) - s + s**2) is True


def test_a_sum_over_an_index_is_split_term_by_term() -> None:
    i, n = sp.symbols("i n")
    split = sp.Sum(a[i] * (x + 1), (i, 1, n)) - sp.Sum(a[i] * x, (i, 1, n))
    assert zero_when_multiplied_out(split - sp.Sum(a[i], (i, 1, n))) is True
    # the mean of one case's term is not that term (no function kept whole: decided)
    assert zero_when_multiplied_out(eta * sp.Sum(a[i], (i, 1, n)) / n - eta * a[i]) is False
    assert sp.expand(eta * sp.Sum(a[i], (i, 1, n)) / n - eta * a[i]) != 0


def test_a_polynomial_that_is_not_zero_is_decided() -> None:
    assert zero_when_multiplied_out((x + y) ** 2 - x**2 - y**2) is False
    assert zero_when_multiplied_out(x / y - y / x) is False


def test_what_is_kept_whole_leaves_a_non_zero_answer_to_sympy() -> None:
    assert zero_when_multiplied_out(sigma(x) - sigma(y)) is None
    assert zero_when_multiplied_out(x / (x + y) + y / (x + y) - 1) is None
    assert zero_when_multiplied_out(sp.Float(0.5) * x - y / 2) is None


def random_expr(rng: random.Random, depth: int) -> sp.Expr:
    if depth == 0 or rng.random() < 0.2:
        pick = rng.random()
        if pick < 0.15:
            return sp.Rational(rng.randint(-3, 3), rng.randint(1, 3))
        if pick < 0.25:
            return sigma(rng.choice(ATOMS))
        return rng.choice(ATOMS)
    kind = rng.choice(["add", "mul", "pow", "neg"])
    if kind == "pow":
        base = random_expr(rng, depth - 1)
        return base ** rng.choice([2, 3, -1, -2]) if base != 0 else base
    if kind == "neg":
        return -random_expr(rng, depth - 1)
    parts = [random_expr(rng, depth - 1) for _ in range(rng.randint(2, 3))]
    return sp.Add(*parts) if kind == "add" else sp.Mul(*parts)


def test_random_differences_agree_with_expand() -> None:
    rng = random.Random(7)
    answered = 0
    for _ in range(150):
        left = random_expr(rng, 3)
        # the same value written another way half the time, so that zeros are common
        right = sp.expand(left) if rng.random() < 0.5 else random_expr(rng, 3)
        try:
            diff = left - right
        except ZeroDivisionError:  # pragma: no cover - SymPy builds zoo instead
            continue
        known = zero_when_multiplied_out(diff)
        if known is not None:
            answered += 1
            assert known == (sp.expand(diff) == 0), diff
    assert answered > 100
