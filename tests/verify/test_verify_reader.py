"""Standard LaTeX of the textbooks: powers and primes of functions, indicators, updates as
printed, sums without limits, Hadamard products and transposes.

Every expected verdict comes from numbers: the claim is written here by hand as a function
of the network's values (mpmath, 60 digits), the truth is a central difference of the
closed-form error (``tests.helpers``); the tool's verdict must agree. The diagnoses of the
wrong variants are pinned: their wording is the product's.
"""

from __future__ import annotations

import mpmath
import pytest

from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.verify.handvalues import FAILS, Case, Q, S, dS, dT, expected, spec_of

W213 = "w2_1_3"  # w^{(2)}_{1,3} of 2-3-2: dE/dw = (a - y) a(1 - a) a^{(1)}_3
A, Y, Z, H = r"a^{(2)}_{1}", r"y_{1}", r"z^{(2)}_{1}", r"a^{(1)}_{3}"
ERR = f"({A} - {Y})"


def g213(q: Q) -> mpmath.mpf:
    return q.a(2, 1) - q.y(1)


def _maren_hidden_gradient(q: Q) -> mpmath.mpf:
    """dE/dv of Maren's hidden weight w1_2_1 (gain alpha, outputs 1 and 2), from the numbers."""
    return (
        -(q.gain**2)
        * sum(
            (q.y(o) - q.a(2, o))
            * S(q.gain * q.z(2, o))
            * (1 - S(q.gain * q.z(2, o)))
            * q.w(f"w2_{o}_2")
            for o in (1, 2)
        )
        * S(q.gain * q.z(1, 2))
        * (1 - S(q.gain * q.z(1, 2)))
        * q.x(1)
    )


