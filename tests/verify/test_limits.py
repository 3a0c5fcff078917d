"""Hard limits on the verifier: sizes refused at once, time and memory enforced in a worker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from symbackprop import preset
from symbackprop.cli import main
from symbackprop.errors import SymbackpropError
from symbackprop.verify.claim import Claim, Context, Verdict, context
from symbackprop.verify.limits import Done, Exceeded, InputTooLargeError, Limits, run_limited
from symbackprop.verify.steps import verify
from symbackprop.verify.testing import check_derivation

# Expanding this power of a five-term sum over a common denominator takes SymPy minutes.
SLOW = r"(w_1+w_2+\varphi_1+\varphi_2+i_1)^{60}"


@pytest.fixture(scope="module")
def sears() -> Context:
    return context(preset("sears-xor"))


def test_a_claim_past_the_time_limit_is_undecided_and_stops_on_time(sears: Context) -> None:
    start = time.perf_counter()
    out = verify(sears, Claim(SLOW, param="w_{1}", kind="gradient"), limits=Limits(seconds=2))
    elapsed = time.perf_counter() - start
    assert [o.verdict for o in out] == [Verdict.UNDECIDED]
    assert out[0].remark == "exceeded the 2 s limit"
    assert (
        elapsed < 3 * 2 + 5 + 3
    )  # stopped at the limit (CPU time, wall backstop), not left to finish


@pytest.mark.parametrize(
    ("latex", "words"),
    [
        (r"(1+\varphi_1)^{1000}", "exponent 1000"),
        (r"10^{10^{10}}", "power of a power"),
        (r"\sum_{j=1}^{10^{10^{10}}} w_1", "power of a power"),
        ("1" * 60, "60 digits"),
        ("w_1 + " * 2000 + "w_2", "characters"),
        ("(" * 100 + "w_1" + ")" * 100, "nests brackets 100 deep"),
    ],
)
def test_oversized_input_is_refused_at_once(sears: Context, latex: str, words: str) -> None:
    start = time.perf_counter()
    with pytest.raises(InputTooLargeError, match=words):
        verify(sears, Claim(latex, param="w_{1}", kind="gradient"))
    assert time.perf_counter() - start < 1


def test_the_worker_is_stopped_at_the_memory_limit() -> None:
    def greedy() -> int:
        block = bytearray(3 * 1024**3)  # 3 GiB, over the 256 MiB allowed
        return len(block)

    result = run_limited(greedy, Limits(seconds=30, memory_mb=256))
    assert result == Exceeded("exceeded the 256 MiB memory limit")


def test_errors_and_values_come_back_from_the_worker() -> None:
    assert run_limited(lambda: 6 * 7, Limits(seconds=5)) == Done(42)

    def bad() -> None:
        raise SymbackpropError("a clear message")

    with pytest.raises(SymbackpropError, match="a clear message"):
        run_limited(bad, Limits(seconds=5))


def test_a_good_claim_is_judged_the_same_with_and_without_the_worker(sears: Context) -> None:
    claim = Claim(
        r"-(y - \hat{y}) \varphi_{\hat{y}} (1 - \varphi_{\hat{y}}) \varphi_1",
        param="w_{1}",
        kind="gradient",
    )
    inside = verify(sears, claim, limits=None)
    worker = verify(sears, claim)
    assert inside == worker and [o.verdict for o in worker] == [Verdict.HOLDS]


def test_cli_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "sears-xor", "--param", "w_{1}", "--claim", SLOW, "--timeout", "1"])
    out = capsys.readouterr().out
    assert code == 1 and "UNDECIDED" in out and "exceeded the 1 s limit" in out


def test_cli_refuses_a_bad_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "sears-xor", "--param", "w_{1}", "--claim", "w_1", "--timeout", "-3"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--timeout" in err


def test_audit_applies_the_limit_per_equation_and_carries_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "homework.md"
    doc.write_text(
        "A slow one:\n\n$$\\frac{\\partial E}{\\partial w_1} = " + SLOW + "$$\n\n"
        "A right one:\n\n$$\\frac{\\partial E}{\\partial w_1} = -(y - \\hat{y}) "
        "\\varphi_{\\hat{y}} (1 - \\varphi_{\\hat{y}}) \\varphi_1$$\n",
        encoding="utf-8",
    )
    code = main(["audit", str(doc), "--spec", "sears-xor", "--timeout", "1"])
    out = capsys.readouterr().out
    assert code == 1
    assert "exceeded the 1 s limit" in out and "HOLDS" in out


def test_assert_derivation_keeps_the_limits() -> None:
    start = time.perf_counter()
    with pytest.raises(InputTooLargeError):
        check_derivation("sears-xor", "w_{1}", r"(1+\varphi_1)^{5000}")
    assert time.perf_counter() - start < 5


def test_an_exception_comes_back_as_its_own_class() -> None:
    class LocalError(SymbackpropError):  # not importable by name: pickle could not send it by path
        def __init__(self, message: str, column: int) -> None:
            super().__init__(message)
            self.column = column

    def bad() -> None:
        raise LocalError("read error", 7)

    with pytest.raises(LocalError, match="read error") as caught:
        run_limited(bad, Limits(seconds=5))
    assert caught.value.column == 7
