"""The ``report`` subcommand: a network, its gradients, verdicts, an audit or training, as
one HTML page, a LaTeX source or a PDF (registered by :mod:`symbackprop.cli`)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp

from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import NetworkSpec
from symbackprop.report.build import (
    assemble,
    claims_section,
    derivation_section,
    model,
    network_section,
    timed,
)
from symbackprop.report.document import audit_section
from symbackprop.report.model import Report, Timing
from symbackprop.report.render import check_output, write
from symbackprop.verify.claim import context


def add_parser(sub: Any, spec_args: Callable[..., None]) -> None:
    r = sub.add_parser(
        "report", help="a typeset report (HTML, LaTeX or PDF): network, gradients, verdicts"
    )
    spec_args(r)
    r.add_argument("-o", "--output", required=True, help="the .html, .tex or .pdf file to write")
    r.add_argument("--claims", help="a claims file (TOML): each claim with its verdict")
    r.add_argument("--audit", help="a Markdown or LaTeX document to audit, shown in its order")
    r.add_argument("--learning-rate", help="a learning rate the audited document fixes")
    r.add_argument("--no-chain", action="store_true", help="compact forms only, no chains")
    r.add_argument("--no-derivations", action="store_true", help="leave the derivations out")
    r.add_argument(
        "--all-gradients", action="store_true", help="typeset every gradient of a large network"
    )
    r.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar for the audit (default: on a terminal)",
    )
    t = r.add_argument_group("training (--train)")
    t.add_argument("--train", action="store_true", help="train the generated module; loss curves")
    t.add_argument("--data", default="xor", help="xor, digits, a .csv or .npz file (default xor)")
    t.add_argument("--epochs", type=int, default=10_000)
    t.add_argument("--lr", type=float, default=0.5)
    t.add_argument("--batch-size", type=int, default=1)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--restarts", type=int, default=1)
    t.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    t.add_argument("--gain-value", type=float, default=1.0)


def _rate(text: str | None) -> sp.Rational | None:
    if text is None:
        return None
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise SymbackpropError(f"--learning-rate must be a number, got {text!r}") from None
    return sp.Rational(value.numerator, value.denominator)


def build_report(args: argparse.Namespace, spec: NetworkSpec) -> Report:
    timings: list[Timing] = []
    m = timed("build the network", timings, lambda: model(spec, args.notation))
    network = timed("network and diagram", timings, lambda: network_section(m))
    claims = audit = training = derivations = None
    if args.claims:
        claims = timed(
            "verify the claims", timings, lambda: claims_section(spec, args.claims, args.notation)
        )
    if args.audit:
        try:
            text = Path(args.audit).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SymbackpropError(
                f"cannot read document {args.audit}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
        ctx = context(spec, args.notation, learning_rate=_rate(args.learning_rate))
        audit = timed(
            "audit the document",
            timings,
            lambda: audit_section(ctx, text, args.audit, args.progress),
        )
    if args.train:
        import symbackprop.report.training as tr  # Numba and matplotlib load only for --train

        settings = tr.Settings(
            args.data,
            args.epochs,
            args.lr,
            args.batch_size,
            args.seed,
            args.restarts,
            args.jobs,
            args.gain_value,
        )
        training = timed(
            "training and figures", timings, lambda: tr.training_section(spec, settings)
        )
    if not args.no_derivations:
        derivations = timed(
            "derive and typeset gradients",
            timings,
            lambda: derivation_section(m, chain=not args.no_chain, every=args.all_gradients),
        )
    what = (
        "audit of " + Path(args.audit).name
        if args.audit
        else "claims in " + Path(args.claims).name
        if args.claims
        else "gradients"
    )
    return assemble(
        f"{spec.label}: {what}",
        f"{spec.label}, notation {m.notation.name}",
        timings,
        network,
        derivations,
        claims,
        audit,
        training,
    )


def run_report(args: argparse.Namespace, spec: NetworkSpec) -> tuple[str, int]:
    path = Path(args.output)
    check_output(path)  # before any work: a bad -o or a missing latexmk fails at once
    report = build_report(args, spec)
    kind = write(report, path)
    size = path.stat().st_size
    parts = ", ".join(f"{t.part} {t.seconds:.2f} s" for t in report.timings)
    return f"wrote {path} ({kind}, {size:,} bytes); {parts}", 0
