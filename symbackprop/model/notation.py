"""Notation as data: how a source writes each quantity, loaded from a TOML file.

Templates use ``$l`` (layer, 1-based), ``$j`` (unit of that layer, 1-based) and
``$k`` (unit of the previous layer, 1-based); ``$i`` is the case index and
``$name`` the name being indexed by case. ``$l-1`` and ``$l+1`` (or ``${l-1}``) are the
neighbouring layers' numbers. ``first_layer`` numbers the input layer (default 0), and
``numbering = "network"`` numbers units through the whole net. See docs/specs-and-notation.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from symbackprop.errors import NotationError, choices
from symbackprop.files import parse_toml, read_text
from symbackprop.model.matrix_kinds import MATRIX_KINDS, MATRIX_TABLES, SHAPE_KEYS
from symbackprop.model.network import RESIDUALS, Network

TOP_KEYS: dict[str, set[str]] = {
    "name": set(),
    "description": set(),
    "function": set(),
    "learning_rate": set(),
    "gain": set(),
    "penalty": set(),  # lambda of an L2 penalty (lambda/2) sum w^2
    "penalty_function": set(),  # Omega: the penalty is lambda Omega(theta), Omega = 1/2 sum w^2
    "data_error": set(),  # the error written J(w; X, y): without the penalty
    "upstream": set(),  # the running gradient g of a backward pass written as an algorithm
    "error": set(),
    "case_error": {"i"},
    "case": set(),
    "cases": set(),
    "case_format": {"name", "i"},
    "residual": set(),
    "input": {"k"},
    "target": {"j"},
    "output": {"j"},
    "error_term": {"j"},
    "size": {"l"},  # the number of units of layer l (Hagan's S^{$l}), as a sum's upper limit
    # how a name of several letters (SSE, NdInpt) prints: mathit (default), mathrm or plain
    "multiletter": set(),
    # vector and matrix forms (symbackprop verify, [matrices]): see matrix_kinds.SHAPE_KEYS
    "weight_orientation": set(),
    "vectors": set(),
    "batch": set(),
}
MULTILETTER_STYLES = ("mathit", "mathrm", "plain")
LAYER_KEYS: dict[str, set[str]] = {
    "weight": {"l", "j", "k"},
    "bias": {"l", "j"},
    "net": {"l", "j"},
    "activation": {"l", "j"},
    "delta": {"l", "j"},
    "function": {"l"},  # the activation function's symbol in this layer (Ng's g^{[$l]})
}
CANONICAL_LAYER = {
    "weight": "w^{($l)}_{$j,$k}",
    "bias": "b^{($l)}_{$j}",
    "net": "z^{($l)}_{$j}",
    "activation": "a^{($l)}_{$j}",
    "delta": "\\delta^{($l)}_{$j}",
}
# Layer-numbering keys (verify's free layer index): the input layer's number, the letter of a
# free layer index, the letter of the last layer, the sign of delta (+: dE/dz, -: -dE/dz,
# Rumelhart's), and how units are numbered (per layer, or through the whole network).
OPTION_KEYS: dict[str, tuple[str, ...]] = {
    "first_layer": ("0", "1"),
    "layer_index": (),
    "last_layer": (),
    "delta_sign": ("+", "-"),
    "numbering": ("layer", "network"),
    "bias_unit": ("0",),  # a bias is the weight from an always-on unit 0 (Bishop's w_{j0})
}
OPTION_DEFAULTS = {"first_layer": "0", "delta_sign": "+", "numbering": "layer"}
HEAD = re.compile(r"\\?[A-Za-z]+")  # a name's head: a letter run or a command (\delta)
ARITHMETIC = re.compile(r"\$(?:\{l([+-][0-9])\}|l([+-][0-9])(?![0-9]))")
# Index-form keys (symbackprop derive --index-form): lists, one entry per layer, input first.
# indices: the letter that runs over the units of each layer (Maren: i, h, o);
# sizes: the symbol for the number of units of each layer (Maren: I, H, O).
LIST_KEYS = ("indices", "sizes")
DEFAULTS = {
    "function": r"\sigma",
    "learning_rate": r"\eta",
    "gain": r"\alpha",
    "penalty": r"\lambda",
    "error": "E",
    "case_error": "E_{$i}",
    "case": "i",
    "cases": "n",
    "case_format": "{$name}^{\\langle $i\\rangle}",
    "input": "x_{$k}",
    "target": "y_{$j}",
}


@dataclass(frozen=True)
class Notation:
    name: str
    top: Mapping[str, str]
    layer: Mapping[str, str]
    layers: Mapping[int, Mapping[str, str]]
    names: Mapping[str, str]
    description: str = ""
    source: str = field(default="", compare=False)
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Reader tables (symbackprop verify), optional: extra LaTeX names -> canonical id; count
    # letters -> a layer (negative: from the output); generic names -> a class of parameters.
    aliases: Mapping[str, str] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)
    generic: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)
    # vector and matrix names (symbackprop verify): a LaTeX template with $l -> a quantity kind,
    # of a batch (matrices) and of one training example (example_matrices)
    matrices: Mapping[str, str] = field(default_factory=dict)
    example_matrices: Mapping[str, str] = field(default_factory=dict)

    def option(self, key: str) -> str | None:
        """A layer-numbering key (:data:`OPTION_KEYS`), or its default."""
        return self.options.get(key, OPTION_DEFAULTS.get(key))

    @property
    def layered(self) -> bool:
        """True when the notation declares a free layer index (verify judges every layer)."""
        return any(
            k in self.options
            for k in ("first_layer", "layer_index", "last_layer", "numbering", "bias_unit")
        )

    @property
    def first_layer(self) -> int:
        return int(self.option("first_layer") or 0)

    def unit_number(self, net: Network, l: int, j: int) -> int:
        """The number a template's $j gets for unit j of layer l (1-based)."""
        if self.option("numbering") == "network" and l >= 0 and j > 0:
            return sum(net.spec.sizes[:l]) + j
        return j

    def fill(self, template: str, net: Network, l: int, j: object = "", k: object = "") -> str:
        """A layer template with the layer and unit numbers as this notation writes them."""
        shown = l + self.first_layer
        if self.option("numbering") == "network":
            j = self.unit_number(net, l, j) if isinstance(j, int) else j
            k = self.unit_number(net, l - 1, k) if isinstance(k, int) else k
        text = layer_arithmetic(template, shown)
        return Template(text).substitute(l=shown, j=j, k=k)

    def delta_names(self, net: Network) -> dict[str, str]:
        """Canonical id ``d{l}_{j}`` -> LaTeX, for the error signal δ of every unit."""
        sizes = net.spec.sizes
        return {
            f"d{l}_{j}": self.fill(self.layer_template(l, "delta"), net, l, j)
            for l in range(1, net.depth + 1)
            for j in range(1, sizes[l] + 1)
        }

    def input_names(self, net: Network) -> dict[str, str]:
        """Input k written as an activation of the input layer (Nielsen's a^1_k), by id x{k}."""
        template = self.layer.get("activation")
        if template is None or not self.layered:
            return {}
        return {f"x{k}": self.fill(template, net, 0, k) for k in range(1, net.spec.sizes[0] + 1)}

    def unit_one_names(self, net: Network) -> list[str]:
        """With ``bias_unit``: the always-on unit 0 of every layer that feeds another (x_0, z_0),
        whose value is 1."""
        if self.option("bias_unit") is None:
            return []
        out = [Template(self.get("input") or "").substitute(k=0)]
        for l in range(net.depth):  # a [layers.N] activation names its layer's unit 0 too
            template = self.layers.get(l, {}).get("activation") or self.layer.get("activation")
            if template is not None:
                out.append(self.fill(template, net, l, 0))
        return out

    def function_symbol(self, l: int, net: Network) -> str | None:
        """The activation function's symbol in layer l when the notation names it per layer."""
        template = self.layers.get(l, {}).get("function") or self.layer.get("function")
        return self.fill(template, net, l) if template else None

    def letters(self, key: str) -> tuple[str, ...]:
        """An index-form list (``indices`` or ``sizes``); empty when the notation has none."""
        return self.lists.get(key, ())

    def get(self, key: str) -> str | None:
        return self.top.get(key, DEFAULTS.get(key))

    @property
    def residual(self) -> str | None:
        return self.top.get("residual")

    @property
    def has_error_terms(self) -> bool:
        return "error_term" in self.top

    def name_heads(self) -> set[str]:
        """The heads of the names the templates write (n of Hagan's n^{$l}_{$j})."""
        keys = ("input", "target", "output", "error_term")
        templates = [*self.layer.values(), *(self.get(k) or "" for k in keys)]
        return {m.group(0) for t in templates if (m := HEAD.match(t))}

    def layer_template(self, l: int, key: str) -> str:
        return self.layers.get(l, {}).get(key) or self.layer.get(key) or CANONICAL_LAYER[key]

    def activation_template(self, l: int) -> str:
        return self.layer_template(l, "activation")

    def symbol_names(self, net: Network) -> dict[str, str]:
        """Canonical symbol name -> LaTeX, for every symbol of the network."""
        out: dict[str, str] = {}

        def fill(template: str, **values: object) -> str:
            return Template(template).substitute({k: str(v) for k, v in values.items()})

        sizes, L = net.spec.sizes, net.depth
        for k in range(1, sizes[0] + 1):
            out[f"x{k}"] = fill(self.get("input") or "", k=k)
        for j in range(1, sizes[-1] + 1):
            out[f"y{j}"] = fill(self.get("target") or "", j=self.unit_number(net, L, j))
        for p in net.params:
            out[p.id] = self.fill(
                self.layer_template(p.layer, p.kind), net, p.layer, p.to_unit, p.from_unit or ""
            )
        for l in range(1, L + 1):
            for j in range(1, sizes[l] + 1):
                out[f"z{l}_{j}"] = self.fill(self.layer_template(l, "net"), net, l, j)
                out[f"a{l}_{j}"] = self.fill(self.layer_template(l, "activation"), net, l, j)
        for j in range(1, sizes[-1] + 1):
            number = self.unit_number(net, L, j)
            out[f"o{j}"] = (
                fill(self.top["output"], j=number) if "output" in self.top else out[f"a{L}_{j}"]
            )
            if self.has_error_terms:
                out[f"e{j}"] = fill(self.top["error_term"], j=number)
        out["alpha"] = self.get("gain") or ""
        out["eta"] = self.get("learning_rate") or ""
        out["lambda"] = self.get("penalty") or r"\lambda"
        out["i"] = self.get("case") or "i"
        out["n"] = self.get("cases") or "n"
        out["E"] = self.get("error") or "E"
        out["E_case"] = fill(self.get("case_error") or "", i=out["i"])
        for cid, latex in self.names.items():
            if cid not in out:
                raise NotationError(
                    f"notation {self.name}: [names] key {cid!r} is not a symbol of this network; "
                    f"valid ids: {choices(out)}"
                )
            out[cid] = latex
        self._check_unique(out, net)
        return out

    def _check_unique(self, out: dict[str, str], net: Network) -> None:
        skip = set() if net.gain is not None else {"alpha"}
        if net.penalty is None:
            skip.add("lambda")
        if net.case is None:
            skip |= {"i", "n", "E_case"}
        alias = {f"o{j}": f"a{net.depth}_{j}" for j in range(1, net.spec.sizes[-1] + 1)}
        seen: dict[str, str] = {}
        for cid, latex in out.items():
            if cid in skip:
                continue
            other = seen.setdefault(normalise(latex), cid)
            if other != cid and alias.get(cid) != other:
                raise NotationError(
                    f"notation {self.name}: {other} and {cid} are both written {latex!r} for this "
                    "network; "
                    "give them distinct templates (use $j, $k, $l) or a [names] override"
                )

    def param_id(self, text: str, net: Network) -> str:
        """A parameter's canonical id from its id or its name in this notation."""
        ids = {p.id for p in net.params}
        if text in ids:
            return text
        names = self.symbol_names(net)
        wanted = normalise(text)
        for pid in sorted(ids):
            if normalise(names[pid]) == wanted:
                return pid
        listed = ", ".join(f"{p.id} ({names[p.id]})" for p in net.params)
        raise NotationError(f"unknown parameter {text!r}; valid: {listed}")