CASES = [
    # -- powers of functions -------------------------------------------------------------
    Case(
        "2-3-2",
        W213,
        rf"{ERR} (\sigma({Z}) - \sigma({Z})^2) {H}",
        "gradient",
        lambda q: g213(q) * (S(q.z(2, 1)) - S(q.z(2, 1)) ** 2) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"{ERR} (\sigma({Z}) - \sigma^2({Z})) {H}",
        "gradient",
        lambda q: g213(q) * (S(q.z(2, 1)) - S(q.z(2, 1)) ** 2) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"{ERR} \sigma({Z})^2 {H}",
        "gradient",
        lambda q: g213(q) * S(q.z(2, 1)) ** 2 * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"{ERR} (\sigma({Z}) - \sigma(({Z})^2)) {H}",
        "gradient",
        lambda q: g213(q) * (S(q.z(2, 1)) - S(q.z(2, 1) ** 2)) * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh",
        W213,
        rf"{ERR} (1 - \tanh^2({Z})) {H}",
        "gradient",
        lambda q: g213(q) * dT(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh",
        W213,
        rf"{ERR} (1 - \tanh({Z})^2) {H}",
        "gradient",
        lambda q: g213(q) * dT(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh",
        W213,
        rf"{ERR} \tanh'({Z}) {H}",
        "gradient",
        lambda q: g213(q) * dT(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh",
        W213,
        rf"{ERR} (1 - \tanh(({Z})^2)) {H}",
        "gradient",
        lambda q: g213(q) * (1 - mpmath.tanh(q.z(2, 1) ** 2)) * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh",
        W213,
        rf"{ERR} \tanh^2({Z}) {H}",
        "gradient",
        lambda q: g213(q) * mpmath.tanh(q.z(2, 1)) ** 2 * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh",
        W213,
        rf"{ERR} \tanh^{{-1}}({A}) {H}",
        "gradient",
        lambda q: g213(q) * mpmath.atanh(q.a(2, 1)) * q.a(1, 3),
    ),
    # -- primes on any function name ---------------------------------------------------------
    Case(
        "2-3-2",
        W213,
        rf"{ERR} f'({Z}) {H}",
        "gradient",
        lambda q: g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"{ERR} \sigma^{{\prime}}({Z}) {H}",
        "gradient",
        lambda q: g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"{ERR} \sigma^{{'}}({Z}) {H}",
        "gradient",
        lambda q: g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"{ERR} \varphi^{{\prime}}({Z}) {H}",
        "gradient",
        lambda q: g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh,sigmoid",
        W213,
        rf"{ERR} g^{{[2]\prime}}({Z}) {H}",
        "gradient",
        lambda q: g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh,sigmoid",
        W213,
        rf"{ERR} g^{{[1]\prime}}({Z}) {H}",
        "gradient",
        lambda q: g213(q) * dT(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"{ERR} \sigma'({A}) {H}",
        "gradient",
        lambda q: g213(q) * dS(q.a(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh,sigmoid",
        W213,
        rf"{ERR} h'({A}) {H}",
        "gradient",
        lambda q: g213(q) * dS(q.a(2, 1)) * q.a(1, 3),
    ),
    Case(
        "sears-xor",
        "w2_1_1",
        r"\alpha (y - \hat{y}) f'_j(\text{net}_{\hat{y}}) \varphi_1",
        "update",
        lambda q: q.lr * (q.y(1) - q.a(2, 1)) * dS(q.z(2, 1)) * q.a(1, 1),
    ),
    # -- an unnamed net input -------------------------------------------------------------
    Case(
        "2-3-2",
        W213,
        rf"{ERR} \sigma'(w^{{(2)}}_{{1,1}} a^{{(1)}}_1 + w^{{(2)}}_{{1,2}} a^{{(1)}}_2 +"
        rf" w^{{(2)}}_{{1,3}} a^{{(1)}}_3 + b^{{(2)}}_1) {H}",
        "gradient",
        lambda q: g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "sears-xor",
        "w2_1_1",
        r"\alpha (y - \hat{y}) \varphi^{\prime}(w_1 \varphi_1 + w_2 \varphi_2) \varphi_1",
        "update",
        lambda q: q.lr * (q.y(1) - q.a(2, 1)) * dS(q.z(2, 1)) * q.a(1, 1),
    ),
    # -- indicators: the ReLU slope -----------------------------------------------------------
    Case(
        "2-3-2:relu",
        W213,
        rf"{ERR} \mathbb{{1}}({Z} > 0) {H}",
        "gradient",
        lambda q: g213(q) * (1 if q.z(2, 1) > 0 else 0) * q.a(1, 3),
    ),
    Case(
        "2-3-2:relu",
        W213,
        rf"{ERR} 1\{{{Z}>0\}} {H}",
        "gradient",
        lambda q: g213(q) * (1 if q.z(2, 1) > 0 else 0) * q.a(1, 3),
    ),
    # -- wrong chains: one factor, a sign, a constant ---------------------------------------
    Case(
        "2-3-2",
        W213,
        rf"\sigma'({Z}) {H}",
        "gradient",
        lambda q: dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"-{ERR} \sigma'({Z}) {H}",
        "gradient",
        lambda q: -g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"2 {ERR} \sigma'({Z}) {H}",
        "gradient",
        lambda q: 2 * g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2:tanh",
        W213,
        rf"{ERR} (1 - {A}) {H}",
        "gradient",
        lambda q: g213(q) * (1 - q.a(2, 1)) * q.a(1, 3),
    ),
    Case(
        "sears-xor",
        "w2_1_1",
        r"\alpha (y - \hat{y}) \varphi_{\hat{y}} (1 - \varphi_{\hat{y}}) \varphi_1 w_1",
        "update",
        lambda q: q.lr * (q.y(1) - q.a(2, 1)) * dS(q.z(2, 1)) * q.a(1, 1) * q.w("w2_1_1"),
    ),
    # -- updates as texts print them ------------------------------------------------------
    Case(
        "2-3-2",
        W213,
        rf"w^{{(2)}}_{{1,3}} \leftarrow w^{{(2)}}_{{1,3}} - \eta {ERR} \sigma'({Z}) {H}",
        "new",
        lambda q: q.w(W213) - q.lr * g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"w^{{(2)}}_{{1,3}} := w^{{(2)}}_{{1,3}} - \eta {ERR} \sigma'({Z}) {H}",
        "new",
        lambda q: q.w(W213) - q.lr * g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"w^{{(2)}}_{{1,3}} \leftarrow w^{{(2)}}_{{1,3}} + \eta {ERR} \sigma'({Z}) {H}",
        "new",
        lambda q: q.w(W213) + q.lr * g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "sears-xor",
        "w2_1_1",
        r"w_{1}(n+1) = w_{1}(n) + \alpha (y - \hat{y}) \varphi_{\hat{y}} (1 - \varphi_{\hat{y}})"
        r" \varphi_1",
        "new",
        lambda q: q.w("w2_1_1") + q.lr * (q.y(1) - q.a(2, 1)) * dS(q.z(2, 1)) * q.a(1, 1),
    ),
    Case(
        "sears-xor",
        "w2_1_1",
        r"w_{1}^{(t+1)} = w_{1}^{(t)} + \alpha (y - \hat{y}) \varphi_{\hat{y}} (1 -"
        r" \varphi_{\hat{y}}) \varphi_1",
        "new",
        lambda q: q.w("w2_1_1") + q.lr * (q.y(1) - q.a(2, 1)) * dS(q.z(2, 1)) * q.a(1, 1),
    ),
    Case(
        "sears-xor",
        "w2_1_1",
        r"w_{1}^{(r+1)} = w_{1}^{(r)} - \alpha (y - \hat{y}) \varphi_{\hat{y}} (1 -"
        r" \varphi_{\hat{y}}) \varphi_1",
        "new",
        lambda q: q.w("w2_1_1") - q.lr * (q.y(1) - q.a(2, 1)) * dS(q.z(2, 1)) * q.a(1, 1),
    ),
    Case(
        "sears-xor",
        "w2_1_1",
        r"w_{1}(n+1) = w_{1}(n) + \alpha (y - \hat{y}) \varphi_{\hat{y}} \varphi_1",
        "new",
        lambda q: q.w("w2_1_1") + q.lr * (q.y(1) - q.a(2, 1)) * S(q.z(2, 1)) * q.a(1, 1),
    ),
    # -- Hadamard products, transposes, \nabla_a --------------------------------------------
    Case(
        "2-3-2",
        W213,
        rf"\nabla_{{{A}}} E \odot \sigma'({Z}) ({H})^T",
        "gradient",
        lambda q: g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"{ERR} \circ \sigma'({Z}) ({H})^{{\top}}",
        "gradient",
        lambda q: g213(q) * dS(q.z(2, 1)) * q.a(1, 3),
    ),
    Case(
        "2-3-2",
        W213,
        rf"\nabla_{{{A}}} E \odot \sigma'({Z})",
        "gradient",
        lambda q: g213(q) * dS(q.z(2, 1)),
    ),
    # -- several factors missing: a hidden weight --------------------------------------------
    Case(
        "2-3-2",
        "w1_1_1",
        r"\sum_{j=1}^{2} (a^{(2)}_{j} - y_{j}) \sigma'(z^{(2)}_{j}) x_{1}",
        "gradient",
        lambda q: sum((q.a(2, j) - q.y(j)) * dS(q.z(2, j)) for j in (1, 2)) * q.x(1),
    ),
    Case(
        "sears-xor",
        "w1_1_1",
        r"-\alpha (y - \hat{y}) \varphi_{\hat{y}} (1 - \varphi_{\hat{y}}) i_1",
        "update",
        lambda q: -q.lr * (q.y(1) - q.a(2, 1)) * dS(q.z(2, 1)) * q.x(1),
    ),
    # -- sums without written limits, over a named set, up to a count letter -----------------
    Case(
        "maren",
        "w1_2_1",
        r"-\alpha \sum_q E_q \mathcal{F}_q (1-\mathcal{F}_q) v_{h,q} \alpha H_h (1 - H_h) I_i",
        "gradient",
        _maren_hidden_gradient,
    ),
    Case(
        "maren",
        "w1_2_1",
        r"-\alpha \sum_{q=1}^{P} E_q \mathcal{F}_q (1-\mathcal{F}_q) v_{h,q} \alpha H_h (1 - H_h)"
        r" I_i",
        "gradient",
        _maren_hidden_gradient,
    ),
    Case(
        "maren",
        "w1_2_1",
        r"-\alpha \sum_o E_o \mathcal{F}_o (1-\mathcal{F}_o) v_{h,o} \alpha H_h (1 - H_h) I_i",
        "gradient",
        _maren_hidden_gradient,
    ),
    Case(
        "maren",
        "w1_2_1",
        r"-\alpha \sum_{o=1}^{m} E_o \mathcal{F}_o (1-\mathcal{F}_o) v_{h,o} \alpha H_h (1 - H_h)"
        r" I_i",
        "gradient",
        _maren_hidden_gradient,
    ),
    Case(
        "maren",
        "w1_2_1",
        r"-\alpha \sum_{o \in \text{outputs}} E_o \mathcal{F}_o (1-\mathcal{F}_o) v_{h,o} H_h (1 -"
        r" H_h) I_i",
        "gradient",
        lambda q: (
            -q.gain
            * sum(
                (q.y(o) - q.a(2, o))
                * S(q.gain * q.z(2, o))
                * (1 - S(q.gain * q.z(2, o)))
                * q.w(f"w2_{o}_2")
                for o in (1, 2)
            )
            * S(q.gain * q.z(1, 2))
            * (1 - S(q.gain * q.z(1, 2)))
            * q.x(1)
        ),
    ),
    Case(
        "maren",
        "w1_2_1",
        r"-\alpha \sum_o E_o \mathcal{F}_o v_{h,o} \alpha H_h (1 - H_h) I_i",
        "gradient",
        lambda q: (
            -(q.gain**2)
            * sum((q.y(o) - q.a(2, o)) * S(q.gain * q.z(2, o)) * q.w(f"w2_{o}_2") for o in (1, 2))
            * S(q.gain * q.z(1, 2))
            * (1 - S(q.gain * q.z(1, 2)))
            * q.x(1)
        ),
    ),
]

IDS = [f"{c.spec}:{c.latex[:60]}" for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_verdict_agrees_with_the_numbers(case: Case) -> None:
    want = expected(case)
    ctx = context(spec_of(case.spec))
    outcomes = verify(ctx, Claim(case.latex, param=case.pid, kind=case.kind))
    got = min(o.verdict for o in outcomes)
    assert got == want, [o.diagnosis for o in outcomes]
    if want == FAILS:
        pinned = DIAGNOSES[(case.spec, case.latex)]
        assert [o.factor for o in outcomes] == [pinned] * len(outcomes)
        assert all(len(o.ratio) <= 120 for o in outcomes)
        assert all(o.counterexample.startswith("at ") for o in outcomes)


def test_enough_wrong_variants_are_pinned() -> None:
    assert len(DIAGNOSES) >= 20


# The pinned factor lines of the wrong variants (the product's wording; verdicts: the numbers).
DIAGNOSES = {
    (
        "2-3-2",
        "(a^{(2)}_{1} - y_{1}) \\sigma(z^{(2)}_{1})^2 a^{(1)}_{3}",
    ): (
        "the factor \\frac{\\partial a^{(2)}_{1}}{\\partial z^{(2)}_{1}} is"
        " \\left(a^{(2)}_{1}\\right)^{2} in the claim where a^{(2)}_{1} \\left(1 -"
        " a^{(2)}_{1}\\right) belongs"
    ),
    (
        "2-3-2",
        "(a^{(2)}_{1} - y_{1}) (\\sigma(z^{(2)}_{1}) - \\sigma((z^{(2)}_{1})^2)) a^{(1)}_{3}",
    ): (
        "the factor \\frac{\\partial a^{(2)}_{1}}{\\partial z^{(2)}_{1}} is a^{(2)}_{1} -"
        " \\sigma\\left(\\left(z^{(2)}_{1}\\right)^{2}\\right) in the claim where a^{(2)}_{1}"
        " \\left(1 - a^{(2)}_{1}\\right) belongs"
    ),
    (
        "2-3-2:tanh",
        "(a^{(2)}_{1} - y_{1}) (1 - \\tanh((z^{(2)}_{1})^2)) a^{(1)}_{3}",
    ): (
        "the factor \\frac{\\partial a^{(2)}_{1}}{\\partial z^{(2)}_{1}} is 1 -"
        " \\tanh{\\left(\\left(z^{(2)}_{1}\\right)^{2} \\right)} in the claim where 1 -"
        " \\left(a^{(2)}_{1}\\right)^{2} belongs"
    ),
    (
        "2-3-2:tanh",
        "(a^{(2)}_{1} - y_{1}) \\tanh^2(z^{(2)}_{1}) a^{(1)}_{3}",
    ): (
        "the factor \\frac{\\partial a^{(2)}_{1}}{\\partial z^{(2)}_{1}} is"
        " \\left(a^{(2)}_{1}\\right)^{2} in the claim where 1 - \\left(a^{(2)}_{1}\\right)^{2}"
        " belongs"
    ),
    (
        "2-3-2:tanh",
        "(a^{(2)}_{1} - y_{1}) \\tanh^{-1}(a^{(2)}_{1}) a^{(1)}_{3}",
    ): (
        "the factor \\frac{\\partial a^{(2)}_{1}}{\\partial z^{(2)}_{1}} is"
        " \\operatorname{atanh}{\\left(a^{(2)}_{1} \\right)} in the claim where 1 -"
        " \\left(a^{(2)}_{1}\\right)^{2} belongs"
    ),
    (
        "2-3-2:tanh,sigmoid",
        "(a^{(2)}_{1} - y_{1}) g^{[1]\\prime}(z^{(2)}_{1}) a^{(1)}_{3}",
    ): (
        "missing: a^{(2)}_{1} \\left(1 - a^{(2)}_{1}\\right) (the factor \\frac{\\partial"
        " a^{(2)}_{1}}{\\partial z^{(2)}_{1}}); extra: 1 + \\tanh{\\left(z^{(2)}_{1} \\right)} and"
        " 1 - \\tanh{\\left(z^{(2)}_{1} \\right)}"
    ),
    (
        "2-3-2",
        "(a^{(2)}_{1} - y_{1}) \\sigma'(a^{(2)}_{1}) a^{(1)}_{3}",
    ): (
        "the activation function is applied to the activation a^{(2)}_{1}: its slope belongs at the"
        " net input z^{(2)}_{1}; missing: a^{(2)}_{1} \\left(1 - a^{(2)}_{1}\\right) (the factor"
        " \\frac{\\partial a^{(2)}_{1}}{\\partial z^{(2)}_{1}}); extra: 1 -"
        " \\sigma\\left(a^{(2)}_{1}\\right) and \\sigma\\left(a^{(2)}_{1}\\right)"
    ),
    (
        "2-3-2:tanh,sigmoid",
        "(a^{(2)}_{1} - y_{1}) h'(a^{(2)}_{1}) a^{(1)}_{3}",
    ): (
        "the activation function is applied to the activation a^{(2)}_{1}: its slope belongs at the"
        " net input z^{(2)}_{1}; missing: a^{(2)}_{1} \\left(1 - a^{(2)}_{1}\\right) (the factor"
        " \\frac{\\partial a^{(2)}_{1}}{\\partial z^{(2)}_{1}}); extra: 1 -"
        " \\sigma\\left(a^{(2)}_{1}\\right) and \\sigma\\left(a^{(2)}_{1}\\right)"
    ),
    (
        "2-3-2",
        "\\sigma'(z^{(2)}_{1}) a^{(1)}_{3}",
    ): (
        "the factor \\frac{\\partial E}{\\partial a^{(2)}_{1}} is 1 in the claim where a^{(2)}_{1}"
        " - y_{1} belongs"
    ),
    (
        "2-3-2",
        "-(a^{(2)}_{1} - y_{1}) \\sigma'(z^{(2)}_{1}) a^{(1)}_{3}",
    ): "the sign is wrong: the claim is the negative of the truth",
    (
        "2-3-2",
        "2 (a^{(2)}_{1} - y_{1}) \\sigma'(z^{(2)}_{1}) a^{(1)}_{3}",
    ): "a constant factor 2 is wrong",
    (
        "2-3-2:tanh",
        "(a^{(2)}_{1} - y_{1}) (1 - a^{(2)}_{1}) a^{(1)}_{3}",
    ): (
        "the factor \\frac{\\partial a^{(2)}_{1}}{\\partial z^{(2)}_{1}} is 1 - a^{(2)}_{1} in the"
        " claim where 1 - \\left(a^{(2)}_{1}\\right)^{2} belongs"
    ),
    (
        "sears-xor",
        "\\alpha (y - \\hat{y}) \\varphi_{\\hat{y}} (1 - \\varphi_{\\hat{y}}) \\varphi_1 w_1",
    ): (
        "the factor \\frac{\\partial \\text{net}_{\\hat{y}}}{\\partial w_{1}} is \\varphi_{1} w_{1}"
        " in the claim where \\varphi_{1} belongs"
    ),
    (
        "2-3-2",
        "w^{(2)}_{1,3} \\leftarrow w^{(2)}_{1,3} + \\eta (a^{(2)}_{1} - y_{1})"
        " \\sigma'(z^{(2)}_{1}) a^{(1)}_{3}",
    ): "the sign is wrong: the claim is the negative of the truth",
    (
        "sears-xor",
        "w_{1}^{(r+1)} = w_{1}^{(r)} - \\alpha (y - \\hat{y}) \\varphi_{\\hat{y}} (1 -"
        " \\varphi_{\\hat{y}}) \\varphi_1",
    ): "the sign is wrong: the claim is the negative of the truth",
    (
        "sears-xor",
        "w_{1}(n+1) = w_{1}(n) + \\alpha (y - \\hat{y}) \\varphi_{\\hat{y}} \\varphi_1",
    ): (
        "the factor \\frac{\\partial \\varphi_{\\hat{y}}}{\\partial \\text{net}_{\\hat{y}}} is"
        " \\varphi_{\\hat{y}} in the claim where \\varphi_{\\hat{y}} \\left(1 -"
        " \\varphi_{\\hat{y}}\\right) belongs"
    ),
    (
        "2-3-2",
        "\\nabla_{a^{(2)}_{1}} E \\odot \\sigma'(z^{(2)}_{1})",
    ): (
        "the factor \\frac{\\partial z^{(2)}_{1}}{\\partial w^{(2)}_{1,3}} is 1 in the claim where"
        " a^{(1)}_{3} belongs"
    ),
    (
        "2-3-2",
        "\\sum_{j=1}^{2} (a^{(2)}_{j} - y_{j}) \\sigma'(z^{(2)}_{j}) x_{1}",
    ): (
        "term by term, missing: w^{(2)}_{1,1} and w^{(2)}_{2,1}; missing: a^{(1)}_{1} \\left(1 -"
        " a^{(1)}_{1}\\right) (the factor \\frac{\\partial a^{(1)}_{1}}{\\partial z^{(1)}_{1}})"
    ),
    (
        "sears-xor",
        "-\\alpha (y - \\hat{y}) \\varphi_{\\hat{y}} (1 - \\varphi_{\\hat{y}}) i_1",
    ): (
        "the sign is wrong; missing: w_{1} (the factor \\frac{\\partial"
        " \\text{net}_{\\hat{y}}}{\\partial \\varphi_{1}}) and \\varphi_{1} \\left(1 -"
        " \\varphi_{1}\\right) (the factor \\frac{\\partial \\varphi_{1}}{\\partial"
        " \\text{net}_{1}})"
    ),
    (
        "maren",
        "-\\alpha \\sum_{o \\in \\text{outputs}} E_o \\mathcal{F}_o (1-\\mathcal{F}_o) v_{h,o} H_h"
        " (1 - H_h) I_i",
    ): (
        "missing: \\alpha (of \\frac{\\partial H_{2}}{\\partial \\mathit{NdInpt}^{H}_{2}} = H_{2}"
        " \\alpha \\left(1 - H_{2}\\right))"
    ),
    (
        "maren",
        "-\\alpha \\sum_o E_o \\mathcal{F}_o v_{h,o} \\alpha H_h (1 - H_h) I_i",
    ): ("term by term, missing: 1 - \\mathcal{F}_{1} and 1 - \\mathcal{F}_{2}"),
}
