"""The pytest plugin: a ``derivation`` fixture that asserts a hand derivation holds.

    def test_sears_output_weight(derivation):
        derivation("sears-xor", "w_{1}", r"\\alpha (y - \\hat{y}) ...", kind="update")
"""

from __future__ import annotations

from typing import Callable

import pytest

from .testing import assert_derivation


@pytest.fixture
def derivation() -> Callable[..., None]:
    """``derivation(spec, param, latex, kind=None, bind=None, notation=None)``: assert it holds."""
    return assert_derivation
