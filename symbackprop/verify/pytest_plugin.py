"""The pytest plugin: a ``derivation`` fixture that asserts a hand derivation holds.

    def test_sears_output_weight(derivation):
        derivation("sears-xor", "w_{1}", r"\\alpha (y - \\hat{y}) ...", kind="update")

pytest loads this module in every run of an environment where symbackprop is installed, so
it imports nothing heavy: SymPy and the verifier load when the fixture is first used.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def derivation() -> Callable[..., None]:
    """``derivation(spec, param, latex, kind=None, bind=None, notation=None)``: assert it holds."""
    from symbackprop.verify.testing import assert_derivation  # lazy: only tests that use it pay

    return assert_derivation
