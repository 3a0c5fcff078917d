"""The ``verify`` and ``audit`` subcommands (registered in :mod:`symbackprop.cli`)."""

from __future__ import annotations

import argparse
from typing import Any

import sympy as sp

from symbackprop.audit.auditor import AuditRow, audit, shares, summary
from symbackprop.backprop.evaluate import load_values
from symbackprop.errors import SymbackpropError
from symbackprop.files import check_range, exact_decimal, read_text, strict_json
from symbackprop.model.spec import NetworkSpec, resolve
from symbackprop.verify.claim import KINDS, Claim, Context, Outcome, Verdict, context, parse_bind
from symbackprop.verify.claims import MAX_DECIMALS, ClaimsFile, file_values, load_claims
from symbackprop.verify.limits import DEFAULT_LIMITS, Limits
from symbackprop.verify.steps import verify

EXIT_HOLDS, EXIT_FAILS, EXIT_BAD = 0, 1, 2


def add_parsers(sub: Any, spec_args: Any) -> None:
    v = sub.add_parser(
        "verify", help="check a hand-derived gradient or update: a verdict and a diagnosis"
    )
    spec_args(v)
    v.add_argument("--param", help="the parameter (id such as w2_1_3, or its name in the notation)")
    v.add_argument("--claim", help="the claim's LaTeX, with or without its left-hand side")
    v.add_argument(
        "--kind",
        choices=KINDS,
        help="gradient (dE/dp, default), update (Δp = -η dE/dp), new (p - η dE/dp)",
    )
    v.add_argument("--bind", help="fix free indices or names, e.g. o=2,h=1")
    v.add_argument("--claims", help="a claims file (TOML) instead of --claim")
    v.add_argument("--values", help="a values file (as for eval) for numeric claims")
    v.add_argument("--decimals", type=int, help="compare numbers rounded to this many decimals")
    v.add_argument(
        "--learning-rate", help="a learning rate the source fixes (the essay's p' = p - dE/dp: 1)"
    )
    v.add_argument("--format", choices=("text", "json"), default="text")
    add_limit_args(v)
    a = sub.add_parser(
        "audit", help="find, read and judge every gradient/update equation of a document"
    )
    a.add_argument("document", help="a Markdown or LaTeX file")
    a.add_argument(
        "--spec", required=True, help="a preset name, a spec .toml file, or inline sizes"
    )
    a.add_argument("--notation", help="a built-in notation or a .toml file (default: the spec's)")
    a.add_argument("--learning-rate", help="a learning rate the document fixes (the essay's: 1)")
    a.add_argument("--format", choices=("text", "json"), default="text")
    add_limit_args(a)


def add_limit_args(parser: Any) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_LIMITS.seconds,
        help=f"seconds one claim or equation may take (default {DEFAULT_LIMITS.seconds:g});"
        " past it the verdict is undecided",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=DEFAULT_LIMITS.memory_mb,
        help=f"MiB of memory one claim may add (default {DEFAULT_LIMITS.memory_mb})",
    )


def limits_of(args: argparse.Namespace) -> Limits:
    return Limits(seconds=args.timeout, memory_mb=args.memory)


def run_verify(args: argparse.Namespace, spec: NetworkSpec) -> tuple[str, int]:
    if bool(args.claim) == bool(args.claims):
        raise SymbackpropError("give either --claim LATEX or --claims FILE")
    if args.decimals is not None:
        check_range(args.decimals, 0, MAX_DECIMALS, "--decimals")
    ctx = context(spec, args.notation, learning_rate=_rate(args.learning_rate))
    if args.values:
        values = load_values(
            args.values, ctx.scope.net, lambda t: ctx.scope.notation.param_id(t, ctx.scope.net)
        )
        ctx = Context(ctx.scope, values, ctx.learning_rate)
    if args.claims:
        cf = load_claims(args.claims)
        if cf.spec is not None and resolve(cf.spec) != spec:
            raise SymbackpropError(f"{args.claims} is about spec {cf.spec!r}, not {args.spec!r}")
        in_file = file_values(
            cf, ctx.scope.net, lambda t: ctx.scope.notation.param_id(t, ctx.scope.net)
        )
        if in_file is not None or cf.learning_rate is not None:
            ctx = Context(ctx.scope, in_file or ctx.values, ctx.learning_rate or cf.learning_rate)
        claims = list(cf.claims)
    else:
        claims = [
            Claim(
                latex=args.claim,
                param=args.param,
                kind=args.kind,
                bind=parse_bind(args.bind) if args.bind else (),
                source="--claim",
                decimals=args.decimals,
            )
        ]
    outcomes = run_claims(
        ctx, claims, args.decimals, strict=not args.claims, limits=limits_of(args)
    )
    code = exit_code(outcomes)
    if args.format == "json":
        return strict_json([o.to_json() for o in outcomes], indent=2, ensure_ascii=False), code
    return table(outcomes), code


