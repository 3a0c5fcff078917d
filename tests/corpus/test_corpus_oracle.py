"""The corpus's recorded verdicts against the independent mpmath oracle, and the oracle itself
against hand-written closed forms."""

from __future__ import annotations

import random
from collections import Counter
from types import ModuleType
from typing import Any

import pytest
from mpmath import mp, mpf

from .cases import VARIANT_KINDS, texts
from .oracle import (
    DEFAULTS,
    FAILS,
    HOLDS,
    Point,
    StepDisagreement,
    examine,
    grad,
    judge,
    loss,
    points,
    scalar_derivative,
    sigmoid,
)

TEXTS = texts()
ALL = [(t, c) for t in TEXTS for c in t.CASES]


def _name(t: ModuleType) -> str:
    return t.__name__.rsplit(".", 1)[-1]


@pytest.mark.parametrize("text,case", ALL, ids=[c["id"] for _, c in ALL])
def test_recorded_verdict_is_the_oracles(text: ModuleType, case: dict[str, Any]) -> None:
    assert judge(case, text.NETWORK, text.RANGES) == case["expect"]


@pytest.mark.parametrize("text,case", ALL, ids=[c["id"] for _, c in ALL])
def test_case_is_not_vacuous(text: ModuleType, case: dict[str, Any]) -> None:
    """A correct claim must be non-zero somewhere; a wrong one must disagree in value at some
    binding (not only be undefined there)."""
    stats = examine(case, text.NETWORK, text.RANGES)
    assert stats["bindings"] > 0
    assert stats["largest"] > mpf("1e-8")
    if case["expect"] == FAILS:
        assert stats["mismatches"] > 0
    else:
        assert stats["mismatches"] == 0 and stats["undefined"] == 0


def test_corpus_size_and_shape() -> None:
    assert len(ALL) >= 150
    assert len(TEXTS) >= 6
    ids = [c["id"] for _, c in ALL]
    assert len(ids) == len(set(ids))
    for t in TEXTS:
        wrong = [c for c in t.CASES if c["variant"] is not None]
        assert len(wrong) >= 2, _name(t)
        assert len({c["variant"] for c in wrong}) >= 2, _name(t)
        assert len(t.CASES) - len(wrong) >= 2 * len(wrong), _name(t)
        for key in (
            "sizes",
            "activations",
            "biases",
            "loss",
            "reduce",
            "first_layer",
            "weight_orientation",
            "batch_columns",
        ):
            assert key in t.NETWORK, (_name(t), key)
        for key in (
            "weight",
            "bias",
            "net_input",
            "activation",
            "delta",
            "learning_rate",
            "target",
            "output",
            "layer_index",
            "W_orientation",
        ):
            assert key in t.NOTATION, (_name(t), key)
    for t, c in ALL:
        assert int({**DEFAULTS, **c.get("network", t.NETWORK)}["points"]) >= 3, c["id"]
        assert (c["variant"] is None) == (c["expect"] == HOLDS), c["id"]
        assert c["variant"] is None or c["variant"] in VARIANT_KINDS
        assert c["latex"].strip() and "\n" not in c["latex"]
    kinds = Counter(c["variant"] for _, c in ALL if c["variant"])
    for kind in (
        "missing activation derivative",
        "sign flip",
        "transposed indices",
        "z for a",
        "forgotten sum",
        "wrong unit's activation derivative",
        "learning-rate sign error",
    ):
        assert kinds[kind] >= 1, kind


# ----- the oracle against closed forms ---------------------------------------------------
TINY = {
    "sizes": [1, 1, 1],
    "activations": ["sigmoid", "sigmoid"],
    "cases": 1,
    "points": 2,
    "seed": 7,
}


def _tiny_by_hand(net: Point) -> dict[str, Any]:
    """1-1-1 sigmoid net, E = 1/2 (o - y)^2, differentiated by hand."""
    w1, w2, b1, b2 = net.W[1][0][0], net.W[2][0][0], net.b[1][0], net.b[2][0]
    x, y = net.X[0][0], net.Y[0][0]
    h = sigmoid(w1 * x + b1)
    o = sigmoid(w2 * h + b2)
    d2 = (o - y) * o * (1 - o)
    d1 = d2 * w2 * h * (1 - h)
    return {
        "loss": (o - y) ** 2 / 2,
        "w2": d2 * h,
        "b2": d2,
        "w1": d1 * x,
        "b1": d1,
        "d2": d2,
        "d1": d1,
        "dx": d1 * w1,
    }