def layer_arithmetic(template: str, l: int) -> str:
    """``template`` with its layer arithmetic (``$l-1``, ``${l+1}``) worked out for layer l."""
    return ARITHMETIC.sub(lambda m: str(l + int(m.group(1) or m.group(2))), template)


def normalise(latex: str) -> str:
    """Spelling-insensitive key for comparing names: no spaces or grouping braces."""
    return "".join(ch for ch in latex if ch not in " {}")


def template_identifiers(text: str) -> list[str] | None:
    """The $names of a ``string.Template``, or None when a '$' is stray (``Template.is_valid``
    and ``get_identifiers`` are Python 3.11+; this is the same scan on 3.10)."""
    names = []
    for match in Template.pattern.finditer(text):
        if match.group("invalid") is not None:
            return None
        name = match.group("named") or match.group("braced")
        if name is not None and name not in names:
            names.append(name)
    return names


def _check_template(where: str, key: str, value: Any, allowed: set[str]) -> str:
    if not isinstance(value, str):
        raise NotationError(f"{where}: '{key}' must be a string, got {value!r}")
    identifiers = template_identifiers(ARITHMETIC.sub("$l", value))
    if identifiers is None:
        raise NotationError(
            f"{where}: '{key}' = {value!r} has a stray '$'; write $$ for a literal dollar"
        )
    unknown = set(identifiers) - allowed
    if unknown:
        allowed_text = choices("$" + a for a in allowed) if allowed else "none"
        raise NotationError(
            f"{where}: '{key}' uses {choices('$' + u for u in unknown)}; it may use {allowed_text}"
        )
    return value


