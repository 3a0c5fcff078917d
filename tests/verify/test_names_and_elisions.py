"""Names and elisions as textbooks write them: a name a chain defines for itself (Bishop's
Jacobian J_{ki}), a Kronecker delta that gives a letter its layer (∂y_k/∂a_l = δ_{kl}), an
elided matrix product over the layers (Nielsen's δ^l = Σ'(z^l)(w^{l+1})^T … ∇_a C), an
index-less δ beside a generic bias or weight (∂C/∂b = δ), and named sets of units
(``\\sum_{k \\in \\text{children}(j)}``).

Every expected verdict comes from the corpus oracle (``tests/corpus/oracle.py``, mpmath only),
never from symbackprop: each claim is a corpus ``case`` whose two sides are computed here from
the oracle's network values, and the tool's verdict must agree. Each form has a claim that
holds and a wrong variant.
"""

from __future__ import annotations

from typing import Any

import pytest

from symbackprop.errors import SymbackpropError
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.corpus.cases import case
from tests.corpus.oracle import FAILS, HOLDS, Point, diag, matvec, transpose
from tests.corpus.texts import bishop_prml, mitchell, nielsen
from tests.corpus.tool import assert_read_right, spec_of

B = dict[str, Any]
DEEP = {
    **nielsen.NETWORK,
    "sizes": [2, 3, 2, 3, 2],
    "activations": ["sigmoid"] * 4,
}  # L = 5: l = 2 repeats twice


def _nielsen_chain(last_slope: bool) -> Any:
    """δ^l and Σ'(z^l)(w^{l+1})^T ... Σ'(z^{L-1})(w^L)^T [Σ'(z^L)] ∇_a C, from the oracle."""

    def sides(net: Point, b: B) -> tuple[Any, Any]:
        l, x, top = b["l"], b["x"], net.L + 1
        v = nielsen.grad_a(net, x)
        if last_slope:
            v = matvec(diag(nielsen.sp(net, top, x)), v)
        for m in range(top, l, -1):
            v = matvec(diag(nielsen.sp(net, m - 1, x)), matvec(transpose(nielsen.w(net, m)), v))
        return nielsen.delta(net, l, x), v

    return sides


def _dC_dw_first(net: Point, b: B) -> tuple[Any, Any]:
    """∂C/∂w against δ of the weight's unit, for every weight of layer l."""
    l, x = b["l"], b["x"]
    d = nielsen.delta(net, l, x)
    return (
        [[net.dW(l - 1, j, k, case=x) for k in range(net.sizes[l - 2])] for j in range(len(d))],
        [[d[j] for _ in range(net.sizes[l - 2])] for j in range(len(d))],
    )


CHAIN = r"\delta^l = \Sigma'(z^l) (w^{l+1})^T \ldots \Sigma'(z^{L-1}) (w^L)^T"


def _chain_case(name: str, last_slope: bool) -> dict[str, Any]:
    """The elided product over a 5-layer network (l = 2 repeats its factors twice), with or
    without the output layer's slopes."""
    tail = r" \Sigma'(z^L) \nabla_a C" if last_slope else r" \nabla_a C"
    return case(
        name,
        CHAIN + tail,
        HOLDS if last_slope else FAILS,
        _nielsen_chain(last_slope),
        {"l": "layers 2..L-1", "x": "training examples"},
        network=DEEP,
    )


NIELSEN_CASES = [
    _chain_case("elided-product-deep", True),
    _chain_case("elided-product-without-the-output-slope", False),
    case(
        "shorthand-weight-for-bias",
        r"\frac{\partial C}{\partial w} = \delta",
        FAILS,
        _dC_dw_first,
        {"l": "layers 2..L", "x": "training examples"},
    ),
]


def _jacobian(by_activation: bool) -> Any:
    """∂y_k/∂x_i and Σ_j w_{ji} ∂y_k/∂a_j (or, wrongly, ∂y_k/∂z_j, the hidden activation)."""

    def sides(net: Point, b: B) -> tuple[Any, Any]:
        k, i, n = b["k"], b["i"], b["n"]
        lhs = net.d(("a", net.L, k, n), ("a", 0, i, n))
        by = "a" if by_activation else "z"
        rhs = sum(
            net.W[1][j][i] * net.d(("a", net.L, k, n), (by, 1, j, n)) for j in range(net.sizes[1])
        )
        return lhs, rhs

    return sides


