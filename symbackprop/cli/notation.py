"""The ``notation`` subcommand: ``show`` a notation's names, ``check`` it, start a ``new`` one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from symbackprop.errors import NotationError, SymbackpropError
from symbackprop.files import printable, write_atomic
from symbackprop.model.notation import load_notation
from symbackprop.model.notation_tools import check, check_network, show, starter
from symbackprop.model.spec import NetworkSpec, resolve


def add_parsers(sub: Any) -> None:
    n = sub.add_parser(
        "notation",
        help="show, check or start a notation file",
        description="Work on a notation file: a table of every quantity and how it prints "
        "(show), a lint with a fix for each problem (check), a commented starter (new).",
    )
    actions = n.add_subparsers(dest="action", required=True)
    s = actions.add_parser("show", help="a table of every quantity and how it prints")
    s.add_argument("file", help="a built-in notation name or a .toml file")
    s.add_argument("--spec", required=True, help="a preset, a spec .toml file or sizes (2-3-2)")
    c = actions.add_parser("check", help="lint: collisions and two names for one quantity")
    c.add_argument("file", help="a built-in notation name or a .toml file")
    c.add_argument("--spec", help="the network to check against (default 2-3-4-2)")
    w = actions.add_parser("new", help="write a commented starter file NAME.toml")
    w.add_argument("name", help="the notation's name (the file is NAME.toml)")


def _spec(text: str | None) -> NetworkSpec | None:
    if text is None:
        return None
    if text == "":
        raise SymbackpropError("--spec is empty: name a preset, a spec file or sizes")
    return resolve(text)


def run_notation(args: argparse.Namespace) -> tuple[str, int] | str:
    if args.action == "check":
        return _check(args)
    return _show(args) if args.action == "show" else _new(args)


def _show(args: argparse.Namespace) -> str:
    notation = load_notation(args.file)
    spec = _spec(args.spec)
    return show(notation, check_network(spec))


def _check(args: argparse.Namespace) -> tuple[str, int]:
    notation = load_notation(args.file)
    net = check_network(_spec(args.spec))
    findings = check(notation, net)
    where = "-".join(map(str, net.spec.sizes))
    problems = sum(not f.warning for f in findings)
    if not findings:
        return f"notation {notation.name}: no problems on a {where} network", 0
    lines = [
        f"notation {notation.name} on a {where} network: {problems} problem(s), "
        f"{len(findings) - problems} warning(s)"
    ]
    lines += [f"- {f}" for f in findings]
    return "\n".join(lines), 1 if problems else 0


def _new(args: argparse.Namespace) -> str:
    text = starter(args.name)
    path = Path(f"{args.name}.toml")
    if path.exists():
        raise NotationError(f"{printable(path)} exists; the starter never overwrites a file")
    write_atomic(path, text, "notation file")
    return f"wrote {printable(path)}; edit it, then: symbackprop notation check {path}"