def notation_from_toml(text: str, where: str = "notation") -> Notation:
    data = parse_toml(text, where, NotationError)
    top: dict[str, str] = {}
    layer: dict[str, str] = {}
    layers: dict[int, dict[str, str]] = {}
    names: dict[str, str] = {}
    reader: dict[str, dict[str, Any]] = {key: {} for key in READER_KEYS}
    lists: dict[str, tuple[str, ...]] = {}
    options: dict[str, str] = {}
    for key, value in data.items():
        if key in OPTION_KEYS:
            options[key] = _option(where, key, value)
        elif key in LIST_KEYS:
            lists[key] = _letter_list(where, key, value)
        elif key in TOP_KEYS:
            top[key] = _check_template(where, key, value, TOP_KEYS[key])
            if key in SHAPE_KEYS and value not in SHAPE_KEYS[key]:
                raise NotationError(
                    f"{where}: '{key}' must be one of {choices(SHAPE_KEYS[key])}, got {value!r:.40}"
                )
            if key == "multiletter" and value not in MULTILETTER_STYLES:
                raise NotationError(
                    f"{where}: 'multiletter' must be one of {choices(MULTILETTER_STYLES)}, "
                    f"got {value!r:.40}"
                )
        elif key in READER_KEYS:
            reader[key] = _reader_table(where, key, value)
        elif key in ("layer", "layers", "names") and not isinstance(value, dict):
            raise NotationError(f"{where}: '{key}' must be a table")
        elif key == "layer":
            layer = _layer_table(where, "layer", value)
        elif key == "layers":
            for lkey, table in value.items():
                if (
                    not (lkey.isascii() and lkey.isdigit() and len(lkey) <= 6)
                    or int(lkey) < 1
                    or not isinstance(table, dict)
                ):
                    raise NotationError(
                        f"{where}: [layers.{lkey}] must be a table keyed by a layer number 1, 2, "
                        "..."
                    )
                layers[int(lkey)] = _layer_table(where, f"layers.{lkey}", table)
        elif key == "names":
            for cid, latex in value.items():
                names[cid] = _check_template(where, f"names.{cid}", latex, set())
        else:
            valid = choices(
                list(TOP_KEYS)
                + list(LIST_KEYS)
                + list(OPTION_KEYS)
                + ["layer", "layers", "names", *READER_KEYS]
            )
            raise NotationError(f"{where}: unknown key {key!r}; valid keys are {valid}")
    for table, name, kind in ((t, n, k) for t in MATRIX_TABLES for n, k in reader[t].items()):
        _check_template(where, f"{table}.{name}", name, {"l"})
        if kind not in MATRIX_KINDS:
            raise NotationError(
                f"{where}: [{table}] {name!r:.40} = {kind!r:.40}; a kind is one of"
                f" {choices(MATRIX_KINDS)}"
            )
    if "residual" in top and top["residual"] not in RESIDUALS:
        raise NotationError(
            f"{where}: residual must be one of {choices(RESIDUALS)}, got {top['residual']!r}"
        )
    return Notation(
        name=top.get("name", where),
        top=top,
        layer=layer,
        layers=layers,
        names=names,
        description=top.get("description", ""),
        source=where,
        lists=lists,
        options=options,
        **reader,
    )


