"""Fuzzing every input file of issue 11 with the probe's families (``tests/e2e/hostile.py``).

For specs, notation files, values files, claims files, CSV and .npz data: each input is
either accepted or refused with one ``SymbackpropError`` on one line; never a traceback,
never more than a few seconds, never a temporary file left behind.

The default run tries ``SYMBACKPROP_FUZZ_EXAMPLES`` (default 50) inputs per family;
``pytest -m slow`` runs the families again with 100,000 inputs in all.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop import SymbackpropError, derive
from symbackprop.backprop.evaluate import load_values
from symbackprop.files import write_atomic
from symbackprop.model.network import build
from symbackprop.model.notation import load_notation
from symbackprop.model.notation_tools import check, check_network, quantities
from symbackprop.model.spec import preset, resolve
from symbackprop.train import load_data
from symbackprop.verify.claims import file_values, load_claims
from tests.e2e import hostile

EXAMPLES = int(os.environ.get("SYMBACKPROP_FUZZ_EXAMPLES", "50"))
SLOW_TOTAL = 100_000
SECONDS = 5.0  # per input, generously: most take milliseconds

NOTE = preset("note")
NET = build(NOTE)
NOTATION = load_notation(NOTE.notation)
NOTATION_NET = check_network(None)


def param_id(text: str) -> str:
    return NOTATION.param_id(text, NET)


def check_spec(path: Path) -> None:
    spec = resolve(str(path))
    if spec.n_params <= 60:
        derive(spec)


def check_notation(path: Path) -> None:
    derive("2-2-1", notation=str(path))
    notation = load_notation(str(path))
    check(notation, NOTATION_NET)  # the lint and the table of `symbackprop notation`
    quantities(notation, NOTATION_NET)


def check_values(path: Path) -> None:
    load_values(str(path), NET, param_id)


def check_claims(path: Path) -> None:
    file_values(load_claims(str(path)), NET, param_id)


def check_data(path: Path) -> None:
    load_data(str(path), 2, 1)


def check_data_columns(path: Path) -> None:
    load_data(str(path), 2, 1, "1,²", "3")


FAMILIES: dict[str, tuple[st.SearchStrategy[bytes], str, Callable[[Path], None]]] = {
    "spec": (hostile.SPECS, "spec.toml", check_spec),
    "notation": (hostile.NOTATIONS, "notation.toml", check_notation),
    "values": (hostile.VALUES_FILES, "values.toml", check_values),
    "claims": (hostile.CLAIMS, "claims.toml", check_claims),
    "csv": (hostile.CSVS, "data.csv", check_data),
    "csv columns": (hostile.CSVS, "data.csv", check_data_columns),
    "npz": (hostile.NPZS, "data.npz", check_data),
}


def one_input(data: bytes, name: str, check: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, name)
        path.write_bytes(data)
        started = time.perf_counter()
        try:
            check(path)
        except SymbackpropError as exc:
            message = str(exc)
            assert message and "\n" not in message and len(message) < 5000, message[:500]
        seconds = time.perf_counter() - started
        assert seconds < SECONDS, f"{seconds:.1f} s for {data[:200]!r}"
        assert not [p for p in Path(folder).iterdir() if p.suffix == ".tmp"]


def fuzz(family: str, examples: int) -> None:
    strategy, name, check = FAMILIES[family]

    @settings(
        max_examples=examples,
        deadline=None,  # timed in one_input, with its own bound
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(strategy)
    def run(data: bytes) -> None:
        one_input(data, name, check)

    run()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_fuzz(family: str) -> None:
    fuzz(family, EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_fuzz_slow(family: str) -> None:
    fuzz(family, max(EXAMPLES, -(-SLOW_TOTAL // len(FAMILIES))))


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(
    name=st.one_of(st.text(min_size=1, max_size=300), st.sampled_from(["x" * 255, "a.py", "."])),
    text=st.text(max_size=200),
)
def test_writes_are_whole_or_absent(name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        try:
            write_atomic(path, text)
        except SymbackpropError as exc:
            assert "\n" not in str(exc)
        else:
            assert path.read_bytes() == text.encode("utf-8")
        assert not [p for p in Path(folder).rglob("*.tmp")]
