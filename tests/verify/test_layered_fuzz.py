"""Fuzzing δ and free-layer-index claims in layered notations (nielsen, rumelhart, bishop).

Every mutated claim is either judged or refused with one SymbackpropError on one line; never a
traceback and never past the claim's time limit.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import spec_from_dict
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.limits import Limits
from symbackprop.verify.steps import verify

TOKENS = [
    "l",
    "L",
    "l+1",
    "l-1",
    "L-1",
    "^{l+1}",
    "^{l-1}",
    "_{kj}",
    "_{jk}",
    "_{pj}",
    r"\delta",
    r"\delta^l_j",
    r"\delta_{pk}",
    "w^{l+1}_{kj}",
    "w_{j0}",
    r"\sum_k",
    r"\sum_{i=0}^{D}",
    "(n)",
    "f'_j",
    r"\sigma'",
    r"\Delta_p",
    "=",
    "+",
    "-",
    "{",
    "}",
]
CLAIMS = {
    "nielsen": [
        r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)",
        r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j",
        r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)",
    ],
    "rumelhart": [
        r"\delta_{pj} = f'_j(net_{pj}) \sum_k \delta_{pk} w_{kj}",
        r"\Delta_p w_{ji} = \eta \delta_{pj} o_{pi}",
    ],
    "bishop": [
        r"a_j = \sum_{i=0}^{D} w^{(1)}_{ji} x_i",
        r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k",
    ],
}
SCOPES = {
    name: context(spec_from_dict({"layers": [2, 2, 2], "notation": name}, where="fuzz"))
    for name in CLAIMS
}
LIMITS = Limits(seconds=8.0)
SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _check(notation: str, text: str) -> None:
    start = time.perf_counter()
    try:
        verify(SCOPES[notation], Claim(text), strict=True, limits=LIMITS)
    except SymbackpropError as exc:
        assert str(exc) and "\n" not in str(exc)
    assert time.perf_counter() - start < LIMITS.seconds + 5, text


@SETTINGS
@given(
    st.sampled_from([(n, c) for n, cs in CLAIMS.items() for c in cs]),
    st.integers(0, 80),
    st.integers(0, 6),
    st.sampled_from([*TOKENS, "", "@", "}}", "\\"]),
)
def test_mutated_layer_claims(base: tuple[str, str], at: int, cut: int, insert: str) -> None:
    notation, text = base
    at = min(at, len(text))
    _check(notation, text[:at] + insert + text[at + cut :])


@SETTINGS
@given(st.sampled_from(list(CLAIMS)), st.lists(st.sampled_from(TOKENS), max_size=12).map("".join))
def test_layer_token_soup(notation: str, text: str) -> None:
    _check(notation, text)