def _option(where: str, key: str, value: Any) -> str:
    allowed = OPTION_KEYS[key]
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if allowed and text not in allowed:
        raise NotationError(
            f"{where}: '{key}' must be one of {choices(allowed)}, got {value!r:.40}"
        )
    if text is None or (not allowed and not (text.isascii() and text.isalpha() and len(text) == 1)):
        raise NotationError(f"{where}: '{key}' must be one letter, got {value!r:.40}")
    return text


def _letter_list(where: str, key: str, value: Any) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise NotationError(
            f"{where}: '{key}' must be a list of LaTeX strings, one per layer, input first"
        )
    for v in value:
        _check_template(where, key, v, set())
    if len(set(value)) != len(value):
        raise NotationError(f"{where}: '{key}' repeats an entry; each layer needs its own")
    return tuple(value)


READER_KEYS: dict[str, type] = {
    "aliases": str,
    "counts": int,
    "generic": str,
    "matrices": str,
    "example_matrices": str,
}


def _reader_table(where: str, key: str, value: Any) -> dict[str, Any]:
    kind = READER_KEYS[key]
    if not isinstance(value, dict) or not all(
        isinstance(v, kind) and not isinstance(v, bool) for v in value.values()
    ):
        raise NotationError(f"{where}: [{key}] must be a table of {kind.__name__} values")
    return dict(value)


