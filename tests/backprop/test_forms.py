"""The three forms of every gradient are equal, and equal to an independent reference."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sympy as sp

from symbackprop import build, gradients, inline, preset
from symbackprop.backprop.forms import evaluate, expand_display
from symbackprop.model.network import Network
from symbackprop.model.spec import NetworkSpec
from tests.helpers import central_difference, close, random_point, value

SPECS: dict[str, NetworkSpec] = {
    "sears-xor": preset("sears-xor"),
    "maren": preset("maren"),
    "note": preset("note"),
    "xor-bias": preset("xor-bias"),
    "essay-per-case": replace(preset("essay"), mean=False),
    "2-3-2 tanh sse": inline("2-3-2", activation="tanh", loss="sse"),
    "3-2-2 relu": inline("3-2-2", activation="relu"),
    "2-2-2-1 softplus no bias": inline("2-2-2-1", activation="softplus", bias=False),
    "2-3-2-2 mixed": inline("2-3-2-2", activation=["tanh", "sigmoid", "linear"]),
    "2-2-2 gain": inline("2-2-2", gain=True, loss="sse"),
}
# deeper nets, checked symbolically only (central differences of their closed forms are slow)
DEEP: dict[str, NetworkSpec] = {
    "2-2-2-2-1 depth 4 mixed": inline(
        "2-2-2-2-1", activation=["sigmoid", "tanh", "softplus", "sigmoid"]
    ),
    "1-2-2-1-2 depth 4 tanh sse": inline("1-2-2-1-2", activation="tanh", loss="sse"),
}


def _nets(specs: dict[str, NetworkSpec]) -> list[tuple[str, Network]]:
    return [(name, build(spec)) for name, spec in specs.items()]


NETS = _nets(SPECS)
DEEP_NETS = _nets(DEEP)


@pytest.mark.parametrize(("name", "net"), NETS + DEEP_NETS, ids=[n for n, _ in NETS + DEEP_NETS])
def test_compact_chain_and_exact_agree_symbolically(name: str, net: Network) -> None:
    for g in gradients(net):
        exact = g.exact
        compact = net.to_closed(g.compact.value)
        chain = net.to_closed(g.chain_value())
        assert sp.expand(exact - compact) == 0, g.param.id
        assert sp.expand(exact - chain) == 0, g.param.id
        # the printed twins are the same expressions as the values
        assert sp.expand(net.to_closed(evaluate(g.compact.display)) - compact) == 0
        assert sp.expand(evaluate(g.exact_display.display) - exact) == 0
        for path in g.chain:
            for f in path:
                assert sp.expand(evaluate(f.display) - f.value) == 0


@pytest.mark.parametrize(("name", "net"), NETS, ids=[n for n, _ in NETS])
def test_gradients_match_central_differences(name: str, net: Network) -> None:
    point = random_point(net, seed=len(name))
    for g in gradients(net):
        derived = value(g.exact, point)
        reference = central_difference(net, g.param.symbol, point)
        assert close(derived, reference), (g.param.id, derived, reference)


def test_every_parameter_has_a_gradient_in_theta_order() -> None:
    net = build(inline("3-4-2"))
    ids = [g.param.id for g in gradients(net)]
    assert ids[:3] == ["w1_1_1", "w1_1_2", "w1_1_3"]
    assert ids[12:16] == ["b1_1", "b1_2", "b1_3", "b1_4"]
    assert ids[-2:] == ["b2_1", "b2_2"]
    assert len(ids) == len(set(ids)) == net.spec.n_params == 3 * 4 + 4 + 4 * 2 + 2


def test_mean_over_cases_is_the_mean_of_per_case_gradients() -> None:
    spec = inline("2-2-1", mean=True, loss="sse")
    net = build(spec)
    per_case = build(replace(spec, mean=False))
    for g, gc in zip(gradients(net), gradients(per_case)):
        # evaluate with n = 3 concrete cases: (1/3) sum of the per-case gradients at each case
        point = random_point(per_case, seed=7)
        cases = [random_point(per_case, seed=s) for s in (11, 12, 13)]
        exact = g.exact.subs(net.n_cases, 3).doit()
        subs = {p.symbol: point[p.symbol] for p in net.params}
        for c, case in enumerate(cases, start=1):
            for s_mean, s_case in zip(net.inputs + net.targets, per_case.inputs + per_case.targets):
                subs[s_mean.base[c]] = case[s_case]
        expected = (
            sum(
                value(gc.exact, {**case, **{p.symbol: point[p.symbol] for p in per_case.params}})
                for case in cases
            )
            / 3
        )
        assert close(value(exact, subs), expected), g.param.id
        compact = net.to_closed(g.compact.value).subs(net.n_cases, 3).doit()
        assert close(value(compact, subs), expected), g.param.id


def test_exact_display_is_a_closed_form() -> None:
    net = build(preset("sears-xor"))
    intermediates = set(net.definitions)
    for g in gradients(net):
        shown = expand_display(g.compact.display, net.displays)
        assert not (shown.free_symbols & intermediates)


def test_jupyter_representations() -> None:
    from symbackprop import derive
    from symbackprop.printing.latex import render

    result = derive(preset("sears-xor"))
    shown = result._repr_latex_()
    assert shown.startswith("$$\\begin{aligned}") and shown.endswith("\\end{aligned}$$")
    assert shown.count("&=") == len(result.gradients) == 6
    one = render(result.gradients[4], result.notation)._repr_latex_()
    assert one.startswith("$$\\begin{aligned}\n\\frac{\\partial E}{\\partial w_{1}}")
