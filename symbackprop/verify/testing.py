"""For users' tests: assert that a hand derivation holds, with the diagnosis on failure.

    from symbackprop.testing import assert_derivation

    def test_my_output_gradient():
        assert_derivation(
            "sears-xor",
            "w_{1}",
            r"\\alpha (y - \\hat{y}) \\varphi_{\\hat{y}} (1 - \\varphi_{\\hat{y}}) \\varphi_1",
            kind="update",
        )

The pytest plugin (registered as an entry point) gives the same as a fixture,
``derivation``, whose call takes the same arguments.
"""

from __future__ import annotations

from collections.abc import Sequence

from symbackprop.errors import ArgumentError, UsageError
from symbackprop.model.spec import NetworkSpec, as_spec
from symbackprop.verify.claim import KINDS, Claim, Outcome, Verdict, context, parse_bind
from symbackprop.verify.steps import verify


def check_derivation(
    spec: NetworkSpec | str,
    param: str | None,
    latex: str,
    kind: str | None = None,
    bind: str | None = None,
    notation: str | None = None,
) -> list[Outcome]:
    """The outcomes of one claim (bad input raises :class:`symbackprop.SymbackpropError`)."""
    net_spec = as_spec(spec)
    for label, value, optional in (
        ("param", param, True),
        ("latex", latex, False),
        ("kind", kind, True),
        ("bind", bind, True),
        ("notation", notation, True),
    ):
        if not isinstance(value, str) and not (optional and value is None):
            what = "a string or None" if optional else "a string"
            raise ArgumentError(f"{label} must be {what}, not {type(value).__name__}")
    if kind is not None and kind not in KINDS:
        raise UsageError(f"kind must be one of {', '.join(KINDS)}, not {kind!r:.40}")
    claim = Claim(
        latex=latex,
        param=param,
        kind=kind,
        bind=parse_bind(bind) if bind else (),
        source="assert_derivation",
    )
    return verify(context(net_spec, notation), claim)


def failures(outcomes: Sequence[Outcome]) -> str:
    lines = []
    for o in outcomes:
        if o.verdict == Verdict.HOLDS:
            continue
        bound = f" [{o.binding}]" if o.binding else ""
        lines.append(f"{o.kind} {o.param}{bound}: {o.verdict}: {o.diagnosis}")
    return "\n".join(lines)


def assert_derivation(
    spec: NetworkSpec | str,
    param: str | None,
    latex: str,
    kind: str | None = None,
    bind: str | None = None,
    notation: str | None = None,
) -> None:
    """Raise ``AssertionError`` with the diagnosis unless the claim holds (symbolically).
    The arguments are those of :func:`check_derivation`."""
    message = failures(check_derivation(spec, param, latex, kind, bind, notation))
    if message:
        raise AssertionError(f"the derivation does not hold:\n{message}")
