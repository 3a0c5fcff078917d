"""Generated modules (unrolled and loops, .py_func and jitted) descend the spec's E: the mean or
the sum over the batch's cases plus the L2 penalty. One full-batch step of train is
theta - lr dE/dtheta, with dE/dtheta from 50-digit central differences of the corpus oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symbackprop.codegen.output import generate
from symbackprop.model.network import build
from symbackprop.train.runs import import_path
from tests.loss_terms import VARIANTS, Variant, data_arrays, oracle_gradient, param_values

LR = 0.5
STYLES = ("unrolled", "loops", "loops-batch")  # loops-batch: the layer-at-a-time batch pass
# compiled too (each compile takes seconds): a sum with the biases penalised, a mean with the
# weights penalised, one case with a penalty; every variant runs as .py_func
JITTED = {"sum, l2 0.3, biases too", "mean, l2 0.3", "none, l2 0.3"}


def module(variant: Variant, style: str, folder: Path) -> object:
    kind = style.partition("-")[0]
    (path,) = generate(
        variant.spec(),
        folder / f"{style.replace('-', '_')}_{abs(hash(variant.label))}.py",
        1.0,
        kind,
    )
    return import_path(path)


def start_and_expected(variant: Variant) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    net = build(variant.spec())
    pt = variant.point()
    theta = np.array([float(v) for v in param_values(net, pt).values()])
    grad = oracle_gradient(net, pt)
    expected = theta - LR * np.array([float(grad[p.id]) for p in net.params])
    x, y = data_arrays(pt)
    return x, y, theta, expected


def one_step(mod: object, style: str, jitted: bool, x: np.ndarray, y: np.ndarray,
             theta: np.ndarray, batch: int) -> np.ndarray:  # fmt: skip
    theta = theta.copy()
    if style == "unrolled":
        train = mod._train if jitted else mod._train.py_func  # type: ignore[attr-defined]
        train(x, y, theta, LR, 1, batch)
    else:
        kernel = getattr(
            mod, "_epochs_batch_serial" if style == "loops-batch" else "_epochs_serial"
        )
        run = kernel if jitted else kernel.py_func
        run(x, y, theta, LR, 1, batch, np.full(1, np.nan))
    return theta


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.label)
def test_full_batch_step_descends_e(variant: Variant, style: str, tmp_path: Path) -> None:
    mod = module(variant, style, tmp_path)
    x, y, theta, expected = start_and_expected(variant)
    for jitted in (False, True) if variant.label in JITTED else (False,):
        got = one_step(mod, style, jitted, x, y, theta, batch=len(x))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13, err_msg=variant.label)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(
    "variant", [v for v in VARIANTS if v.reduce == "none"], ids=lambda v: v.label
)
def test_per_sample_step_adds_the_penalty(variant: Variant, style: str, tmp_path: Path) -> None:
    """batch_size 1 (the unrolled module's straight-line SGD body): theta - lr (dE_1 + lambda w)."""
    mod = module(variant, style, tmp_path)
    x, y, theta, expected = start_and_expected(variant)
    for jitted in (False, True) if variant.label in JITTED else (False,):
        got = one_step(mod, style, jitted, x, y, theta, batch=1)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13, err_msg=variant.label)


def test_decay_marks_the_penalised_entries(tmp_path: Path) -> None:
    for variant in VARIANTS:
        mod = module(variant, "loops", tmp_path)
        net = build(variant.spec())
        want = [float(variant.l2) if variant.spec().penalised(p.kind) else 0.0 for p in net.params]
        if variant.l2 == "0":
            assert not hasattr(mod, "DECAY")
        else:
            assert list(mod.DECAY) == want  # type: ignore[attr-defined]
