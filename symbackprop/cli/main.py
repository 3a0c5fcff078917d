"""The command line: ``symbackprop derive|eval|list``."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from typing import Any

import sympy as sp

import symbackprop.cli.codegen as cli_codegen
import symbackprop.cli.notation as cli_notation
import symbackprop.cli.report as cli_report
import symbackprop.cli.sweep as cli_sweep
from symbackprop._version import __version__
from symbackprop.api import Derivation, derive
from symbackprop.backprop.evaluate import DIGITS, Report, evaluate, load_values
from symbackprop.backprop.indexform import index_form
from symbackprop.cli.verify import add_parsers as add_verify_parsers
from symbackprop.cli.verify import run_audit, run_verify
from symbackprop.errors import SymbackpropError
from symbackprop.files import check_range, strict_json
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.losses import LOSSES, USER_LOSSES
from symbackprop.model.notation import load_notation, notation_names
from symbackprop.model.spec import LossTerms, NetworkSpec, preset, preset_names, resolve
from symbackprop.printing.indexform import index_json, index_latex
from symbackprop.printing.latex import FORMS

PROG = "symbackprop"


def _spec_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument(
        "spec",
        nargs=None if required else "?",
        help="a preset name, a spec .toml file, or inline sizes such as 2-3-2",
    )
    p.add_argument(
        "--activation", help="one activation for every layer, or a comma list, one per layer"
    )
    p.add_argument("--loss", help=f"loss: {', '.join(USER_LOSSES)}")
    p.add_argument("--no-bias", action="store_true", help="no biases on any layer")
    p.add_argument(
        "--gain", action="store_true", help="a symbolic sigmoid gain alpha (inline specs)"
    )
    cases = p.add_mutually_exclusive_group()
    cases.add_argument(
        "--mean", action="store_true", help="E is the mean of the loss over n symbolic cases"
    )
    cases.add_argument(
        "--sum", action="store_true", help="E is the sum of the loss over n symbolic cases"
    )
    p.add_argument(
        "--l2",
        metavar="LAMBDA",
        help="add the L2 penalty (lambda/2) sum w^2 to E (a number such as 0.01 or 1/100)",
    )
    p.add_argument("--l2-biases", action="store_true", help="the L2 penalty covers the biases too")
    p.add_argument(
        "--l2-mean",
        action="store_true",
        help="divide the L2 penalty by the number of cases n: (lambda/2n) sum w^2",
    )
    p.add_argument(
        "--notation", help=f"a built-in notation ({', '.join(notation_names())}) or a .toml file"
    )


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=PROG, description="Exact symbolic backpropagation, in a paper's notation."
    )
    ap.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("derive", help="derive every dE/dw and dE/db")
    _spec_args(d)
    d.add_argument(
        "--param", action="append", help="only this parameter (id such as w2_1_3, or notation name)"
    )
    d.add_argument("--form", choices=FORMS, default="compact", help="exact, chain, compact, or all")
    d.add_argument("--format", choices=("latex", "text", "json"), default="latex")
    d.add_argument(
        "--index-form",
        action="store_true",
        help=(
            "the general formulas with symbolic layer sizes (Indexed/Sum): deltas, weights, biases"
        ),
    )
    e = sub.add_parser("eval", help="numbers: forward pass, error, gradients, one update step")
    _spec_args(e)
    e.add_argument("--values", required=True, help="a TOML file with x, y, lr and [params]")
    e.add_argument("--format", choices=("text", "json"), default="text")
    e.add_argument(
        "--digits",
        type=int,
        default=6,
        help=f"decimals shown in text output (default 6, at most {DIGITS})",
    )
    sub.add_parser("list", help="presets, notations, activations and losses")
    cli_codegen.add_parsers(sub, _spec_args)
    cli_sweep.add_parsers(sub, _spec_args)
    add_verify_parsers(sub, _spec_args)
    cli_report.add_parser(sub, _spec_args)
    cli_notation.add_parsers(sub)
    return ap


def spec_of(args: argparse.Namespace) -> NetworkSpec:
    for flag in ("activation", "loss", "notation"):
        if getattr(args, flag) == "":
            raise SymbackpropError(f"--{flag} is empty: name one, or leave the option out")
    acts = args.activation.split(",") if args.activation is not None else None
    return resolve(
        args.spec,
        activation=acts,
        loss=args.loss,
        bias=not args.no_bias,
        gain=args.gain,
        mean=args.mean,
        notation=args.notation,
        loss_terms=LossTerms(
            summed=args.sum, l2=args.l2, l2_biases=args.l2_biases, l2_mean=args.l2_mean
        ),
    )


def run_index_form(args: argparse.Namespace) -> str:
    if args.param or args.form != "compact" or args.format == "text":
        raise SymbackpropError(
            "--index-form prints every general formula: drop --param and --form; --format latex "
            "or json"
        )
    spec = spec_of(args)
    result = index_form(spec, load_notation(args.notation or spec.notation, spec.base_dir))
    if args.format == "json":
        return strict_json(index_json(result), indent=2)
    return "\n\n".join(index_latex(result))


def run_derive(args: argparse.Namespace) -> str:
    if args.index_form:
        return run_index_form(args)
    result: Derivation = derive(spec_of(args), args.notation, args.param)
    if args.format == "json":
        return strict_json(result.to_json(args.form), indent=2)
    if args.format == "text":
        return "\n".join(result.to_text(args.form))
    return "\n\n".join(result.latex(args.form))


def _fmt(value: sp.Expr, digits: int) -> str:
    return (
        f"{float(value):.{digits}f}"
        if abs(float(value)) >= 10 ** (-digits) or value == 0
        else f"{float(value):.{digits}e}"
    )


def run_eval(args: argparse.Namespace) -> str:
    check_range(args.digits, 0, DIGITS, "--digits")
    spec = spec_of(args)
    notation = load_notation(args.notation or spec.notation, spec.base_dir)
    result = derive(spec, notation)
    net, names = result.net, result.names
    values = load_values(args.values, net, lambda text: notation.param_id(text, net))
    report: Report = evaluate(net, values, notation.has_error_terms)
    if args.format == "json":
        return strict_json(_eval_json(result, values.params, report), indent=2)
    digits = args.digits
    lines = []
    for c, case in enumerate(report.forward, start=1):
        lines.append(f"forward pass{f' (case {c})' if len(report.forward) > 1 else ''}:")
        activations = {names[k] for k in case if k.startswith("a")}
        shown = {
            k: v for k, v in case.items() if not (k.startswith("o") and names[k] in activations)
        }
        lines += [f"  {names[k]:<28} {k:<10} = {_fmt(v, digits)}" for k, v in shown.items()]
    gathered = {"mean": "the mean over the cases", "sum": "the sum over the cases"}
    parts = [gathered[net.spec.reduce]] if net.spec.reduce in gathered else []
    if net.penalty is not None:
        parts.append(f"the L2 penalty with {names['lambda']} = {net.spec.l2}")
    note = f" ({' plus '.join(parts)})" if net.penalty is not None or net.spec.summed else ""
    lines.append(f"error {names['E']} = {_fmt(report.error, digits)}{note}")
    lines.append("gradients:")
    lines += [
        f"  dE/d{names[k]:<22} {k:<10} = {_fmt(v, digits)}" for k, v in report.gradients.items()
    ]
    if report.updates:
        assert values.lr is not None  # evaluate() gives updates only with a learning rate
        lines.append(
            f"one update step, p - {names['eta']} dE/dp with {names['eta']} = {float(values.lr):g}:"
        )
        lines += [
            f"  {names[k]:<28} {k:<10} {_fmt(values.params[k], digits)} -> {_fmt(v, digits)}"
            for k, v in report.updates.items()
        ]
    return "\n".join(lines)


def _eval_json(result: Derivation, params: Any, report: Report) -> dict[str, Any]:
    names = result.names

    def table(values: Any) -> dict[str, Any]:
        return {k: {"name": names[k], "value": float(v)} for k, v in values.items()}

    return {
        "spec": result.spec.label,
        "notation": result.notation.name,
        "forward": [table(case) for case in report.forward],
        "error": float(report.error),
        "gradients": table(report.gradients),
        "params": table(params),
        "updates": table(report.updates),
    }


def run_list(args: argparse.Namespace) -> str:
    lines = ["presets:"]
    for name in preset_names():
        lines.append(f"  {name:<12} {preset(name).description}")
    lines.append("notations:")
    for name in notation_names():
        lines.append(f"  {name:<12} {load_notation(name).description}")
    lines.append("activations:")
    lines += [f"  {a.name:<12} {a.summary}" for a in ACTIVATIONS.values()]
    lines.append("losses:")
    lines += [f"  {name:<12} {LOSSES[name].summary}" for name in USER_LOSSES]
    return "\n".join(lines)


COMMANDS: dict[str, Any] = {
    "derive": run_derive,
    "eval": run_eval,
    "list": run_list,
    "generate": lambda args: cli_codegen.run_generate(args, spec_of),
    "train": lambda args: cli_codegen.run_train(args, spec_of),
    "sweep": lambda args: cli_sweep.run_sweep(args, spec_of),
    "verify": lambda args: run_verify(args, spec_of(args)),
    "audit": lambda args: run_audit(args, resolve(args.spec, notation=args.notation)),
    "report": lambda args: cli_report.run_report(args, spec_of(args)),
    "notation": cli_notation.run_notation,
}


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a run as Ctrl-C does: what was reached is kept


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        out = COMMANDS[args.command](args)
    except SymbackpropError as exc:
        print(f"{PROG}: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM; train says how far it got
        where = f" {_one_line(str(exc))}" if str(exc) else ""
        print(f"{PROG}: interrupted{where}", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    out, code = (
        out if isinstance(out, tuple) else (out, 0)
    )  # verify/audit: exit 1 when a claim fails
    try:
        print(out)
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
    return code


def _one_line(message: str) -> str:
    """An error message on one line: line breaks (from a file name or a quoted text) escaped."""
    return message.replace("\r", "\\r").replace("\n", "\\n")
