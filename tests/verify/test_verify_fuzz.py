"""Fuzz the reader and the verifier: any input gives a verdict or a clean error, fast."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import NetworkSpec, preset
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.reader import parse
from symbackprop.verify.steps import verify

TOKENS = [
    r"\frac",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "^",
    "_",
    "'",
    "+",
    "-",
    r"\cdot",
    "*",
    "/",
    "=",
    r"\approx",
    r"\partial",
    r"\sum",
    r"\dots",
    r"\alpha",
    r"\varphi",
    r"\hat{y}",
    r"\text{net}",
    r"\Delta",
    r"\left(",
    r"\right)",
    "w",
    "i",
    "y",
    "1",
    "2",
    "0.5",
    ",",
    ";",
    r"\quad",
    "&",
    r"\\",
    "e",
    r"\exp",
    r"\sqrt",
    "E",
    r"\mathcal{F}",
    "o",
    "h",
    "x",
    " ",
    # statements of calculus, vectors, series, alternatives, Maren's forms
    "d",
    "dx",
    "f",
    "g",
    "u",
    "n",
    "SE",
    r"E_{q=o}",
    r"\nabla",
    r"\vec{w}",
    r"\text{ or }",
    r"\begin{bmatrix}",
    r"\end{bmatrix}",
    r"\left[",
    r"\right]",
    r"\equiv",
    # textbook constructs: powers and primes of functions, indicators, updates, Hadamard, sums
    r"\tanh",
    r"\sigma",
    r"^2",
    r"^{-1}",
    r"^{\prime}",
    r"^{'}",
    r"^{[1]\prime}",
    r"\mathbb{1}",
    r"\{",
    r"\}",
    ">",
    r"\leftarrow",
    ":=",
    r"(t+1)",
    r"(n+1)",
    r"\odot",
    r"\circ",
    r"^T",
    r"^\top",
    r"\nabla_a",
    r"\sum_k",
    r"\sum_{o \in \text{outputs}}",
    r"\sum_{h=1}^{m}",
    ":=",
    r"\sigma",
    "(0.7, 0.1)",
    "w_n",
    "_\\delta",
    # functions written out: the rectifier as \max, a slope by cases
    r"\max",
    r"\begin{cases}",
    r"\end{cases}",
    "&",
    r"\text{otherwise}",
]
SEARS = [
    r"\alpha (y - \hat{y}) \varphi_{\hat{y}} (1 - \varphi_{\hat{y}}) \varphi_1",
    r"\Delta w_{11} = -\Delta w_{\hat{y}} \varphi_1(1 - \varphi_1) i_1",
    r"\frac{\partial E}{\partial w_{\hat{y}}} = \varphi_1",
]
CALCULUS = [
    r"[f(g(x))]' = f'(g(x)) \cdot g'(x)",
    r"\frac{1}{2} \frac{dx^2}{dx} = 2 * \frac{1}{2} x = x",
    r"\frac{\partial y}{\partial x} = \frac{\partial y}{\partial u} \cdot \frac{\partial "
    r"u}{\partial x}",
    r"(w_1, w_2, \dots, w_n) \cdot (u_1, u_2, \dots, u_n) = w_1u_1 + w_2u_2 + \dots + w_nu_n + b",
    r"\nabla f(x_1, x_2, \dots, x_n) = \left(\frac{\partial f}{\partial x_1}, \dots, "
    r"\frac{\partial f}{\partial x_n} \right)",
    r"\frac{\partial \text{net}_{\hat{y}}}{\partial w_{\hat{y}}} = \varphi_1 \text{ or } \varphi_2",
    r"-\nabla E \equiv - \left[ \frac{\partial E}{\partial w_1}, \dots, \frac{\partial "
    r"E}{\partial w_{22}} \right]",
    r"v = \sigma\left(\begin{bmatrix} 0.6 \\ 1.2 \end{bmatrix} \cdot \begin{bmatrix} 0.7 \\ 0.1 "
    r"\end{bmatrix}\right) \approx 0.6",
]
CTX = context(preset("sears-xor"))
LIMIT = 2.0


def _check(text: str, param: str | None = "w_{1}") -> None:
    start = time.perf_counter()
    try:
        verify(CTX, Claim(text, param=param, kind=None), strict=True)
    except SymbackpropError as exc:
        assert str(exc) and "\n" not in str(exc)
    assert time.perf_counter() - start < LIMIT, text


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_random_token_soup(text: str) -> None:
    _check(text)


@settings(
    max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.sampled_from(SEARS),
    st.integers(0, 80),
    st.integers(0, 6),
    st.sampled_from([*TOKENS, "", "@", "}}", "\\"]),
)
def test_mutated_source_equations(base: str, at: int, cut: int, insert: str) -> None:
    at = min(at, len(base))
    _check(base[:at] + insert + base[at + cut :])


@settings(
    max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.sampled_from(CALCULUS),
    st.integers(0, 120),
    st.integers(0, 6),
    st.sampled_from([*TOKENS, "", "@", "}}", "\\"]),
)
def test_mutated_statements_of_calculus(base: str, at: int, cut: int, insert: str) -> None:
    at = min(at, len(base))
    _check(base[:at] + insert + base[at + cut :], param=None)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes_the_reader(text: str) -> None:
    try:
        parse(text)
    except SymbackpropError as exc:
        assert str(exc)


# -- vector and matrix forms (notations with a [matrices] table) ----------------------------

NOTATIONS = Path(__file__).parents[2] / "examples" / "notations"
VECTOR_CTX = {
    "nielsen": context(
        NetworkSpec(
            sizes=(2, 3, 3, 2),
            activations=("sigmoid",) * 3,
            biases=(True,) * 3,
            gains=(False,) * 3,
            notation=str(NOTATIONS / "nielsen-vectors.toml"),
        )
    ),
    "ng": context(
        NetworkSpec(
            sizes=(3, 4, 1),
            activations=("tanh", "sigmoid"),
            biases=(True,) * 2,
            gains=(False,) * 2,
            loss="cross_entropy",
            mean=True,
            notation=str(NOTATIONS / "ng-vectorised.toml"),
        )
    ),
}
VECTOR_FORMS = [
    ("nielsen", r"\delta^L = \nabla_a C \odot \sigma'(z^L)"),
    ("nielsen", r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)"),
    ("nielsen", r"\delta^l = \Sigma'(z^l) (w^{l+1})^T \delta^{l+1}"),
    ("nielsen", r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T"),
    ("nielsen", r"a^{l} = \sigma(w^l a^{l-1}+b^l)"),
    ("ng", r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}"),
    ("ng", r"db^{[1]} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[1](i)}"),
    ("ng", r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})"),
    ("ng", r"W^{[2]} := W^{[2]} - \alpha \frac{1}{m} dZ^{[2]} A^{[1]T}"),
]
VECTOR_TOKENS = [
    "a^l",
    "a^{l-1}",
    "w^{l+1}",
    r"\delta^L",
    r"\delta^{l+1}",
    "z^l",
    "b^l",
    "y",
    r"\nabla_a C",
    r"\Sigma'",
    "W^{[2]T}",
    "W^{[l]}",
    "dZ^{[1]}",
    "dZ^{[l](i)}",
    "A^{[1]}",
    "A^{[0]}",
    "db^{[2]}",
    "dW^{[1]}",
    "X",
    r"\mathbf{1}",
    r"\mathbf{1}^T",
    "Y",
    "m",
    r"\frac{1}{m}",
    r"\sum_{i=1}^{m}",
    r"\odot",
    "^T",
    "*",
    "=",
    ":=",
    "(",
    ")",
    "+",
    "-",
    r"\sigma'",
    r"g^{[1]\prime}",
    r"\tanh",
    "^2",
    "1",
    " ",
]
VECTOR_LIMIT = 10.0  # a claim on a whole layer is several scalar claims


def _check_vector(which: str, text: str) -> None:
    start = time.perf_counter()
    try:
        outcomes = verify(VECTOR_CTX[which], Claim(text), strict=True, limits=None)
        assert outcomes
    except SymbackpropError as exc:
        assert str(exc) and "\n" not in str(exc)
    assert time.perf_counter() - start < VECTOR_LIMIT, text


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.sampled_from(VECTOR_FORMS),
    st.integers(0, 70),
    st.integers(0, 6),
    st.sampled_from([*VECTOR_TOKENS, "", "@", "}}", "\\"]),
)
def test_mutated_vector_forms(form: tuple[str, str], at: int, cut: int, insert: str) -> None:
    which, base = form
    at = min(at, len(base))
    _check_vector(which, base[:at] + insert + base[at + cut :])


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.sampled_from(["nielsen", "ng"]), st.lists(st.sampled_from(VECTOR_TOKENS), max_size=12))
def test_vector_token_soup(which: str, tokens: list[str]) -> None:
    _check_vector(which, "".join(tokens))
