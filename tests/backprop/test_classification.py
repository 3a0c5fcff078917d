"""Softmax outputs and cross-entropy: the textbook dE/dz_j = a_j - y_j comes out of the
derivation."""

from __future__ import annotations

import pytest
import sympy as sp

from symbackprop import build, derive, gradients, inline
from symbackprop.backprop.forms import deltas
from symbackprop.model.network import Network
from tests.helpers import central_difference, close, random_point, value


def one_hot_constraint(net: Network) -> dict[sp.Expr, sp.Expr]:
    """Categorical targets sum to 1: write the last one in terms of the others."""
    *first, last = net.targets
    return {last: 1 - sp.Add(*first)}


def test_softmax_cross_entropy_output_delta_is_a_minus_y() -> None:
    net = build(inline("2-3-3", activation=["tanh", "softmax"], loss="cross_entropy"))
    d = deltas(net)
    for j in (1, 2, 3):
        assert sp.expand(d[(2, j)].value - (net.a[2][j - 1] - net.targets[j - 1])) == 0
    shown = derive(
        inline("2-3-3", activation=["tanh", "softmax"], loss="cross_entropy"), params=["b2_2"]
    ).latex()
    assert shown == [
        r"\frac{\partial E}{\partial b^{(2)}_{2}} = a^{(2)}_{2} - y_{2} \quad "
        r"\text{(for targets with } y_{1} + y_{2} + y_{3} = 1\text{)}"
    ]


def test_binary_cross_entropy_output_delta_is_a_minus_y() -> None:
    net = build(inline("2-2-1", loss="cross_entropy"))
    (g,) = gradients(net, ["b2_1"])
    assert sp.expand(g.compact.value - (net.a[2][0] - net.targets[0])) == 0
    # no constraint needed: it is the exact gradient for any target
    for seed in (1, 2):
        point = random_point(net, seed)
        assert close(value(net.to_closed(g.compact.value), point), value(g.exact, point))


def test_categorical_simplification_uses_the_one_hot_constraint() -> None:
    """a_j - y_j is dE/dz_j only for targets summing to 1; the chain form holds for any targets."""
    net = build(inline("2-3", activation="softmax", loss="cross_entropy"))
    (g,) = gradients(net, ["b1_1"])
    point = random_point(net, seed=3)  # targets that do not sum to 1
    assert not close(value(net.to_closed(g.compact.value), point), value(g.exact, point))
    assert close(value(net.to_closed(g.chain_value()), point), value(g.exact, point))


@pytest.mark.parametrize(
    "spec",
    [
        inline("2-3-3", activation=["tanh", "softmax"], loss="cross_entropy"),
        inline("2-2-3", activation=["sigmoid", "softmax"], loss="cross_entropy", bias=False),
        inline("2-2-2", activation=["softmax", "sigmoid"], loss="half_sse"),
        inline("3-2-1", loss="cross_entropy"),
    ],
    ids=["tanh-softmax-ce", "sigmoid-softmax-ce-nobias", "hidden-softmax", "binary-ce"],
)
def test_all_forms_agree_with_central_differences(spec: object) -> None:
    net = build(spec)  # type: ignore[arg-type]
    constraint = (
        one_hot_constraint(net)
        if net.spec.loss == "cross_entropy" and net.spec.activations[-1] == "softmax"
        else {}
    )
    point = random_point(net, seed=5)
    if constraint:
        *first, last = net.targets
        point = {k: v for k, v in point.items() if k != last}
        scale = sum(abs(point[t]) for t in first) + 1
        point |= {t: abs(point[t]) / scale for t in first}  # a probability vector
        point[last] = 1 - sum(point[t] for t in first)
    for g in gradients(net):
        reference = central_difference(net, g.param.symbol, point)
        for form in (g.exact, net.to_closed(g.compact.value), net.to_closed(g.chain_value())):
            assert close(value(form, point), reference), g.param.id


def test_eval_checks_cross_entropy_targets(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from symbackprop.cli.main import main

    values = tmp_path / "v.toml"
    body = (
        "x = [1, 2]\ny = [{y}]\n[params]\n"
        + "".join(f"w1_{j}_{k} = 0.{j}{k}\n" for j in (1, 2, 3) for k in (1, 2))
        + "b1_1 = 0\nb1_2 = 0\nb1_3 = 0\n"
    )
    values.write_text(body.format(y="0, 1, 1"))
    assert (
        main(
            [
                "eval",
                "2-3",
                "--activation",
                "softmax",
                "--loss",
                "cross_entropy",
                "--values",
                str(values),
            ]
        )
        == 2
    )
    assert "must sum to 1" in capsys.readouterr().err
    values.write_text(body.format(y="0, 1, 0"))
    assert (
        main(
            [
                "eval",
                "2-3",
                "--activation",
                "softmax",
                "--loss",
                "cross_entropy",
                "--values",
                str(values),
                "--format",
                "json",
            ]
        )
        == 0
    )
    import json

    data = json.loads(capsys.readouterr().out)
    a = [data["forward"][0][f"a1_{j}"]["value"] for j in (1, 2, 3)]
    assert sum(a) == pytest.approx(1.0)
    assert data["gradients"]["b1_2"]["value"] == pytest.approx(a[1] - 1)


def test_index_form_refuses_classification_heads(capsys: pytest.CaptureFixture[str]) -> None:
    from symbackprop.cli.main import main

    assert (
        main(
            ["derive", "2-3", "--activation", "softmax", "--loss", "cross_entropy", "--index-form"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "drop --index-form" in err


SOFTMAX = ["2-3-2", "--activation", "sigmoid,softmax", "--loss", "cross_entropy"]
BINARY = ["2-2-1", "--loss", "cross_entropy"]


@pytest.mark.parametrize(
    ("spec", "param", "claim", "status"),
    [
        # the textbook output-layer gradient (a_j - y_j) a_k, under the one-hot constraint
        (SOFTMAX, "w2_1_3", r"(a^{(2)}_{1} - y_{1}) a^{(1)}_{3}", 0),
        (SOFTMAX, "b2_2", r"a^{(2)}_{2} - y_{2}", 0),
        # a wrong hidden unit, and the sigmoid slope a(1 - a) that softmax + CE cancels
        (SOFTMAX, "w2_1_3", r"(a^{(2)}_{1} - y_{1}) a^{(1)}_{2}", 1),
        (SOFTMAX, "w2_1_3", r"(a^{(2)}_{1} - y_{1}) a^{(2)}_{1} (1 - a^{(2)}_{1}) a^{(1)}_{3}", 1),
        # binary cross-entropy written out with \ln and differentiated in the claim
        (
            BINARY,
            "w2_1_1",
            r"\frac{\partial}{\partial w^{(2)}_{1,1}} \left(-y_1 \ln a^{(2)}_1 - "
            r"(1-y_1)\ln(1-a^{(2)}_1)\right)",
            0,
        ),
        (BINARY, "w2_1_1", r"(a^{(2)}_{1} - y_{1}) a^{(1)}_{1}", 0),
        (BINARY, "w2_1_1", r"(y_{1} - a^{(2)}_{1}) a^{(1)}_{1}", 1),
    ],
)
def test_verify_judges_classification_claims(
    spec: list[str], param: str, claim: str, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from symbackprop.cli.main import main

    assert main(["verify", *spec, "--param", param, "--claim", claim]) == status
    out = capsys.readouterr().out
    assert ("HOLDS" in out) == (status == 0)
    if status:
        assert "claim/true" in out