def _layer_table(where: str, label: str, table: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in table.items():
        if key not in LAYER_KEYS:
            raise NotationError(
                f"{where}: [{label}] has unknown key {key!r}; valid keys are {choices(LAYER_KEYS)}"
            )
        out[key] = _check_template(where, f"{label}.{key}", value, LAYER_KEYS[key])
    return out


def notation_names() -> list[str]:
    folder = resources.files("symbackprop.model") / "data" / "notations"
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_notation(ref: str, base_dir: str = "") -> Notation:
    """A built-in notation by name, or a TOML file (relative paths from base_dir)."""
    if not isinstance(ref, str):
        raise NotationError(
            f"a notation is a built-in name or a .toml file, not {type(ref).__name__}"
        )
    if ref in notation_names():
        text = (
            resources.files("symbackprop.model") / "data" / "notations" / f"{ref}.toml"
        ).read_text("utf-8")
        return notation_from_toml(text, where=ref)
    if not ref.endswith(".toml"):
        raise NotationError(
            f"unknown notation {ref!r:.60}; choose from {choices(notation_names())}"
            " or give a .toml file"
        )
    path = Path(base_dir, ref) if base_dir and not Path(ref).is_absolute() else Path(ref)
    text = read_text(path, "notation file", NotationError)
    return notation_from_toml(text, where=str(path))
