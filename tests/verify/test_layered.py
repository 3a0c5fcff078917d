"""δ as a quantity, free layer indices and layered notations (first_layer, layer_index,
last_layer, numbering, bias_unit, delta_sign).

Expected verdicts come from the corpus (tests/corpus: decided by the mpmath oracle, which never
imports the tool) or from mpmath central differences here; never from the tool itself.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import mpmath
import pytest
import sympy as sp

from symbackprop.backprop.forms import ERROR
from symbackprop.errors import NotationError, SymbackpropError
from symbackprop.model.network import build
from symbackprop.model.notation import load_notation, notation_from_toml
from symbackprop.model.spec import spec_from_dict
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.indexing import index_arithmetic
from symbackprop.verify.steps import verify
from tests.corpus.cases import texts
from tests.corpus.oracle import HOLDS
from tests.helpers import DPS, close, random_point, value

LOSS = {"half_sse": "half_sse", "sse": "sse", "ce": "cross_entropy"}
NOTATION_OF = {"nielsen": "nielsen", "rumelhart1986": "rumelhart", "bishop_prml": "bishop"}
NOTATION_OF |= {"haykin": "haykin", "mitchell": "mitchell", "duda": "duda"}


def corpus_spec(network: dict[str, Any], notation: str) -> Any:
    return spec_from_dict(
        {
            "layers": list(network["sizes"]),
            "activation": list(network["activations"]),
            "bias": bool(network["biases"]),
            "loss": LOSS[network["loss"]],
            "mean": network["reduce"] == "mean",
            "notation": notation,
        },
        where="corpus network",
    )


def corpus_case(case_id: str) -> tuple[Any, dict[str, Any]]:
    for text in texts():
        for c in text.CASES:
            if c["id"] == case_id:
                return text, c
    raise KeyError(case_id)


# Index-form statements of four texts and wrong variants of them, in the texts' own notation
CORPUS = [
    "nielsen-bp1-index",
    "nielsen-bp2-index",
    "nielsen-bp3-index",
    "nielsen-bp4-index",
    "nielsen-bp4-z-for-a",
    "nielsen-bp2-missing-sigma-prime",
    "rhw-output-delta",
    "rhw-hidden-delta",
    "rhw-delta-rule",
    "rhw-net-input",
    "rhw-delta-rule-sign",
    "rhw-output-delta-sign",
    "bishop-backprop",
    "bishop-output-delta",
    "bishop-net-input",
    "bishop-backprop-transposed",
    "bishop-tanh-derivative",
    "haykin-output-local-gradient",
    "haykin-backprop",
    "haykin-delta-rule",
    "haykin-delta-rule-sign",
    "haykin-induced-field",
    "haykin-instantaneous-error",
    "haykin-average-error",
    "haykin-output-logistic",
    "rhw-hidden-chain",
    "rhw-hidden-dE-do",
    "haykin-hidden-local-gradient-chain",
    "nielsen-bp2-chain-rule",
    "mitchell-net-input",
    "mitchell-output-delta",
    "mitchell-hidden-delta",
    "mitchell-hidden-delta-downstream",
    "mitchell-weight-update",
    "mitchell-weight-update-hidden-output",
    "mitchell-output-delta-sign",
    "mitchell-hidden-delta-wrong-unit",
    "mitchell-weight-update-sign",
    "duda-output-net",
    "duda-output-net-from-0",
    "duda-hidden-update",
    "duda-hidden-sensitivity-transposed",
    "duda-output-net-no-bias",
    "duda-training-error-norm",
]


@pytest.mark.parametrize("case_id", CORPUS)
def test_corpus_index_claims_get_the_oracles_verdict(case_id: str) -> None:
    text, c = corpus_case(case_id)
    name = text.__name__.rsplit(".", 1)[-1]
    spec = corpus_spec({**text.NETWORK, **c.get("network", {})}, NOTATION_OF[name])
    outcomes = verify(context(spec), Claim(c["latex"], source=c["id"]), limits=None)
    verdicts = {o.verdict for o in outcomes}
    if c["expect"] == HOLDS:
        assert verdicts == {"holds"}, outcomes
    else:
        assert "does not hold" in verdicts, outcomes


def test_corpus_ids_exist() -> None:
    for case_id in CORPUS:
        corpus_case(case_id)


# -- δ against mpmath central differences ------------------------------------------------


@pytest.mark.parametrize(
    ("notation", "sign"), [("nielsen", 1), ("rumelhart", -1), ("mitchell", -1)]
)
def test_delta_is_the_derivative_of_the_error_by_the_net_input(notation: str, sign: int) -> None:
    """δ of every unit is ±∂E/∂z: the tool's value against a central difference of E taken
    through the net input (E as a function of z, every other intermediate expanded)."""
    spec = spec_from_dict({"layers": [2, 3, 2], "notation": notation}, where="test")
    ctx = context(spec)
    scope, net = ctx.scope, ctx.scope.net
    point = random_point(net, seed=7)
    for cid, (l, j) in scope.deltas.items():
        z = net.z[l][j - 1]
        e = scope.expand(ERROR, keep=z)  # E with z held as a variable
        z_value = value(scope.closed(z), point)
        h = mpmath.mpf(10) ** -20

        def e_at(zv: mpmath.mpf, e: sp.Expr = e, z: sp.Expr = z) -> mpmath.mpf:
            closed = scope.closed(e.xreplace({z: sp.Float(zv, DPS)}))
            return value(closed, point)

        with mpmath.workdps(DPS):
            numeric = (e_at(z_value + h) - e_at(z_value - h)) / (2 * h)
        got = value(scope.closed(scope.value_of(cid)), point)
        assert close(got, sign * numeric, rel=1e-15), cid


def test_delta_claims_and_delta_on_the_right() -> None:
    ctx = context(spec_from_dict({"layers": [2, 3, 3, 2], "notation": "nielsen"}, where="t"))
    holds = [
        r"\delta^3_1 = \frac{\partial C}{\partial z^3_1}",
        r"\frac{\partial C}{\partial w^3_{21}} = a^{2}_1 \delta^3_2",
        r"\frac{\partial C}{\partial b^4_2} = \delta^4_2",
    ]
    for latex in holds:
        assert {o.verdict for o in verify(ctx, Claim(latex), limits=None)} == {"holds"}, latex
    wrong = r"\frac{\partial C}{\partial w^3_{21}} = z^{2}_1 \delta^3_2"
    assert {o.verdict for o in verify(ctx, Claim(wrong), limits=None)} == {"does not hold"}


# -- free layer indices -------------------------------------------------------------------


def test_a_free_layer_claim_is_judged_where_it_is_defined() -> None:
    ctx = context(spec_from_dict({"layers": [2, 3, 2, 2], "notation": "nielsen"}, where="t"))
    outcomes = verify(ctx, Claim(r"\frac{\partial C}{\partial b^l_j} = \delta^l_j"), limits=None)
    # Nielsen's layers 2..4 (input = layer 1) with 3, 2, 2 units
    assert len(outcomes) == 7 and {o.verdict for o in outcomes} == {"holds"}
    bp2 = r"\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)"
    outcomes = verify(ctx, Claim(bp2), limits=None)
    assert len(outcomes) == 5  # layers 2 and 3 only: δ^{l+1} does not exist at the last layer
    assert {o.binding.split("l=")[1] for o in outcomes} == {"2", "3"}


def test_a_claim_whose_names_never_exist_is_refused() -> None:
    ctx = context(spec_from_dict({"layers": [2, 2], "notation": "nielsen"}, where="t"))
    with pytest.raises(SymbackpropError, match="no binding"):  # δ exists at layer 2 only
        verify(ctx, Claim(r"\delta^l_j = \delta^{l+1}_j"), limits=None)


def test_a_vector_name_is_refused_not_read_as_a_variable() -> None:
    """Without a [matrices] table (the shipped nielsen file has one), a layer's name without
    its unit index is refused, never read as a variable."""
    shipped = resources.files("symbackprop") / "model" / "data" / "notations" / "nielsen.toml"
    text = shipped.read_text(encoding="utf-8").split("[matrices]")[0]
    spec = spec_from_dict({"layers": [2, 2, 2]}, where="t")
    ctx = context(spec, notation_from_toml(text, where="nielsen without matrices"))
    with pytest.raises(SymbackpropError, match="no single quantity"):
        verify(ctx, Claim(r"\delta^L = (a^L-y) \odot \sigma'(z^L)"), limits=None)


def test_index_arithmetic_in_scripts() -> None:
    tokens = (("LETTER", "l"), ("SIGN", "+"), ("DIGIT", "1"))
    assert index_arithmetic(tokens, {"l": 2}) == (("DIGIT", "3"),)
    both = (("LETTER", "x"), ("COMMA", ","), ("LETTER", "L"), ("SIGN", "-"), ("DIGIT", "1"))
    assert index_arithmetic(both, {"L": 4})[-1] == ("DIGIT", "3")
    unbound = (("LETTER", "k"), ("SIGN", "-"), ("DIGIT", "1"))
    assert index_arithmetic(unbound, {}) == unbound


# -- notation keys ------------------------------------------------------------------------


def net_of(sizes: list[int]) -> Any:
    return build(spec_from_dict({"layers": sizes}, where="t"))


def test_first_layer_and_template_arithmetic() -> None:
    n = notation_from_toml(
        "first_layer = 1\n[layer]\nweight = 'w^{$l}_{$j$k}'\nactivation = 'a^{$l-1}_{${l+1}$j}'\n"
    )
    names = n.symbol_names(net_of([2, 3, 2]))
    assert names["w1_3_2"] == "w^{2}_{32}"  # the first hidden layer is Nielsen's layer 2
    assert names["a2_1"] == "a^{2}_{41}"


def test_network_numbering_and_the_bias_unit() -> None:
    n = load_notation("bishop")
    net = net_of([3, 4, 2])
    names = n.symbol_names(net)
    assert names["w2_1_4"] == "w_{87}" and names["b1_2"] == "w_{50}"
    assert n.unit_one_names(net)[:2] == ["x_{0}", "z_{0}"]


def test_a_layers_own_activation_names_its_unit_0_and_a_scripted_size_is_a_count() -> None:
    assert load_notation("duda").unit_one_names(net_of([2, 3, 2])) == ["x_{0}", "x_{0}", "y_{0}"]
    spec = corpus_spec(corpus_case("duda-output-net")[0].NETWORK, "duda")
    for latex, verdict in [
        (r"net_j = \sum_{i=1}^{d} x_i w_{ji} + w_{j0} + n_H - 3", "holds"),  # n_H = 3 hidden
        (r"net_j = \sum_{i=1}^{d} x_i w_{ji} + w_{j0} + n_{H} - c", "does not hold"),
    ]:
        outcomes = verify(context(spec), Claim(latex), limits=None)
        assert {o.verdict for o in outcomes} == {verdict}, outcomes


def test_a_net_input_without_its_bias_is_told_the_missing_term() -> None:
    text, c = corpus_case("duda-output-net-no-bias")  # does not hold, by the oracle
    spec = corpus_spec(text.NETWORK, "duda")
    outcomes = verify(context(spec), Claim(c["latex"], bind=(("k", "6"),)), limits=None)
    assert [(o.verdict, o.ratio, o.factor) for o in outcomes] == [
        ("does not hold", "", "missing: w_{60} (a term of the sum)")
    ]


@pytest.mark.parametrize(
    ("notation", "latex", "words"),
    [
        ("duda", r"J = \frac{1}{2} \|t_8 - z_8\|^2", r"a norm \\\|...\\\| is read of a vector"),
        ("duda", r"J = \|\mathbf{t} - \mathbf{z}", r"expected the closing \\\|"),
        ("ng", r"J = \|W^{[1]}\|^2", r"not of W\^\{\[1\]\}, a 4×3 matrix"),
    ],
)
def test_a_norm_is_read_of_a_vector_only(notation: str, latex: str, words: str) -> None:
    spec = spec_from_dict({"layers": [3, 4, 1], "notation": notation}, where="t")
    with pytest.raises(SymbackpropError, match=words) as err:
        verify(context(spec), Claim(latex), limits=None)
    assert "\n" not in str(err.value)


def test_the_error_of_a_parameter_vector_is_the_error() -> None:
    spec = corpus_spec(corpus_case("duda-output-net")[0].NETWORK, "duda")
    half = r"\frac{1}{2} \sum_{k=1}^{c} (t_k - z_k)^2"  # J of the one pattern, by definition
    for latex, verdict in [
        (rf"J(\mathbf{{w}}) = {half}", "holds"),
        (rf"J(\mathbf{{w}}) = 2 {half}", "does not hold"),
    ]:
        outcomes = verify(context(spec), Claim(latex), limits=None)
        assert {o.verdict for o in outcomes} == {verdict}, outcomes
    with pytest.raises(SymbackpropError, match=r"unknown symbol \\mathbf\{w\}"):
        verify(context(spec), Claim(rf"J \mathbf{{w}} = {half}"), limits=None)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("first_layer = 2", "'first_layer' must be one of 0, 1"),
        ("delta_sign = 'minus'", "'delta_sign' must be one of +, -"),
        ("layer_index = 'll'", "'layer_index' must be one letter"),
        ("numbering = true", "'numbering' must be one of"),
        ("[layer]\nnet = 'z^{${l-x}}'", "stray '$'"),
    ],
)
def test_bad_layer_keys_are_one_clear_line(text: str, words: str) -> None:
    with pytest.raises(NotationError, match=re.escape(words)) as err:
        notation_from_toml(text)
    assert "\n" not in str(err.value)


def test_sources_notations_are_not_layered() -> None:
    for name in ("canonical", "essay", "maren", "note", "sears"):
        assert not load_notation(name).layered


@pytest.mark.parametrize(
    ("latex", "words"),
    [
        (r"A^{[1]} = \tanh(Z^{[1]})", "whole layer"),
        (r"dZ^{[2]} = A^{[2]} - Y", "whole layer"),
    ],
)
def test_whole_layers_and_bare_quantities_are_refused_not_judged(latex: str, words: str) -> None:
    """Without a [matrices] table (the shipped ng file has one, and reads these as matrices)."""
    spec = spec_from_dict({"layers": [3, 4, 1], "activation": ["tanh", "sigmoid"]}, where="t")
    shipped = resources.files("symbackprop") / "model" / "data" / "notations" / "ng.toml"
    text = shipped.read_text(encoding="utf-8").split("[matrices]")[0]
    notation = notation_from_toml(text, where="ng without matrices")
    with pytest.raises(SymbackpropError, match=words) as err:
        verify(context(spec, notation), Claim(latex), limits=None)
    assert "\n" not in str(err.value)
