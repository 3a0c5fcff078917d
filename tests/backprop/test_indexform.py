"""Index-form formulas against the scalar gradients of concrete networks."""

from __future__ import annotations

import itertools
import json

import pytest
import sympy as sp

from symbackprop.backprop.forms import deltas, gradients
from symbackprop.backprop.indexform import Block, index_form
from symbackprop.backprop.indexscheme import IndexFormError, instantiate, resolve, unit_letters
from symbackprop.cli.main import main
from symbackprop.model.network import Network, build
from symbackprop.model.notation import load_notation
from symbackprop.model.spec import NetworkSpec, inline, preset
from tests.helpers import close, random_point, value

SPECS = {
    "maren": lambda: preset("maren"),
    "essay": lambda: preset("essay"),
    "2-3-3-1": lambda: inline("2-3-3-1"),
    "2-2-3-tanh-sse": lambda: inline("2-2-3", activation=["tanh", "sigmoid"], loss="sse"),
}


def _setup(name: str) -> tuple[NetworkSpec, Network, object, bool]:
    spec = SPECS[name]()
    notation = load_notation(spec.notation)
    return (
        spec,
        build(spec, notation.residual),
        index_form(spec, notation),
        notation.has_error_terms,
    )


def _units(block: Block, net: Network, layer_of: dict[str, int]) -> list[dict[str, int]]:
    """Every assignment of unit numbers to the layers of a block."""
    labels = [layer.label for layer in block.scheme.layers]
    where = {label: int(label) for label in labels if label.isdigit()} | layer_of
    ranges = [range(1, net.spec.sizes[where[label]] + 1) for label in labels]
    return [dict(zip(labels, combo)) for combo in itertools.product(*ranges)]


def _check(
    block: Block, net: Network, error_terms: bool, layer_of: dict[str, int] | None = None
) -> int:
    """Each delta and gradient formula equals the concrete one, for every unit; returns the
    count."""
    layer_of = layer_of or {}
    per_case = {g.param.id: g.per_case.value for g in gradients(net, error_terms=error_terms)}
    checked = 0
    for f in block.formulas:
        kind = f.key.rstrip("0123456789").rstrip("-+lL")
        if kind not in ("w", "b", "delta"):
            continue
        layer = int(f.layer) if f.layer.isdigit() else layer_of[f.layer]
        for units in _units(block, net, layer_of):
            got = instantiate(f.value, block.scheme, net, units, layer_of, error_terms)
            pos = [lay.label for lay in block.scheme.layers].index(f.layer)
            j = units[f.layer]
            k = units[block.scheme.layers[pos - 1].label]
            if kind == "w":
                want = per_case[f"w{layer}_{j}_{k}"]
            elif kind == "b":
                want = per_case[f"b{layer}_{j}"]
            else:
                want = deltas(net, error_terms)[(layer, j)].value
            assert sp.expand(got - want) == 0, (f.key, units)
            checked += 1
    return checked


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_layer_matches_the_concrete_network(name: str) -> None:
    _spec, net, form, et = _setup(name)
    assert _check(form.blocks[0], net, et) > 0


@pytest.mark.parametrize("name", ["essay", "2-3-3-1"])
def test_generic_layer_l_matches_every_layer(name: str) -> None:
    spec, net, form, et = _setup(name)
    output, hidden = form.blocks[1], form.blocks[2]
    L = spec.depth
    assert _check(output, net, et, {"L-1": L - 1, "L": L}) > 0
    for l in range(1, L):
        assert _check(hidden, net, et, {"l-1": l - 1, "l": l, "l+1": l + 1}) > 0


def test_maren_formulas_equal_the_exact_derivative() -> None:
    _spec, net, form, et = _setup("maren")
    block = form.blocks[0]
    exact = {g.param.id: g.exact for g in gradients(net)}
    point = random_point(net, seed=5)
    by_key = {f.key: f for f in block.formulas}
    for key, pid, units in (("w2", "w2_2_3", {"1": 3, "2": 2}), ("w1", "w1_3_4", {"0": 4, "1": 3})):
        got = net.to_closed(
            instantiate(by_key[key].value, block.scheme, net, units, error_terms=et)
        )
        assert close(value(got, point), value(exact[pid], point)), key


def _maren_latex(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["derive", "maren", "--index-form", *extra]) == 0
    return capsys.readouterr().out


