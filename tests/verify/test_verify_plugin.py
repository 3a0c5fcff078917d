"""symbackprop.verify.testing and the pytest plugin's `derivation` fixture, as a user's test file
uses them."""

from __future__ import annotations

import pytest

from symbackprop.util import tomllib
from symbackprop.verify.testing import assert_derivation
from tests.helpers import REPO

pytest_plugins = ["pytester"]
SEARS_W1 = r"\alpha (y - \hat{y}) \varphi_{\hat{y}} (1 - \varphi_{\hat{y}}) \varphi_1"


def test_assert_derivation_passes_and_fails_with_the_diagnosis() -> None:
    assert_derivation("sears-xor", "w_{1}", SEARS_W1, kind="update")
    with pytest.raises(AssertionError) as info:
        assert_derivation("sears-xor", "w_{1}", SEARS_W1, kind="gradient")
    assert "does not hold" in str(info.value) and "claim/true" in str(info.value)


def test_plugin_is_registered_as_an_entry_point() -> None:
    data = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert data["project"]["entry-points"]["pytest11"] == {
        "symbackprop": "symbackprop.verify.pytest_plugin"
    }


def test_fixture_in_a_users_test_file(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "def pytest_configure(config):\n"
        "    if not config.pluginmanager.has_plugin('symbackprop'):\n"
        "        config.pluginmanager.import_plugin('symbackprop.pytest_plugin')\n"
    )
    pytester.makepyfile(
        test_mine=(
            f"W1 = r'{SEARS_W1}'\n"
            "def test_right(derivation):\n"
            "    derivation('sears-xor', 'w_{1}', W1, kind='update')\n"
            "def test_wrong(derivation):\n"
            "    derivation('sears-xor', 'w_{1}', '-' + W1, kind='update')\n"
        )
    )
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*the sign is wrong*"])