LINEAR_OUTPUTS = next(c for c in bishop_prml.CASES if c["id"] == "bishop-jacobian-linear-outputs")
BISHOP_CASES = [
    case(
        "local-jacobian-by-activation",
        r"J_{ki} = \frac{\partial y_k}{\partial x_i} = \sum_j w_{ji} \frac{\partial y_k}"
        r"{\partial z_j}",
        FAILS,
        _jacobian(True),
        {"k": "output indices", "i": "input units x_1..x_D", "n": "data points"},
    ),
    {  # the corpus's bishop-jacobian-linear-outputs, with 1 - δ_{kl} for δ_{kl}
        **LINEAR_OUTPUTS,
        "id": "kronecker-complement",
        "latex": r"\frac{\partial y_k}{\partial a_l} = 1 - \delta_{kl}",
        "expect": FAILS,
        "sides": lambda net, b: (
            LINEAR_OUTPUTS["sides"](net, b)[0],
            1 - LINEAR_OUTPUTS["sides"](net, b)[1],
        ),
    },
]


def _net_from_inputs(net: Point, b: B) -> tuple[Any, Any]:
    j = b["j"]
    return mitchell.net_in(net, j), sum(
        mitchell.w(net, j, i) * mitchell.x(net, j, i) for i in mitchell.feeding(net, b)
    )


def _delta_over(units: Any, transposed: bool = False) -> Any:
    def sides(net: Point, b: B) -> tuple[Any, Any]:
        j = b["j"]
        o = mitchell.o(net, j)
        back = sum(
            mitchell.delta(net, k)
            * (mitchell.w(net, j, k) if transposed else mitchell.w(net, k, j))
            for k in units(net, b)
        )
        return mitchell.delta(net, j), o * (1 - o) * back

    return sides


MITCHELL_CASES = [
    case(
        "net-over-parents",
        r"net_j = \sum_{i \in \text{parents}(j)} w_{ji} x_{ji}",
        HOLDS,
        _net_from_inputs,
        {"j": "non-input units"},
    ),
    case(
        "delta-over-children",
        r"\delta_j = o_j(1 - o_j) \sum_{k \in \text{children}(j)} \delta_k w_{kj}",
        HOLDS,
        _delta_over(lambda net, b: mitchell.downstream(net, b["j"])),
        {"j": "hidden units"},
    ),
    case(
        "delta-over-succ",
        r"\delta_j = o_j(1 - o_j) \sum_{k \in \text{succ}(j)} \delta_k w_{kj}",
        HOLDS,
        _delta_over(lambda net, b: mitchell.downstream(net, b["j"])),
        {"j": "hidden units"},
    ),
    case(
        "delta-over-children-transposed",
        r"\delta_j = o_j(1 - o_j) \sum_{k \in \text{children}(j)} \delta_k w_{jk}",
        FAILS,
        _delta_over(lambda net, b: mitchell.downstream(net, b["j"]), transposed=True),
        {"j": "hidden units"},
    ),
]

ALL = (
    [(nielsen, c) for c in NIELSEN_CASES]
    + [(bishop_prml, c) for c in BISHOP_CASES]
    + [(mitchell, c) for c in MITCHELL_CASES]
)


@pytest.mark.parametrize(("text", "c"), ALL, ids=[c["id"] for _, c in ALL])
def test_the_verdict_is_the_oracles(text: Any, c: dict[str, Any]) -> None:
    assert_read_right(text, c)


def _verify(text: Any, notation: str, latex: str) -> Any:
    return verify(context(spec_of(text.NETWORK, notation)), Claim(latex))


def test_a_lone_unknown_name_on_the_left_is_not_a_definition() -> None:
    with pytest.raises(SymbackpropError, match="unknown symbol J_"):
        _verify(bishop_prml, "bishop", r"J_{ki} = \frac{\partial y_k}{\partial x_i}")


def test_the_chain_says_what_it_defines() -> None:
    jacobian = next(c for c in bishop_prml.CASES if c["id"] == "bishop-jacobian")
    outcomes = _verify(bishop_prml, "bishop", jacobian["latex"])
    first = [o for o in outcomes if o.step == 1]
    assert first and all(o.kind == "definition" and "defines J_{ki}" in o.remark for o in first)


def test_an_elision_that_repeats_nothing_is_refused_clearly() -> None:
    with pytest.raises(SymbackpropError, match="must repeat the factors before it"):
        _verify(nielsen, "nielsen", r"\delta^l = \Sigma'(z^l) \ldots \nabla_a C")


def test_a_bare_delta_beside_two_parameters_is_refused_clearly() -> None:
    with pytest.raises(SymbackpropError, match="names no one"):
        _verify(nielsen, "nielsen", r"\frac{\partial C}{\partial b} = \delta + w")


def test_sigma_of_a_variable_over_layers_that_differ_says_what_to_write() -> None:
    spec = spec_of({**nielsen.NETWORK, "activations": ["tanh", "sigmoid", "sigmoid"]}, "nielsen")
    with pytest.raises(SymbackpropError, match=r"layer 1: tanh, layer 2: sigmoid.*net input"):
        verify(context(spec), Claim(r"\sigma'(x) = \sigma(x)(1 - \sigma(x))"))
