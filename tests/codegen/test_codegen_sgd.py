"""Per-sample SGD of the unrolled modules, whose loop carries the layer-1 net inputs from case to
case (codegen/sgd.py): the same parameters and errors as stepping with value_and_grad."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from symbackprop.codegen.output import generate
from symbackprop.codegen.unrolled import plan
from symbackprop.model.spec import LossTerms, inline, preset, preset_names
from symbackprop.train.runs import import_path
from tests.codegen_support import ROOT  # noqa: F401  (puts the repository on sys.path)


def committed(name: str) -> ModuleType:
    return importlib.import_module(f"generated.{name.replace('-', '_')}")


def check_against_steps(mod: ModuleType, X: np.ndarray, Y: np.ndarray, theta0: np.ndarray,
                        lr: float, epochs: int) -> None:  # fmt: skip
    """train(batch 1) as .py_func against theta -= lr * value_and_grad, case by case."""
    expected = theta0.copy()
    losses = []
    for _ in range(epochs):
        total = 0.0
        for x, y in zip(X, Y):
            grad = np.zeros(mod.N_PARAMS)
            total += mod._value_and_grad.py_func(x, y, expected, grad)
            expected -= lr * grad
        losses.append(total / len(X))
    theta = theta0.copy()
    history = mod._train.py_func(X, Y, theta, lr, epochs, 1)
    np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(history, losses, rtol=1e-12)


@pytest.mark.parametrize("name", preset_names())
@pytest.mark.parametrize("rows", [1, 2, 5])
def test_carried_net_inputs_match_value_and_grad(name: str, rows: int) -> None:
    mod = committed(name)
    rng = np.random.default_rng(rows)
    X = rng.uniform(-1.5, 1.5, (rows, mod.N_INPUTS))
    Y = rng.uniform(0.0, 1.0, (rows, mod.N_OUTPUTS))
    theta0 = rng.uniform(-1.0, 1.0, mod.N_PARAMS)
    check_against_steps(mod, X, Y, theta0, 0.7, 4)


OTHER_SPECS = {
    "tanh, relu, no biases": inline("3-4-2-2", activation=["tanh", "relu", "sigmoid"], bias=False),
    "softmax, cross-entropy": inline(
        "2-3-3", activation=["sigmoid", "softmax"], loss="cross_entropy"
    ),
    "one layer, sigmoid, cross-entropy": inline("3-2", loss="cross_entropy"),
    "gain": inline("2-2-1", gain=True),
}


@pytest.mark.parametrize("label", OTHER_SPECS)
def test_other_architectures(label: str, tmp_path: Path) -> None:
    spec = OTHER_SPECS[label]
    assert plan(spec).sgd is not None
    (path,) = generate(spec, tmp_path / "net.py", 1.0, "unrolled")
    mod = import_path(path)
    rng = np.random.default_rng(11)
    X = rng.uniform(-1.5, 1.5, (3, mod.N_INPUTS))
    Y = np.eye(mod.N_OUTPUTS)[rng.integers(0, mod.N_OUTPUTS, 3)]
    theta0 = rng.uniform(-1.0, 1.0, mod.N_PARAMS)
    check_against_steps(mod, X, Y, theta0, 0.3, 3)


def test_jitted_loop_matches_its_python() -> None:
    mod = committed("xor-bias")
    rng = np.random.default_rng(3)
    X, Y = rng.uniform(-2, 2, (7, 2)), rng.uniform(0, 1, (7, 1))
    theta0 = mod.init(4)
    runs = []
    for train in (mod._train, mod._train.py_func):
        theta = theta0.copy()
        runs.append((train(X, Y, theta, 0.5, 50, 1), theta))
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-13)
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-13)


def test_which_modules_carry_net_inputs() -> None:
    for name in preset_names():
        sgd = plan(preset(name)).sgd
        assert sgd is not None, name
        # the next case's net inputs are never computed from the updated first-layer weights
        assert all(line.lhs.startswith("z1_") for line in sgd.advance + sgd.carry)
        assert not any(line.lhs.startswith("z1_") for line in sgd.forward)
    # an L2 penalty also shrinks the weights each step: the plain loop
    assert plan(inline("2-2-1", loss_terms=LossTerms(l2="0.1"))).sgd is None


def test_the_delta_arrives_last_in_the_carried_product() -> None:
    sgd = plan(preset("xor-bias")).sgd
    assert sgd is not None
    line = sgd.advance[0].rhs
    # bracket - P Q in one _fma: the bracket needs only the parameters, P holds lr_next and the
    # hidden unit's factors, and Q holds only the output error's factors, which come last
    assert line.startswith("_fma(-") and line.endswith(")")
    depth, cuts = 0, []
    for k, ch in enumerate(line[len("_fma(") : -1]):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            cuts.append(k + len("_fma("))
    first, second, bracket = (line[a + 1 : b].strip() for a, b in zip([4, *cuts], [*cuts, -1]))
    assert bracket == "w1_1_1*x1_next + w1_1_2*x2_next + b1_1"
    assert "lr_next" in first and "a1_1" in first and "t0" in second
    assert "lr_next" not in second and "a1_1" not in second and "a2_1" in first + second
    assert sgd.rate == "lr * (x1*x1_next + x2*x2_next + 1.0)"
