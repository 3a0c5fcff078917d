"""One target rule for softmax and cross-entropy: claim and truth on the same target domain.

The expected class of each claim (holds for every target / only for targets summing to 1 /
does not hold) comes from mpmath central differences of the loss written out here, never
from the tool.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import mpmath as mp
import pytest

from symbackprop.api import derive
from symbackprop.model.spec import inline
from symbackprop.verify.claim import Claim, Verdict, context
from symbackprop.verify.steps import verify

mp.mp.dps = 40
Vals = dict[str, mp.mpf]

LHS = r"\frac{\partial E}{\partial w^{(2)}_{1,1}} = "
CLAIMS: dict[str, tuple[str, Callable[[Vals], mp.mpf]]] = {
    # the usual output rule: needs y1 + y2 + y3 = 1
    "a-y": (
        r"(a^{(2)}_{1} - y_{1}) a^{(1)}_{1}",
        lambda v: (v["a2_1"] - v["y1"]) * v["a1_1"],
    ),
    # the same derivative for every target
    "general": (
        r"(a^{(2)}_{1} (y_{1} + y_{2} + y_{3}) - y_{1}) a^{(1)}_{1}",
        lambda v: (v["a2_1"] * (v["y1"] + v["y2"] + v["y3"]) - v["y1"]) * v["a1_1"],
    ),
    # a sign error
    "a+y": (
        r"(a^{(2)}_{1} + y_{1}) a^{(1)}_{1}",
        lambda v: (v["a2_1"] + v["y1"]) * v["a1_1"],
    ),
}


def forward(theta: dict[str, mp.mpf], x: list[mp.mpf], y: list[mp.mpf]) -> tuple[mp.mpf, Vals]:
    """2-2-3, sigmoid hidden layer, softmax output, E = -sum y_j log a_j."""
    a1 = [
        1
        / (1 + mp.exp(-(theta[f"w1_{j}_1"] * x[0] + theta[f"w1_{j}_2"] * x[1] + theta[f"b1_{j}"])))
        for j in (1, 2)
    ]
    z2 = [
        theta[f"w2_{j}_1"] * a1[0] + theta[f"w2_{j}_2"] * a1[1] + theta[f"b2_{j}"]
        for j in (1, 2, 3)
    ]
    total = mp.fsum(mp.exp(z) for z in z2)
    a2 = [mp.exp(z) / total for z in z2]
    loss = -mp.fsum(t * mp.log(a) for t, a in zip(y, a2))
    vals = {"a1_1": a1[0], "a2_1": a2[0], **{f"y{j}": y[j - 1] for j in (1, 2, 3)}}
    return loss, vals


def oracle_class(formula: Callable[[Vals], mp.mpf]) -> str:
    """'every', 'constrained' or 'fails', from central differences at random points."""
    rng = random.Random(5)
    agree = {True: True, False: True}  # constrained targets?
    for _ in range(4):
        theta = {
            k: mp.mpf(rng.uniform(-1, 1))
            for k in [f"w1_{j}_{k}" for j in (1, 2) for k in (1, 2)]
            + [f"b1_{j}" for j in (1, 2)]
            + [f"w2_{j}_{k}" for j in (1, 2, 3) for k in (1, 2)]
            + [f"b2_{j}" for j in (1, 2, 3)]
        }
        x = [mp.mpf(rng.uniform(-1, 1)) for _ in range(2)]
        raw = [mp.mpf(rng.uniform(0.05, 1)) for _ in range(3)]
        for constrained in (True, False):
            y = [r / mp.fsum(raw) for r in raw] if constrained else raw
            h = mp.mpf(10) ** -15

            def loss_at(dw: mp.mpf) -> mp.mpf:
                return forward({**theta, "w2_1_1": theta["w2_1_1"] + dw}, x, y)[0]  # noqa: B023

            true = (loss_at(h) - loss_at(-h)) / (2 * h)
            claimed = formula(forward(theta, x, y)[1])
            if abs(claimed - true) > mp.mpf(10) ** -20 * (1 + abs(true)):
                agree[constrained] = False
    if agree[False]:
        return "every"
    return "constrained" if agree[True] else "fails"


def tool_class(latex: str) -> str:
    spec = inline("2-2-3", activation=["sigmoid", "softmax"], loss="cross_entropy")
    (out,) = verify(context(spec), Claim(LHS + latex), limits=None)
    if out.verdict is Verdict.FAILS:
        return "fails"
    assert out.verdict is Verdict.HOLDS, out
    return "constrained" if "sum to 1" in out.remark else "every"


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_claim_and_truth_share_the_target_domain(name: str) -> None:
    latex, formula = CLAIMS[name]
    expected = oracle_class(formula)
    assert tool_class(latex) == expected


def test_the_oracle_tells_the_three_classes_apart() -> None:
    assert sorted(oracle_class(f) for _, f in CLAIMS.values()) == ["constrained", "every", "fails"]


def test_derive_carries_the_caveat_in_latex_text_and_json() -> None:
    spec = inline("2-2-3", activation=["sigmoid", "softmax"], loss="cross_entropy")
    result = derive(spec, None, "w2_1_1")
    assert r"y_{1} + y_{2} + y_{3} = 1" in result.latex()[0]
    assert result.to_text()[0].endswith("(for targets with y1 + y2 + y3 = 1)")
    entry = json.loads(json.dumps(result.to_json()))["parameters"][0]
    assert entry["forms"]["compact"]["assumes"] == "y1 + y2 + y3 = 1"


def test_no_caveat_without_a_constraint() -> None:
    result = derive(inline("2-2-1"), None, "w2_1_1")
    assert "targets" not in result.to_text()[0]
    assert "assumes" not in result.to_json()["parameters"][0]["forms"]["compact"]
