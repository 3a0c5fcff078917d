"""symbackprop verify on the whole corpus, with each text's shipped notation file.

The expected verdicts are the corpus's own (decided by ``oracle.py``, which never imports the
tool). The tool must never give a wrong verdict; what it can read and decide is held at
floors measured with ``python -m tests.corpus.tool`` (raise them as the reader grows).
"""

from __future__ import annotations

import pytest

from tests.corpus.cases import TEXT_MODULES
from tests.corpus.tool import REFUSED, RIGHT, WRONG, Result, run, slowest

# text -> (cases the tool reads, verdicts that are right), measured on this checkout
FLOORS: dict[str, tuple[int, int]] = {
    "nielsen": (37, 37),
    "rumelhart1986": (27, 27),
    "bishop_prml": (28, 28),
    "goodfellow": (25, 25),
    "ng_vectorised": (38, 38),
    "haykin": (30, 30),
    "handout": (35, 35),
    "mitchell": (32, 32),
    "hagan": (32, 32),
    "duda": (31, 31),
}
# Wrong verdicts the tool gives today, each an open bug with its cause; the test fails when one
# is fixed (remove it here) or when any other case goes wrong.
KNOWN_WRONG: set[str] = set()
SLACK = 2  # claims near the verifier's 10 s CPU limit on a loaded machine become undecided


@pytest.mark.parametrize("text", TEXT_MODULES)
def test_no_wrong_verdict_and_the_floors_hold(text: str) -> None:
    results = run(text)
    wrong = {r.id for r in results if r.outcome == WRONG}
    mine = {r.id for r in results} & KNOWN_WRONG
    assert wrong == mine, [f"{r.id}: {r.got}" for r in results if r.outcome == WRONG]
    read = sum(r.outcome != REFUSED for r in results)
    right = sum(r.outcome == RIGHT for r in results)
    floor_read, floor_right = FLOORS[text]
    assert read >= floor_read, [f"{r.id}: {r.got}" for r in results if r.outcome == REFUSED]
    assert right >= floor_right - SLACK


def test_every_text_has_a_floor() -> None:
    assert set(FLOORS) == set(TEXT_MODULES)


def test_the_slowest_cases_are_listed_by_cpu_time_without_the_refused() -> None:
    def result(id: str, outcome: str, cpu: float) -> Result:
        return Result("nielsen", id, "holds", "holds", outcome, 0.5, cpu)

    listed = slowest(
        [result("a", RIGHT, 0.1), result("b", REFUSED, 9.0), result("c", WRONG, 0.4)], 2
    ).splitlines()
    assert [line.split()[4] for line in listed] == ["c", "a"]
    assert listed[0].startswith("  0.40 s CPU")