def test_maren_reproduces_eq_6_30_and_derives_the_hidden_formula(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _maren_latex(capsys)
    assert (
        r"\frac{\partial \mathit{SSE}}{\partial v_{h,o}} &= \frac{\partial \mathit{SSE}}{\partial"
        r" E_{o}}" in out
    )  # 6.28
    assert (
        r"&= E_{o} \cdot \left(-1\right) \cdot \left(\alpha \mathcal{F}_{o} \left(1 - "
        r"\mathcal{F}_{o}\right)\right) \cdot H_{h}" in out
    )  # 6.29
    assert (
        r"&= - \alpha E_{o} \mathcal{F}_{o} \left(1 - \mathcal{F}_{o}\right) H_{h}" in out
    )  # 6.30
    assert (
        r"\frac{\partial \mathit{SSE}}{\partial E_{o}} &= \frac{\partial}{\partial E_{o}}" in out
        and "&= E_{o}\n" in out
    )  # 6.17
    assert r"\frac{\partial E_{o}}{\partial A_{o}}" in out and "&= -1\n" in out  # 6.21
    hidden = (
        r"&= - \alpha \left(\sum_{o=1}^{O} E_{o} \mathcal{F}_{o} \left(1 - \mathcal{F}_{o}\right) "
        r"v_{h,o}\right) "
        r"\alpha H_{h} \left(1 - H_{h}\right) I_{i}"
    )
    assert hidden in out


def test_the_chapters_upper_limit_O_in_eq_6_3_is_a_slip(capsys: pytest.CaptureFixture[str]) -> None:
    """Eqs. 6.3 and 6.9 write NdInpt_o = sum_{h=1}^{O} v_{h,o} H_h; the derived net input runs to
    H."""
    out = _maren_latex(capsys)
    assert r"\mathit{NdInpt}_{o} = \sum_{h'=1}^{H} v_{h',o} H_{h'}" in out
    _spec, net, form, _et = _setup("maren")
    block = form.blocks[0]
    out_layer, hidden = block.scheme.layers[2], block.scheme.layers[1]
    h, o = hidden.running, out_layer.index
    chapter = sp.Sum(out_layer.W[o, h] * hidden.a[h], (h, 1, out_layer.size))  # upper limit O
    derived = next(f for f in block.formulas if f.key == "z2").value
    for unit in (1, 2):
        mine = instantiate(derived, block.scheme, net, {"2": unit})
        assert sp.expand(mine - net.definitions[net.z[2][unit - 1]]) == 0
        theirs = instantiate(chapter, block.scheme, net, {"2": unit})
        assert (
            sp.expand(theirs - net.definitions[net.z[2][unit - 1]]) != 0
        )  # O = 2 < H = 3: a term is lost


def test_json_gives_latex_and_srepr(capsys: pytest.CaptureFixture[str]) -> None:
    out = json.loads(_maren_latex(capsys, "--format", "json"))
    keys = {f["id"] for f in out["formulas"]}
    assert {"w1", "w2", "delta1", "delta2", "z1", "z2"} <= keys
    assert all(
        f["latex"] and f["srepr"].startswith(("Mul", "Sum", "Add", "Indexed", "Integer"))
        for f in out["formulas"]
    )


def test_inline_any_depth_and_the_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", "2-3-3-1", "--index-form"]) == 0
    out = capsys.readouterr().out
    assert r"\delta^{(l)}_{j} &= \frac{\partial E}{\partial z^{(l)}_{j}}" in out
    assert (
        r"\left(\sum_{m=1}^{N_{l+1}} \delta^{(l+1)}_{m} w^{(l+1)}_{m,j}\right) a^{(l)}_{j} "
        r"\left(1 - a^{(l)}_{j}\right)" in out
    )
    assert main(["derive", "essay", "--index-form"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        r"\frac{\partial E}{\partial p} = \frac{1}{n} \sum_{i=1}^{n} \frac{\partial "
        r"E_{i}}{\partial p}"
    )
    assert r"&= 2 \left(o_{j} - d_{j}\right) v^{(L)}_{j} \left(1 - v^{(L)}_{j}\right)" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["maren", "--index-form", "--param", "v_{1,1}"],
        ["2-x", "--index-form"],
        ["maren", "--index-form", "--format", "text"],
    ],
)
def test_bad_input_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symbackprop: error:") and err.count("\n") == 1


def test_resolve_refuses_an_undecided_condition() -> None:
    j, n = sp.Symbol("j", integer=True), sp.Symbol("n", integer=True, positive=True)
    x = sp.IndexedBase("x")
    pw = sp.Piecewise((x[j], sp.Ge(j, 2)), (0, True))
    with pytest.raises(IndexFormError):
        resolve(pw, frozenset({sp.Ge(j, 1).canonical, sp.Le(j, n).canonical}))


def test_default_letters_skip_the_notations_own_letters_and_sizes_follow_its_template() -> None:
    hagan = load_notation("hagan")  # layer m, case q, sensitivity s, input p, target t
    assert unit_letters(hagan)[:3] == ("k", "j", "r")
    assert unit_letters(load_notation("canonical"))[:3] == ("k", "j", "m")
    latex = index_form(inline("1-1", loss="sse"), hagan).blocks[0].scheme.latex
    assert (latex["idx[1]"], latex["size[0]"], latex["size[1]"]) == ("j", "S^{0}", "S^{1}")


@pytest.mark.parametrize(
    ("notation", "titles", "written", "absent"),
    [
        (
            "hagan",  # layer m, last layer M
            ("% output layer M, any depth", "% hidden layer m < M, any depth"),
            (r"\sum_{k'=1}^{S^{M-1}} w^{M}_{j,k'} a^{M-1}_{k'}", r"s^{m+1}_{r} w^{m+1}_{r,j}"),
            ("^{l", "^{L", "{S^{l", "{S^{L"),
        ),
        (
            "goodfellow",  # layer k, last layer l: the generic l is the notation's k
            ("% output layer l, any depth", "% hidden layer k < l, any depth"),
            (
                r"\sum_{q=1}^{N_{k+1}} g^{(k+1)}_{q} W^{(k+1)}_{q,p}",
                r"W^{(l)}_{p,j'} h^{(l-1)}_{j'}",
            ),
            ("^{(L", "N_{L", "N_{l+1}"),
        ),
    ],
)
def test_generic_blocks_write_the_notations_layer_letters(
    notation: str,
    titles: tuple[str, str],
    written: tuple[str, ...],
    absent: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["derive", "2-3-3-1", "--notation", notation, "--index-form"]) == 0
    out = capsys.readouterr().out
    generic = out[out.index(titles[0]) :]
    assert titles[1] in generic
    assert all(w in generic for w in written)
    assert not any(a in generic for a in absent)
