"""Generated value_and_grad (jitted and .py_func) against SymPy's exact gradient and mpmath
differences."""

from __future__ import annotations

import random
import warnings
from pathlib import Path
from types import ModuleType

import mpmath
import numpy as np
import pytest
import sympy as sp

from symbackprop.backprop.forms import deltas
from symbackprop.codegen.common import code_spec
from symbackprop.codegen.unrolled import gradient_exprs
from symbackprop.model.network import build
from symbackprop.model.spec import NetworkSpec, inline, preset, preset_names
from tests.codegen_support import Reference, assert_close, load_module

ACTS = ("sigmoid", "tanh", "linear", "relu", "softplus")


def random_specs(count: int = 10, seed: int = 2024) -> list[NetworkSpec]:
    """Small random architectures: 1-3 hidden layers; every activation, bias on/off and loss
    appear."""
    rnd = random.Random(seed)
    specs = []
    for i in range(count):
        hidden = 1 + i % 3
        sizes = tuple(
            [rnd.randint(1, 3)] + [rnd.randint(1, 3) for _ in range(hidden)] + [rnd.randint(1, 2)]
        )
        acts = tuple(ACTS[(i + l) % len(ACTS)] for l in range(hidden + 1))
        biases = tuple(bool((i + l) % 2) for l in range(hidden + 1))
        specs.append(
            NetworkSpec(
                sizes=sizes,
                activations=acts,
                biases=biases,
                gains=(False,) * (hidden + 1),
                loss=("half_sse", "sse")[i % 2],
                name=f"random-{i}",
            )
        )
    return specs


RANDOM = random_specs()


def test_random_specs_cover_everything() -> None:
    assert {a for s in RANDOM for a in s.activations} == set(ACTS)
    assert {s.loss for s in RANDOM} == {"half_sse", "sse"}
    assert {b for s in RANDOM for b in s.biases} == {True, False}
    assert {s.depth - 1 for s in RANDOM} == {1, 2, 3}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("modules")


@pytest.fixture(scope="module")
def modules(folder: Path) -> dict[str, ModuleType]:
    return {}


def module_of(
    spec: NetworkSpec, modules: dict[str, ModuleType], folder: Path, gain: float = 1.0
) -> ModuleType:
    key = f"{spec.label} gain {gain!r}"
    if key not in modules:
        where = folder / f"gain-{gain!r}"
        where.mkdir(exist_ok=True)
        modules[key] = load_module(spec, where, gain)
    return modules[key]


def targets(spec: NetworkSpec, rng: np.random.Generator, n: int) -> np.ndarray:
    """Targets the loss is defined for: one-hot for softmax cross-entropy, in [0, 1] for binary."""
    if spec.loss != "cross_entropy":
        return rng.uniform(-1, 1, size=n)
    if spec.activations[-1] == "softmax":
        return np.eye(n)[rng.integers(n)]
    return rng.uniform(0, 1, size=n)


CLASSIFIERS = [
    inline("2-3-3", activation=["tanh", "softmax"], loss="cross_entropy"),
    inline("3-2-4", activation=["sigmoid", "softmax"], loss="cross_entropy", bias=False),
    inline("2-3-2", activation=["softmax", "sigmoid"], loss="half_sse"),
    inline("2-2-1", loss="cross_entropy"),
]


def points(
    ref: Reference, mod: ModuleType, seed: int, count: int = 3
) -> list[tuple[np.ndarray, ...]]:
    """Random cases and parameters, away from the ReLU kink (every |z| > 0.05)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        x = rng.normal(size=mod.N_INPUTS)
        y = targets(ref.spec, rng, mod.N_OUTPUTS)
        theta = rng.normal(scale=0.8, size=mod.N_PARAMS)
        if "relu" not in ref.spec.activations or ref.min_abs_net(x, y, theta) > 0.05:
            out.append((x, y, theta))
    return out


def check_gradients(
    spec: NetworkSpec, modules: dict[str, ModuleType], folder: Path, seed: int, gain: float = 1.0
) -> None:
    mod = module_of(spec, modules, folder, gain)
    ref = Reference(spec, gain)
    for x, y, theta in points(ref, mod, seed):
        plain = np.full(mod.N_PARAMS, np.nan)
        e_plain = mod._value_and_grad.py_func(
            x, y, theta, plain
        )  # un-jitted first: Python tracebacks
        grad = np.full(mod.N_PARAMS, np.nan)
        e_jit = mod.value_and_grad(x, y, theta, grad)
        exact = ref.exact_gradient(x, y, theta)
        differences = ref.central_differences(x, y, theta)
        assert_close(
            differences, exact, f"{spec.label}: mpmath differences vs sympy.diff (reference sanity)"
        )
        assert_close(plain, exact, f"{spec.label}: py_func gradient vs sympy.diff")
        assert_close(grad, exact, f"{spec.label}: jitted gradient vs sympy.diff")
        assert_close(
            grad, differences, f"{spec.label}: jitted gradient vs mpmath central differences"
        )
        error = ref.error_value(x, y, theta)
        assert_close(
            [e_plain, e_jit, mod.loss(x, y, theta), mod._loss.py_func(x, y, theta)],
            [error] * 4,
            "E",
        )
        out = np.full(mod.N_OUTPUTS, np.nan)
        mod.forward(x, theta, out)
        assert_close(out, ref.output_values(x, y, theta), f"{spec.label}: forward")
        assert_close(mod.predict(x[None, :], theta)[0], out.tolist(), f"{spec.label}: predict")


@pytest.mark.parametrize("name", preset_names())
def test_preset_gradients(name: str, modules: dict[str, ModuleType], folder: Path) -> None:
    check_gradients(preset(name), modules, folder, seed=7)


def test_gain_value_reaches_the_code(modules: dict[str, ModuleType], folder: Path) -> None:
    """Maren's sigmoid gain alpha = 2.5, checked against the references evaluated at alpha = 2.5."""
    check_gradients(preset("maren"), modules, folder, seed=5, gain=2.5)
    assert module_of(preset("maren"), modules, folder, 2.5).GAIN == 2.5


