"""E as a mean or a sum over cases, with or without an L2 penalty (on the weights, or on the biases
too): every symbolic form, the printed display and eval against 50-digit central differences of
the corpus oracle (mpmath only)."""

from __future__ import annotations

import json
import random

import pytest
import sympy as sp

from symbackprop.backprop.evaluate import Values, evaluate
from symbackprop.backprop.forms import Gradient, gradients
from symbackprop.backprop.indexform import index_form
from symbackprop.backprop.indexscheme import IndexFormError
from symbackprop.cli.main import main
from symbackprop.model.activations import to_elementary
from symbackprop.model.network import Network, build
from symbackprop.model.notation import load_notation
from symbackprop.printing.indexform import index_latex
from symbackprop.printing.latex import render
from tests.corpus.oracle import Point
from tests.helpers import REPO
from tests.loss_terms import (
    L2,
    VARIANTS,
    Variant,
    close,
    exact,
    oracle_gradient,
    param_values,
    point_substitution,
)

CASES = sp.Integer(3)
PARAMS = ["w1_1_2", "b1_1", "w2_2_1", "b2_2"]  # a weight and a bias of each layer


def at_point(net: Network, expr: sp.Expr, subs: dict[sp.Expr, sp.Expr]) -> sp.Expr:
    """A form of the network (intermediates, a Sum over the n cases) as a number at the point."""
    expr = net.to_closed(expr)
    if net.n_cases is not None:
        expr = expr.xreplace({net.n_cases: CASES}).replace(
            lambda e: isinstance(e, sp.Sum),
            lambda e: sp.Add(
                *[e.function.xreplace({e.limits[0][0]: sp.Integer(c)}) for c in range(1, 4)]
            ),
        )
    return to_elementary(expr.xreplace(subs).doit()).evalf(50)


def forms(g: Gradient) -> dict[str, sp.Expr]:
    return {
        "exact": g.exact,
        "compact": g.compact.value,
        "chain": g.chain_value(),
        "exact display": g.exact_display.display,  # unevaluated: summed at the point
        "compact display (printed)": g.compact.display,
    }


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label)
def test_every_form_matches_central_differences(variant: Variant) -> None:
    net = build(variant.spec())
    pt = variant.point()
    subs = point_substitution(net, pt)
    want = oracle_gradient(net, pt)
    for g in gradients(net, PARAMS):
        for name, expr in forms(g).items():
            got = at_point(net, expr, subs)
            assert close(got, want[g.param.id]), (variant.label, g.param.id, name, got)
    assert close(at_point(net, net.error, subs), pt.loss())


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label)
def test_eval_matches_central_differences(variant: Variant) -> None:
    net = build(variant.spec())
    pt = variant.point()
    values = Values(
        x=tuple(tuple(exact(v) for v in row) for row in pt.X),
        y=tuple(tuple(exact(v) for v in row) for row in pt.Y),
        lr=sp.Rational(1, 2),
        params=param_values(net, pt),
    )
    report = evaluate(net, values)
    want = oracle_gradient(net, pt)
    assert close(report.error, pt.loss())
    for pid, value in report.gradients.items():
        assert close(value, want[pid]), (variant.label, pid)
        assert close(report.updates[pid], values.params[pid] - values.lr * want[pid])


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label)
def test_latex_shows_the_reduction_and_the_penalty(variant: Variant) -> None:
    net = build(variant.spec())
    notation = load_notation("canonical")
    names = notation.symbol_names(net)
    for g in gradients(net, ["w2_1_2", "b1_1"]):
        r = render(g, notation, names)
        covered = variant.l2 != "0" and (g.param.kind == "weight" or variant.l2_biases)
        term = r.printer.doprint(net.penalty_display(g.param)) if net.penalty else "lambda"
        for text in (r.compact(), r.exact(), r.equation("chain")):
            assert (term in text) == covered, (variant.label, g.param.id, text)
            assert (r"\frac{1}{n} \sum_{i=1}^{n}" in text) == (variant.reduce == "mean")
            assert (r"\sum_{i=1}^{n}" in text) == (variant.reduce != "none")
        if covered:
            assert r.compact().endswith(f" + {term}")


def test_the_penalty_symbol_comes_from_the_notation(tmp_path: object) -> None:
    net = build(VARIANTS[4].spec())  # a penalty on the weights
    notation = load_notation("canonical")
    notation = type(notation)(
        notation.name, {**notation.top, "penalty": r"\alpha_{\mathrm{wd}}"}, notation.layer,
        notation.layers, notation.names,
    )  # fmt: skip
    names = notation.symbol_names(net)
    (g,) = gradients(net, ["w1_1_1"])
    assert render(g, notation, names).compact().endswith(r" + \alpha_{\mathrm{wd}} w^{(1)}_{1,1}")


def test_objective_has_the_penalty_once_and_the_case_sum() -> None:
    variant = Variant("sum", "1/4", True)
    net = build(variant.spec())
    lam = net.penalty
    assert lam is not None
    squares = sp.Add(*[p.symbol**2 for p in net.params])
    assert sp.expand(net.penalty_error() - lam / 2 * squares) == 0
    data = net.error - net.penalty_error()
    assert isinstance(data, sp.Sum) and data.limits == ((net.case, 1, net.n_cases),)


def test_the_example_spec_evaluates_to_the_oracles_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """examples/decay.toml at examples/decay-values.toml: E and dE/dp from the oracle's own
    forward pass at those numbers (its random point overwritten)."""
    argv = ["eval", str(REPO / "examples" / "decay.toml"), "--format", "json"]
    assert main([*argv, "--values", str(REPO / "examples" / "decay-values.toml")]) == 0
    data = json.loads(capsys.readouterr().out)
    spec = {"sizes": [2, 2, 1], "activations": ["sigmoid", "sigmoid"], "loss": "half_sse"}
    pt = Point({**spec, "reduce": "mean", "l2": "0.01", "cases": 2}, random.Random(0))
    pt.W = [[], [[0.5, -0.5], [0.25, 0.75]], [[1.0, -1.0]]]
    pt.b = [[], [0.1, -0.1], [0.2]]
    pt.X, pt.Y = [[0, 1], [1, 1]], [[1], [0]]
    pt._base = [pt._forward_case(n, None) for n in range(2)]
    assert data["error"] == pytest.approx(float(pt.loss()), rel=1e-14)
    grads = data["gradients"]
    assert grads["w2_1_1"]["value"] == pytest.approx(float(pt.dW(2, 0, 0)), rel=1e-12)
    assert grads["w1_2_2"]["value"] == pytest.approx(float(pt.dW(1, 1, 1)), rel=1e-12)
    assert grads["b2_1"]["value"] == pytest.approx(float(pt.db(2, 0)), rel=1e-12)


def test_index_form_gathers_a_sum_and_refuses_a_penalty() -> None:
    notation = load_notation("canonical")
    summed = index_form(Variant("sum", "0", False).spec(), notation)
    assert summed.mean is not None and summed.mean.key == "sum"
    assert r"\frac{1}{" not in index_latex(summed)[-1]
    with pytest.raises(IndexFormError, match="covers E without an L2 penalty"):
        index_form(Variant("mean", L2, False).spec(), notation)
