"""The layer-wise derivation at scale: SymPy's own expressions, without per-parameter SymPy work."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy as sp

from symbackprop import build, gradients, inline, preset
from symbackprop.backprop.forms import deltas, product
from symbackprop.model.network import Network, Param
from symbackprop.model.spec import NetworkSpec

SPECS: dict[str, NetworkSpec] = {
    "maren (gain, error terms)": preset("maren"),
    "essay (mean over cases)": preset("essay"),
    "note (linear)": preset("note"),
    "3-4-3 softmax cross-entropy": inline(
        "3-4-3", activation=["tanh", "softmax"], loss="cross_entropy"
    ),
    "2-3-1 binary cross-entropy mean": inline("2-3-1", loss="cross_entropy", mean=True),
    "2-3-2-2 relu softplus linear": inline(
        "2-3-2-2", activation=["relu", "softplus", "linear"], loss="sse"
    ),
    "3-2-2 gain no bias": inline("3-2-2", gain=True, bias=False),
}


def _last(net: Network, p: Param) -> sp.Expr:
    return net.a[p.layer - 1][p.from_unit - 1] if p.from_unit is not None else sp.Integer(1)


def _same(got: sp.Expr, want: sp.Expr) -> bool:
    """Structurally identical: the same classes and arguments in the same order, all the way
    down."""
    if (
        type(got) is not type(want)
        or got.is_commutative != want.is_commutative
        or len(got.args) != len(want.args)
    ):
        return False
    if not got.args:
        return bool(got == want)
    return all(_same(g, w) for g, w in zip(got.args, want.args))


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
@pytest.mark.parametrize("error_terms", [False, True], ids=["plain", "error-terms"])
def test_compact_gradients_are_sympys_own_products(spec: NetworkSpec, error_terms: bool) -> None:
    """Each delta * dz/dp is built once per unit and sorted into place per parameter: it must be
    exactly what ``sympy.Mul`` builds (value) and what ``product`` with
    ``sympy.Mul(evaluate=False)`` builds (display), argument for argument."""
    net = build(spec)
    table = deltas(net, error_terms)
    for g in gradients(net, error_terms=error_terms):
        delta, last = table[(g.param.layer, g.param.to_unit)], _last(net, g.param)
        got = g.per_case
        assert _same(got.value, sp.Mul(delta.value, last)), g.param.id
        want = product([delta.display, last])
        assert _same(got.display, want), g.param.id
        if isinstance(want, sp.Mul):
            assert _same(got.display, sp.Mul(*want.args, evaluate=False)), g.param.id


def test_the_comparison_sees_argument_order() -> None:
    x, y = sp.symbols("x y", real=True)
    assert _same(sp.Mul(x, y), x * y)
    assert not _same(sp.Mul(y, x, evaluate=False), x * y)
    assert not _same(sp.Mul(x, y + 1), sp.Mul(x, y + 2))


def _count_flattens(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Count SymPy's evaluations of sums and products from now on (its cache cleared, so none
    hides)."""
    calls = [0]
    for cls in (sp.Mul, sp.Add):
        original = cls.flatten.__func__  # type: ignore[attr-defined]

        def counted(klass: type, seq: list[sp.Expr], _original: Callable = original) -> object:
            calls[0] += 1
            return _original(klass, seq)

        monkeypatch.setattr(cls, "flatten", classmethod(counted))
    sp.core.cache.clear_cache()
    return lambda: calls[0]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_derivation_work_does_not_grow_with_the_input_width(
    monkeypatch: pytest.MonkeyPatch, activation: str
) -> None:
    """The cost of deriving is linear in the parameters: the SymPy evaluations for every compact
    gradient (build included) are per unit, the same for 4 inputs as for 40 (24 or 240 weights in
    layer 1); only cheap per-parameter assembly grows."""
    counts = []
    for width in (4, 40):
        count = _count_flattens(monkeypatch)
        before = count()
        net = build(inline(f"{width}-6-3", activation=[activation, "sigmoid"]))
        exprs = [g.compact for g in gradients(net)]
        counts.append(count() - before)
        assert len(exprs) == net.spec.n_params
        monkeypatch.undo()
    assert counts[0] == counts[1] > 0


def test_closed_forms_do_not_depend_on_the_order_they_are_asked_for() -> None:
    spec = inline("2-3-2", activation=["tanh", "softmax"], loss="cross_entropy")
    forward, backward = build(spec), build(spec)
    keys = list(forward.closed)
    assert keys == list(backward.closed) and len(keys) == len(set(keys)) == 2 * (3 + 2) + 2 * 2
    later = {k: backward.closed[k] for k in reversed(keys)}
    for k in keys:
        assert _same(forward.closed[k], later[k]), k
    with pytest.raises(KeyError):
        forward.closed[sp.Symbol("z9_9", real=True)]
