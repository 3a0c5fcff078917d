"""Claims files (TOML): a batch of claims about one spec, each with its source location.

    spec = "sears-xor"               # optional: the spec the claims are about
    source = "Sears (2017)"          # optional: the document
    learning_rate = 1                # optional: a learning rate the source fixes
                                     # (the essay's p' = p - dE/dp)
    [values]                         # optional: numbers for numeric claims (as for `eval`)
    x = [2, 3]
    y = [1]
    lr = 0.05
    params = { w_1 = 0.11 }

    [[claim]]
    where = "§2.2, first line after (2.2)"   # free text: where the source writes it
    latex = '\\Delta w_1 = \\alpha (y - \\hat{y}) ...'
    param = "w_{1}"                  # optional when the LaTeX has a left-hand side
    kind = "update"                  # gradient | update | new | equation (optional)
    bind = { o = 2, h = 1 }          # optional: fix free indices or names
    decimals = 2                     # optional: numbers are compared rounded to 2 decimals

A claims file holds what a source wrote, never a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
import tomli_w

from symbackprop.backprop.evaluate import Values, exact_number, values_from_toml
from symbackprop.errors import SymbackpropError
from symbackprop.files import parse_toml, read_text
from symbackprop.model.network import Network
from symbackprop.verify.claim import KINDS, Claim

FILE_KEYS = {"spec", "source", "values", "claim", "description", "learning_rate"}
MAX_DECIMALS = 40  # numbers are compared at 50 digits
CLAIM_KEYS = {"where", "latex", "param", "kind", "bind", "decimals"}


@dataclass(frozen=True)
class ClaimsFile:
    path: str
    spec: str | None
    source: str
    claims: tuple[Claim, ...]
    values: dict[str, Any] | None
    learning_rate: sp.Rational | None = None


def _bind(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise SymbackpropError(f"{where}: bind must be a table such as {{ o = 2, h = 1 }}")
    out = []
    for key, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise SymbackpropError(f"{where}: bind.{key} must be a unit number or a name")
        out.append((str(key), str(v)))
    return tuple(out)


def claims_from_toml(text: str, where: str = "claims") -> ClaimsFile:
    data = parse_toml(text, where)
    unknown = set(data) - FILE_KEYS
    if unknown:
        raise SymbackpropError(
            f"{where}: unknown key(s) {[k[:40] for k in sorted(unknown)][:5]}; valid keys are"
            f" {sorted(FILE_KEYS)}"
        )
    entries = data.get("claim")
    if not isinstance(entries, list) or not entries:
        raise SymbackpropError(f"{where}: no [[claim]] entries")
    claims = []
    for n, entry in enumerate(entries, start=1):
        label = f"{where}: claim {n}"
        if not isinstance(entry, dict):
            raise SymbackpropError(f"{label} must be a table")
        bad = set(entry) - CLAIM_KEYS
        if bad:
            raise SymbackpropError(
                f"{label}: unknown key(s) {[k[:40] for k in sorted(bad)][:5]}; valid keys are"
                f" {sorted(CLAIM_KEYS)}"
            )
        latex = entry.get("latex")
        if not isinstance(latex, str) or not latex.strip():
            raise SymbackpropError(
                f"{label}: 'latex' must be the claim's LaTeX (or a number written as LaTeX)"
            )
        kind = entry.get("kind")
        if kind is not None and kind not in KINDS:
            raise SymbackpropError(f"{label}: kind must be one of {', '.join(KINDS)}")
        decimals = entry.get("decimals")
        if decimals is not None and (
            isinstance(decimals, bool)
            or not isinstance(decimals, int)
            or not 0 <= decimals <= MAX_DECIMALS
        ):
            raise SymbackpropError(f"{label}: decimals must be a whole number in 0..{MAX_DECIMALS}")
        param = entry.get("param")
        if param is not None and not isinstance(param, str):
            raise SymbackpropError(f"{label}: param must be a string")
        claims.append(
            Claim(
                latex=latex,
                param=param,
                kind=kind,
                bind=_bind(entry["bind"], label) if "bind" in entry else (),
                source=str(entry.get("where", f"claim {n}")),
                decimals=decimals,
            )
        )
    values = data.get("values")
    if values is not None and not isinstance(values, dict):
        raise SymbackpropError(f"{where}: [values] must be a table")
    spec = data.get("spec")
    lr = (
        exact_number(data["learning_rate"], f"{where}: learning_rate")
        if "learning_rate" in data
        else None
    )
    return ClaimsFile(
        where,
        spec if isinstance(spec, str) else None,
        str(data.get("source", "")),
        tuple(claims),
        values,
        lr,
    )


def load_claims(path: str) -> ClaimsFile:
    text = read_text(path, "claims file")
    return claims_from_toml(text, where=path)


def file_values(cf: ClaimsFile, net: Network, param_id: Any) -> Values | None:
    if cf.values is None:
        return None
    return values_from_toml(tomli_w.dumps(cf.values), net, param_id, where=f"{cf.path} [values]")