def exit_code(outcomes: list[Outcome]) -> int:
    """0 every claim holds, 1 some claim does not (or is undecided), 2 some claim is unreadable."""
    if any(o.verdict == Verdict.UNREADABLE for o in outcomes):
        return EXIT_BAD
    return EXIT_HOLDS if all(o.verdict == Verdict.HOLDS for o in outcomes) else EXIT_FAILS


def run_claims(
    ctx: Context,
    claims: list[Claim],
    decimals: int | None = None,
    strict: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for claim in claims:
        if decimals is not None and claim.decimals is None:
            claim = Claim(claim.latex, claim.param, claim.kind, claim.bind, claim.source, decimals)
        try:
            outcomes += verify(ctx, claim, strict, limits)
        except SymbackpropError as exc:
            where = f"{claim.source}: " if claim.source else ""
            if strict:
                raise SymbackpropError(f"{where}{exc}") from None
            outcomes.append(
                Outcome(
                    claim.source,
                    claim.latex,
                    claim.kind or "",
                    claim.param or "",
                    "",
                    Verdict.UNREADABLE,
                    remark=str(exc),
                )
            )
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    """One line per claim step: the worst verdict over its bindings, then its diagnosis."""
    groups: dict[tuple[str, str, int], list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault((o.source, o.claim, o.step), []).append(o)
    lines = []
    for (source, claim, step), group in groups.items():
        worst = min(group, key=lambda o: Verdict(o.verdict).rank)
        steps = max(o.step for o in outcomes if o.source == source and o.claim == claim)
        what = f"{worst.kind} {worst.param}".strip()
        bound = f" [{worst.binding}]" if worst.binding else ""
        count = f" ({len(group)} bindings)" if len(group) > 1 else ""
        label = f" (step {step} of {steps})" if steps > 1 else ""
        flat = " ".join(claim.split())
        lines.append(f"{source}{label} | {what}{bound}{count} | {flat} | {worst.verdict.upper()}")
        if worst.diagnosis:
            lines.append(f"    {worst.diagnosis}")
    holds = sum(o.verdict == Verdict.HOLDS for o in outcomes)
    lines.append(f"{holds} of {len(outcomes)} checks hold")
    return "\n".join(lines)


def run_audit(args: argparse.Namespace, spec: NetworkSpec) -> tuple[str, int]:
    text = read_text(args.document, "document")
    ctx = context(spec, args.notation, learning_rate=_rate(args.learning_rate))
    rows = audit(ctx, text, limits_of(args))
    code = (
        EXIT_HOLDS
        if all(r.status in ("holds", "no claim", "defines", "fixes") for r in rows)
        else EXIT_FAILS
    )
    if args.format == "json":
        return strict_json([_row_json(r) for r in rows], indent=2, ensure_ascii=False), code
    lines = [
        f"line {r.line:>4} | {r.status.upper():<13} | {r.equation}"
        + (f"\n       {r.detail}" if r.detail else "")
        for r in rows
    ]
    lines.append("summary: " + ", ".join(f"{k} {v}" for k, v in summary(rows).items()))
    share = shares(rows)
    percent = 100 * share["understood"] // max(share["found"], 1)
    lines.append(
        f"equations: found {share['found']}, read {share['read']}, understood "
        f"{share['understood']} ({percent} %)"
    )
    unjudged = [r for r in rows if r.status in ("unreadable", "undecided")]
    lines.append(f"not judged ({len(unjudged)}):")
    lines += [f"  line {r.line}: {r.status}: {r.detail.splitlines()[0][:160]}" for r in unjudged]
    return "\n".join(lines), code


def _rate(text: str | None) -> sp.Rational | None:
    if text is None:
        return None
    value = exact_decimal(text, "--learning-rate")
    return sp.Rational(value.numerator, value.denominator)


def _row_json(r: AuditRow) -> dict[str, Any]:
    return {
        "line": r.line,
        "equation": r.equation,
        "status": r.status,
        "kind": r.kind,
        "detail": r.detail,
    }


def claims_file(path: str) -> ClaimsFile:
    return load_claims(path)
