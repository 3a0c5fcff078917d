"""Per-example marks (x^{(i)}, a^{[2](i)}, a^{(2)\\langle i\\rangle}) and sums over the cases.

Expected verdicts come from mpmath central differences of a mean-squared loss over three
cases written out here, never from the tool.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import mpmath as mp
import pytest

from symbackprop.api import derive
from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import inline, resolve
from symbackprop.verify.claim import Claim, Verdict, context
from symbackprop.verify.steps import verify

mp.mp.dps = 40
N = 3
Case = dict[str, mp.mpf]


def sig(t: mp.mpf) -> mp.mpf:
    return 1 / (1 + mp.exp(-t))


def forward(theta: dict[str, mp.mpf], x: list[mp.mpf], y: mp.mpf) -> tuple[mp.mpf, Case]:
    """2-2-1 sigmoid network with biases; the case's error 1/2 (a - y)^2 and its quantities."""
    a1 = [
        sig(theta[f"w1_{j}_1"] * x[0] + theta[f"w1_{j}_2"] * x[1] + theta[f"b1_{j}"])
        for j in (1, 2)
    ]
    a2 = sig(theta["w2_1_1"] * a1[0] + theta["w2_1_2"] * a1[1] + theta["b2_1"])
    return (a2 - y) ** 2 / 2, {"a1_1": a1[0], "a2_1": a2, "x1": x[0], "y1": y}


def holds(formula: Callable[[list[Case]], mp.mpf], per_case: bool = False) -> bool:
    """Whether ``formula`` (of the cases' quantities) is dE/dw2_1_1 at random points, with
    E the mean of the cases' errors (or, per_case, case 1's error alone)."""
    rng = random.Random(11)
    names = [f"w1_{j}_{k}" for j in (1, 2) for k in (1, 2)] + ["b1_1", "b1_2"]
    names += ["w2_1_1", "w2_1_2", "b2_1"]
    for _ in range(3):
        theta = {k: mp.mpf(rng.uniform(-1, 1)) for k in names}
        data = [
            ([mp.mpf(rng.uniform(-1, 1)) for _ in range(2)], mp.mpf(rng.random())) for _ in range(N)
        ]

        def loss(dw: mp.mpf) -> mp.mpf:
            moved = {**theta, "w2_1_1": theta["w2_1_1"] + dw}  # noqa: B023
            errors = [forward(moved, x, y)[0] for x, y in data]  # noqa: B023
            return errors[0] if per_case else mp.fsum(errors) / N

        h = mp.mpf(10) ** -15
        true = (loss(h) - loss(-h)) / (2 * h)
        claimed = formula([forward(theta, x, y)[1] for x, y in data])
        if abs(claimed - true) > mp.mpf(10) ** -20 * (1 + abs(true)):
            return False
    return True


def term(c: Case, last: str = "a1_1") -> mp.mpf:
    return (c["a2_1"] - c["y1"]) * c["a2_1"] * (1 - c["a2_1"]) * c[last]


TERM = r"(a^{(2)%s}_{1} - y^{%s}_{1}) a^{(2)%s}_{1} (1 - a^{(2)%s}_{1}) %s"
GRAD = r"\frac{\partial E}{\partial w^{(2)}_{1,1}} = "
CASES: dict[str, tuple[str, Callable[[list[Case]], mp.mpf], bool]] = {
    "mean, angle marks": (
        GRAD
        + r"\frac{1}{n}\sum_{i=1}^{n} "
        + TERM
        % (
            r"\langle i\rangle",
            r"\langle i\rangle",
            r"\langle i\rangle",
            r"\langle i\rangle",
            r"a^{(1)\langle i\rangle}_{1}",
        ),
        lambda cs: mp.fsum(term(c) for c in cs) / N,
        False,
    ),
    "mean, paren marks, no limits": (
        GRAD + r"\frac{1}{n}\sum_{i} " + TERM % ("(i)", "(i)", "(i)", "(i)", "a^{(1)(i)}_{1}"),
        lambda cs: mp.fsum(term(c) for c in cs) / N,
        False,
    ),
    "forgotten 1/n": (
        GRAD + r"\sum_{i=1}^{n} " + TERM % ("(i)", "(i)", "(i)", "(i)", "a^{(1)(i)}_{1}"),
        lambda cs: mp.fsum(term(c) for c in cs),
        False,
    ),
    "input for the hidden activation": (
        GRAD + r"\frac{1}{n}\sum_{i=1}^{n} " + TERM % ("(i)", "(i)", "(i)", "(i)", "x^{(i)}_{1}"),
        lambda cs: mp.fsum(term(c, "x1") for c in cs) / N,
        False,
    ),
    "one case's error": (
        r"\frac{\partial E_i}{\partial w^{(2)}_{1,1}} = "
        + TERM % ("(i)", "(i)", "(i)", "(i)", "a^{(1)(i)}_{1}"),
        lambda cs: term(cs[0]),
        True,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_per_example_marks_and_sums_over_cases(name: str) -> None:
    latex, formula, per_case = CASES[name]
    expected = Verdict.HOLDS if holds(formula, per_case) else Verdict.FAILS
    outcomes = verify(context(inline("2-2-1", mean=True)), Claim(latex), limits=None)
    assert [o.verdict for o in outcomes] == [expected], outcomes


def test_the_oracle_rejects_the_wrong_variants() -> None:
    verdicts = {name: holds(f, per_case) for name, (_, f, per_case) in CASES.items()}
    assert (
        verdicts["forgotten 1/n"] is False and verdicts["input for the hidden activation"] is False
    )
    assert verdicts["mean, angle marks"] is True


def test_a_bare_letter_superscript_is_not_a_case_mark() -> None:
    claim = GRAD + r"\frac{1}{n}\sum_{i} (a^{(2)i}_{1} - y_{1}) a^{(1)}_{1}"
    with pytest.raises(SymbackpropError, match=r"unknown symbol a\^\{\(2\)i\}_\{1\}"):
        verify(context(inline("2-2-1", mean=True)), Claim(claim), limits=None)


@pytest.mark.parametrize("spec", ["2-2-1", "essay"])
def test_derive_output_over_cases_reads_back(spec: str) -> None:
    """What ``derive`` prints for a mean over cases (braced names with ⟨i⟩ marks, a sum of a
    negative term) is read back by the verifier as the same gradient."""
    net_spec = resolve(spec, mean=True)
    result = derive(net_spec, None, None)
    lines = result.latex()
    assert any(r"\langle i\rangle" in line for line in lines)
    ctx = context(net_spec)
    for line in lines[:: max(1, len(lines) // 4)]:
        outcomes = verify(ctx, Claim(line), limits=None)
        assert [o.verdict for o in outcomes] == [Verdict.HOLDS], line
