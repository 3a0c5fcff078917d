"""Fuzz the reader and the verifier: any input gives a verdict or a clean error, fast."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop.errors import SymbackpropError
from symbackprop.reader import parse
from symbackprop.spec import preset
from symbackprop.verify import Claim, context, verify

TOKENS = [
    r"\frac", "{", "}", "(", ")", "[", "]", "^", "_", "'", "+", "-", r"\cdot", "*", "/", "=", r"\approx",
    r"\partial", r"\sum", r"\dots", r"\alpha", r"\varphi", r"\hat{y}", r"\text{net}", r"\Delta", r"\left(",
    r"\right)", "w", "i", "y", "1", "2", "0.5", ",", ";", r"\quad", "&", r"\\", "e", r"\exp", r"\sqrt", "E",
    r"\mathcal{F}", "o", "h", "x", " ",
]
SEARS = [
    r"\alpha (y - \hat{y}) \varphi_{\hat{y}} (1 - \varphi_{\hat{y}}) \varphi_1",
    r"\Delta w_{11} = -\Delta w_{\hat{y}} \varphi_1(1 - \varphi_1) i_1",
    r"\frac{\partial E}{\partial w_{\hat{y}}} = \varphi_1",
]
CTX = context(preset("sears-xor"))
LIMIT = 2.0


def _check(text: str) -> None:
    start = time.perf_counter()
    try:
        verify(CTX, Claim(text, param="w_{1}", kind=None), strict=True)
    except SymbackpropError as exc:
        assert str(exc) and "\n" not in str(exc)
    assert time.perf_counter() - start < LIMIT, text


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_random_token_soup(text: str) -> None:
    _check(text)


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEARS), st.integers(0, 80), st.integers(0, 6), st.sampled_from(TOKENS + ["", "@", "}}", "\\"]))
def test_mutated_source_equations(base: str, at: int, cut: int, insert: str) -> None:
    at = min(at, len(base))
    _check(base[:at] + insert + base[at + cut :])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes_the_reader(text: str) -> None:
    try:
        parse(text)
    except SymbackpropError as exc:
        assert str(exc)