@pytest.mark.parametrize("net", points(TINY))
def test_oracle_matches_hand_gradient(net: Point) -> None:
    hand = _tiny_by_hand(net)
    got = {
        "loss": loss(net),
        "w2": grad(net, ("W", 2, 0, 0)),
        "b2": net.db(2, 0),
        "w1": net.dW(1, 0, 0),
        "b1": net.db(1, 0),
        "d2": net.dz(2, 0, 0),
        "d1": net.dz(1, 0, 0),
        "dx": net.da(0, 0, 0),
    }
    for key, value in hand.items():
        assert abs(got[key] - value) < mpf("1e-40") * max(1, abs(value)), key
    assert abs(hand["w1"]) > mpf("1e-6")


def test_judge_rejects_a_wrong_hand_formula() -> None:
    ranges: dict[str, Any] = {}
    right = {"free": {}, "sides": lambda net, b: (net.dW(1, 0, 0), _tiny_by_hand(net)["w1"])}
    # the missing h(1 - h) factor: what a student forgetting sigma' would write
    wrong = {
        "free": {},
        "sides": lambda net, b: (
            net.dW(1, 0, 0),
            _tiny_by_hand(net)["d2"] * net.W[2][0][0] * net.X[0][0],
        ),
    }
    assert judge(right, TINY, ranges) == HOLDS
    assert judge(wrong, TINY, ranges) == FAILS


def test_judge_tolerance_is_tight() -> None:
    ranges: dict[str, Any] = {}

    def off_by(rel: str) -> dict[str, Any]:
        return {
            "free": {},
            "sides": lambda net, b: (net.dW(1, 0, 0), _tiny_by_hand(net)["w1"] * (1 + mpf(rel))),
        }

    assert judge(off_by("1e-25"), TINY, ranges) == FAILS
    assert judge(off_by("1e-45"), TINY, ranges) == HOLDS


@pytest.mark.parametrize(
    "spec",
    [
        {"loss": "sse", "reduce": "mean", "cases": 2},
        {"loss": "half_sse", "l2": "0.3", "l2_biases": True},
        {"loss": "half_sse", "l2": "0.3", "l2_mean": True, "reduce": "mean", "cases": 2},
        {"loss": "ce", "activations": ["tanh", "sigmoid"]},
        {"loss": "ce", "activations": ["relu", "softmax"], "sizes": [1, 1, 2]},
    ],
)
def test_oracle_loss_and_penalty_against_closed_forms(spec: dict[str, Any]) -> None:
    net = points({**TINY, **spec, "points": 1, "seed": 11})[0]
    acts = net.acts
    data = mpf(0)
    for n in range(net.N):
        h = net.act(1, net.W[1][0][0] * net.X[n][0] + net.b[1][0])
        z = [net.W[2][j][0] * h + net.b[2][j] for j in range(net.sizes[2])]
        if acts[2] == "softmax":
            out = [mp.exp(v) / sum(mp.exp(u) for u in z) for v in z]
        else:
            out = [sigmoid(v) for v in z]
        y = net.Y[n]
        if spec["loss"] == "sse":
            data += sum((o - t) ** 2 for o, t in zip(out, y))
        elif spec["loss"] == "half_sse":
            data += sum((o - t) ** 2 for o, t in zip(out, y)) / 2
        elif acts[2] == "softmax":
            assert abs(sum(y) - 1) < mpf("1e-45")
            data += -sum(t * mp.log(o) for o, t in zip(out, y))
        else:
            data += -sum(t * mp.log(o) + (1 - t) * mp.log(1 - o) for o, t in zip(out, y))
    if net.spec["reduce"] == "mean":
        data /= net.N
    squares = sum(net.W[l][j][0] ** 2 for l in (1, 2) for j in range(net.sizes[l]))
    if net.spec["l2_biases"]:
        squares += sum(net.b[l][j] ** 2 for l in (1, 2) for j in range(net.sizes[l]))
    pen = net.lam / 2 * squares / (net.N if net.spec["l2_mean"] else 1)
    assert abs(net.loss() - (data + pen)) < mpf("1e-45")
    assert abs(net.data_loss() - data) < mpf("1e-45")
    # d(penalty)/dw = lam * w (over N when l2_mean): gradient of the full minus the data loss
    g_pen = net.dW(1, 0, 0) - net.d(("data",), ("W", 1, 0, 0))
    want = net.lam * net.W[1][0][0] / (net.N if net.spec["l2_mean"] else 1)
    assert abs(g_pen - want) < mpf("1e-38")


def test_step_check_catches_a_kink() -> None:
    def kinked(x: Any) -> Any:
        return abs(x - mpf("1e-21"))

    with pytest.raises(StepDisagreement):
        scalar_derivative(kinked, mpf(0))
    assert abs(scalar_derivative(mp.sin, mpf("0.3")) - mp.cos(mpf("0.3"))) < mpf("1e-40")


def test_points_are_reproducible() -> None:
    spec = {**TINY, "seed": 99, "points": 1}
    a = Point({**spec}, random.Random(99))
    b = points(spec)[0]
    assert a.W == b.W and a.X == b.X and a.Y == b.Y
