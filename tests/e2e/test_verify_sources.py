"""The four sources as claims files: every transcribed step gets the verdict derived by
symbackprop and checked by hand (docs/verify.md gives the reasons for the ones that fail)."""

from __future__ import annotations

import pytest

from symbackprop.model.spec import preset
from symbackprop.verify.claim import Context, Outcome, context
from symbackprop.verify.claims import file_values, load_claims
from symbackprop.verify.steps import verify
from tests.helpers import REPO

CLAIMS = REPO / "claims"
ORDER = {"unreadable": 0, "does not hold": 1, "undecided": 2, "holds": 3}
H, N, U = "holds", "does not hold", "unreadable"

# The verdict of each step (the worst over its bindings), per claim, per source.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "sears": {
        "§2.2, eq. (1)": [H],
        "§2.2, training rule (inline)": [H],
        "§2.2, network definition, line 1": [H],
        "§2.2, network definition, line 2": [H],
        "§2.2, network definition, line 3": [H],
        "§2.2, network definition, line 4": [H],
        "§2.2, shorthand, line 1": [H],
        "§2.2, shorthand, line 2": [H],
        "§2.2, shorthand, line 3": [H],
        "§2.2, eq. (2.2)": [H, H],
        "§2.2, partials after (2.2), line 1": [H, H],
        "§2.2, partials after (2.2), line 2": [N, H],
        "§2.2, partials after (2.2), line 3 (first equality)": [H],
        "§2.2, partials after (2.2), line 3 ('= φ_1 or φ_2', the φ_1 case)": [H],
        "§2.2, partials after (2.2), line 3 ('= φ_1 or φ_2', the φ_2 case)": [H],
        "§2.2, therefore, line 1": [H],
        "§2.2, therefore, line 2": [H],
        "§2.2, chain rule for w_ij (before (2.3))": [H, N],
        "§2.2, eq. (2.3)": [N],
        "§2.2, 'Recall that', line 1": [H],
        "§2.2, 'Recall that', line 2": [H],
        "§2.2, the weight's 'partial' after (2.3)": [N, N],
        "§2.2, therefore (final), line 1": [N],
        "§2.2, therefore (final), line 2": [N],
        "§2.2, therefore (final), line 3": [N],
        "§2.2, therefore (final), line 4": [N],
    },
    "maren": {
        "(6.1), the transfer function": [H, H],
        "(6.2), its derivative": [H],
        "(6.3), the node input": [N],
        "(6.4)": [H],
        "(6.5), the error": [H],
        "(6.6)": [H],
        "(6.7), the chain rule": [H, H],
        "(6.8)": [H],
        "(6.9)": [N],
        "(6.10)": [H],
        "(6.11)": [H, H],
        "(6.12), both rows": [H, H],
        "(6.13)": [H, H],
        "(6.14)": [H],
        "(6.15)": [H, H],
        "(6.16), a calculus rule": [H, H],
        "(6.17)": [H, H],
        "(6.19)": [H, H],
        "after (6.19), the shorthand": [H],
        "(6.20), a calculus rule": [H],
        "(6.21)": [H],
        "(6.22)": [H],
        "(6.23)": [H],
        "(6.25)": [H],
        "(6.26)": [H],
        "(6.27)": [H, H],
        "(6.28)-(6.30)": [H, H, H],
    },
    "essay": {
        "§2, the value of node a": [
            U
        ],  # u_1, u_2 are the essay's inputs; w_1 ... w_n are not its names
        "§2, the sigmoid": [H],
        "§2, worked example, row 3": [H],
        "§2, worked example, row 5": [H],
        "§3, the error of the example case": [H],
        "§3, the error of the example case (result)": [H],
        "§5, dE/dp from the mean, rows 2-3": [H, H],
        "§5, dE_1/dp, row 1": [H],
        "§5, the chain rule, row 4": [H],
        "§5, the chain rule, row 5": [H],
        "§5, the desired output is a constant (inline)": [H],
        "§5, after dropping dd_1/dp": [H],
        "§5, dE_1/dp as a sum over the outputs": [H],
        "§5, Case 1: w_z feeds another output node": [H],
        "§5, the derivative of the sigmoid, rows 1-4": [H, H],
        "§5, the derivative of the sigmoid, rows 3-4": [H, H],
        "§5, the chain rule for sigma(u)": [H],
        "§5, after substituting the sigmoid's derivative, row 1": [H],
        "§5, Case 2: w_z feeds the output node (final equation)": [H],
        "§5, Case 2, the derivative of w_z v_z (inline)": [H, H],
        "§5, the bias does not depend on the weights (inline)": [H],
        "§5, biases, first case: another output node's bias": [H],
        "§5, biases, second case (inline)": [H, H],
        "§5, biases, second case (final equation)": [H],
        "§6, the update": [H],
    },
    "note": {
        "STEP 2, h_1": [H, H, H],
        "STEP 2, h_2": [H, H, H],
        "STEP 2, y-tilde": [H, H, H],
        "STEP 3, the error function": [U],
        "STEP 3, the error after the first iteration": [H],
        "STEP 4, the update of w_6": [H],
        "STEP 4, dError/dw_6 (aligned rows and the lines after them)": [H, H, H, H, H, H],
        "STEP 4, new w_6": [H, H, H],
        "STEP 4, new w_5": [H, H, H],
        "STEP 4, the update of w_1": [H],
        "STEP 4, dErrorFunc/dw_1 (aligned rows)": [H, H, H, H, H],
        "STEP 4, new w_1 ('To sum up')": [N, H, H],
        "STEP 4, 'In a similar way', row 1": [N],
        "STEP 4, 'In a similar way', row 2": [N],
        "STEP 4, 'In a similar way', row 3": [N],
        "STEP 4, table, row w_1 (new)": [H],
        "STEP 4, table, row w_2 (old)": [H],
        "STEP 4, table, row w_2 (new)": [H],
        "STEP 4, table, row w_3 (old)": [N],
        "STEP 4, table, row w_3 (new)": [N],
        "STEP 4, table, row w_4 (old)": [H],
        "STEP 4, table, row w_4 (new)": [H],
        "STEP 4, table, row w_5 (old)": [H],
        "STEP 4, table, row w_5 (new)": [H],
        "STEP 4, table, row w_6 (old)": [H],
        "STEP 4, table, row w_6 (new)": [H],
    },
}