@pytest.mark.parametrize("spec", RANDOM, ids=[s.label for s in RANDOM])
def test_random_architecture_gradients(
    spec: NetworkSpec, modules: dict[str, ModuleType], folder: Path
) -> None:
    check_gradients(spec, modules, folder, seed=11)


@pytest.mark.parametrize(
    "spec", CLASSIFIERS, ids=[f"{s.label}-{'-'.join(s.activations)}-{s.loss}" for s in CLASSIFIERS]
)
def test_classification_head_gradients(
    spec: NetworkSpec, modules: dict[str, ModuleType], folder: Path
) -> None:
    """Softmax layers (stable, shifted by the largest net input) and cross-entropy, for targets it
    is defined on."""
    check_gradients(spec, modules, folder, seed=3)


@pytest.mark.parametrize("name", preset_names())
def test_code_is_the_core_compact_per_case_gradient(name: str) -> None:
    """The expressions printed are exactly SymPy's product delta * dz/dp, argument for argument."""
    net = build(code_spec(preset(name)))
    table = deltas(net)
    expected = [
        table[(p.layer, p.to_unit)].value
        * (net.a[p.layer - 1][p.from_unit - 1] if p.from_unit else 1)
        for p in net.params
    ]
    assert [sp.srepr(e) for e in gradient_exprs(net)] == [sp.srepr(e) for e in expected]


def test_a_gradient_error_would_be_caught(modules: dict[str, ModuleType], folder: Path) -> None:
    """The comparison can fail: a gradient off by one part in 1e8 is reported."""
    spec = preset("xor-bias")
    mod = module_of(spec, modules, folder)
    ref = Reference(spec)
    x, y, theta = points(ref, mod, seed=3, count=1)[0]
    grad = np.zeros(mod.N_PARAMS)
    mod.value_and_grad(x, y, theta, grad)
    grad[4] *= 1 + 1e-8
    with pytest.raises(AssertionError, match="components \\[4\\]"):
        assert_close(grad, ref.exact_gradient(x, y, theta), "perturbed")


def test_sigmoid_is_stable_for_huge_inputs(modules: dict[str, ModuleType], folder: Path) -> None:
    mod = module_of(preset("xor-bias"), modules, folder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in (mod._sigmoid, mod._sigmoid.py_func):
            assert f(1e4) == 1.0 and 0.0 <= f(-1e4) < 4e-308
            assert f(0.0) == 0.5 and f(float("inf")) == 1.0
            tiny = float(1 / (1 + mpmath.exp(30)))  # full relative precision far in the tail
            assert f(-700.0) > 0.0 and abs(f(-30.0) / tiny - 1) < 1e-14
        theta = np.full(mod.N_PARAMS, 1e4)
        x, y = np.array([1.0, -1.0]), np.array([1.0])
        for vg in (mod.value_and_grad, mod._value_and_grad.py_func):
            grad = np.zeros(mod.N_PARAMS)
            assert np.isfinite(vg(x, y, theta, grad)) and np.all(np.isfinite(grad))


def test_gain_value_is_a_module_constant(folder: Path) -> None:
    from symbackprop.codegen.render import render

    text = render(preset("maren"), gain_value=2.5)
    assert "GAIN = 2.5\n" in text and "--gain-value 2.5" in text
    assert "GAIN = 1.0\n" in render(preset("maren"))