def _run(name: str) -> list[Outcome]:
    cf = load_claims(str(CLAIMS / f"{name}.toml"))
    assert cf.spec is not None
    ctx = context(preset(cf.spec))
    values = file_values(cf, ctx.scope.net, lambda t: ctx.scope.notation.param_id(t, ctx.scope.net))
    ctx = Context(ctx.scope, values, cf.learning_rate)
    out: list[Outcome] = []
    for claim in cf.claims:
        out += verify(ctx, claim, strict=False)
    return out


def _verdicts(outcomes: list[Outcome]) -> dict[str, list[str]]:
    steps: dict[str, dict[int, str]] = {}
    for o in outcomes:
        by_step = steps.setdefault(o.source, {})
        by_step[o.step] = min(by_step.get(o.step, H), o.verdict, key=ORDER.__getitem__)
    return {source: [s[k] for k in sorted(s)] for source, s in steps.items()}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def source(request: pytest.FixtureRequest) -> tuple[str, list[Outcome]]:
    return request.param, _run(request.param)


def test_every_step_has_its_verdict(source: tuple[str, list[Outcome]]) -> None:
    name, outcomes = source
    assert _verdicts(outcomes) == EXPECTED[name]


def test_claims_files_hold_only_what_the_source_wrote() -> None:
    """No verdict keys: a claim carries LaTeX, its place, and what it is about."""
    for path in CLAIMS.glob("*.toml"):
        cf = load_claims(str(path))  # unknown keys (a 'verdict') would be refused here
        assert cf.claims and all(c.source for c in cf.claims), path.name


def test_diagnoses_of_the_wrong_equations(source: tuple[str, list[Outcome]]) -> None:
    name, outcomes = source
    by: dict[tuple[str, int], Outcome] = {}
    for o in outcomes:
        if o.verdict == N:
            by.setdefault((o.source, o.step), o)
    if name == "sears":
        o = by[("§2.2, therefore (final), line 1", 1)]
        assert o.ratio == r"- \frac{\varphi_{1}}{w_{1}}"
        assert (
            r"\frac{\partial \text{net}_{\hat{y}}}{\partial \varphi_{1}} is - \varphi_{1}"
            in o.factor
        )
        assert o.correct.startswith(r"\alpha \left(y - \hat{y}\right)")
        assert o.counterexample.startswith("at ")
        zero = by[("§2.2, eq. (2.3)", 1)]
        assert r"\frac{\partial w_{1}}{\partial \text{net}_{1}} is 0" in zero.factor
    if name == "maren":
        o = by[("(6.3), the node input", 1)]
        assert o.correct == r"H_{1} v_{1,1} + H_{2} v_{2,1} + H_{3} v_{3,1}"
    if name == "note":
        o = by[("STEP 4, new w_1 ('To sum up')", 1)]
        assert o.ratio == r"\frac{w_{1}}{w_{5}}"
        assert "is w_{1} in the claim where w_{5} belongs" in o.factor
        table = by[("STEP 4, table, row w_3 (new)", 1)]
        assert table.correct.startswith("0.226989")
    if name == "essay":
        assert not by


def test_rounding_is_reported_when_it_hides_a_slip() -> None:
    outcomes = _run("note")
    line = next(o for o in outcomes if o.source == "STEP 4, new w_1 ('To sum up')" and o.step == 2)
    assert (
        line.verdict == H
        and "0.11567" in line.remark
        and "equal only after rounding" in line.remark
    )
