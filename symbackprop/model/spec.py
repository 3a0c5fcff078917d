"""The network spec: immutable, validated as it is built.

A spec comes from a preset name, a TOML file or an inline ``2-3-2`` string.
It names its notation (a built-in name or a path), but knows nothing else of it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from symbackprop.errors import ArgumentError, SpecError, choices
from symbackprop.files import big, kind, parse_toml, read_text
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.losses import USER_LOSSES

INLINE = re.compile(r"^-?\d+(?:-+\d+)+$")
MAX_PARAMS = 10_000_000  # weights and biases of any spec
SPEC_KEYS = {
    "name",
    "description",
    "source",
    "layers",
    "activation",
    "bias",
    "gain",
    "loss",
    "mean",
    "reduce",
    "l2",
    "l2_biases",
    "l2_mean",
    "notation",
}
REDUCTIONS = ("mean", "sum")  # over n symbolic cases; without one, E is the loss of one case
# an L2 coefficient as written: a decimal (0.01, 1e-3) or a ratio of integers (1/100)
PENALTY = re.compile(r"^(?:\d{1,20}(?:\.\d{0,20})?(?:[eE][+-]?\d{1,2})?|\d{1,20}/\d{1,20})$")


@dataclass(frozen=True)
class NetworkSpec:
    """Layer sizes (input first), and per non-input layer: activation, bias, gain."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    biases: tuple[bool, ...]
    gains: tuple[bool, ...]
    loss: str = "half_sse"
    mean: bool = False
    notation: str = "canonical"
    name: str = ""
    description: str = ""
    source: str = ""
    base_dir: str = field(default="", compare=False)
    summed: bool = False  # E is the sum over n cases (``mean``: their mean)
    l2: str = "0"  # the L2 penalty's coefficient lambda, an exact rational as text ("1/100")
    l2_biases: bool = False  # the penalty covers the biases as well as the weights
    l2_mean: bool = False  # the penalty is divided by the number of cases n: (lambda/2n) sum w^2

    def __post_init__(self) -> None:
        for key in ("sizes", "activations", "biases", "gains"):
            value = getattr(self, key)
            if isinstance(value, list):
                object.__setattr__(self, key, tuple(value))
            elif not isinstance(value, tuple):
                raise SpecError(f"NetworkSpec {key} must be a tuple, got {type(value).__name__}")
        for key in ("loss", "notation", "name", "description", "source", "base_dir"):
            if not isinstance(getattr(self, key), str):
                raise SpecError(
                    f"NetworkSpec {key} must be a string, got {type(getattr(self, key)).__name__}"
                )
        for key in ("mean", "summed", "l2_biases", "l2_mean"):
            if not isinstance(getattr(self, key), bool):
                raise SpecError(
                    f"NetworkSpec {key} must be True or False, got {getattr(self, key)!r:.40}"
                )
        if self.mean and self.summed:
            raise SpecError("E is either the mean or the sum over the cases, not both")
        object.__setattr__(self, "l2", penalty_text(self.l2, "NetworkSpec l2"))
        if self.l2_mean and not self.over_cases:
            raise SpecError(
                "l2_mean divides the L2 penalty by the number of cases n: it needs reduce = "
                "'mean' or 'sum'"
            )
        if len(self.sizes) < 2:
            raise SpecError(
                "a network needs at least an input and an output layer, got sizes "
                f"{list(self.sizes)}"
            )
        for i, n in enumerate(self.sizes):
            if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
                raise SpecError(
                    f"layer {i} has size {n!r:.40}: every layer size must be a positive integer"
                )
        n_layers = len(self.sizes) - 1
        for label, values, expected in (
            ("activation", self.activations, str),
            ("bias", self.biases, bool),
            ("gain", self.gains, bool),
        ):
            if len(values) != n_layers:
                raise SpecError(
                    f"{len(values)} {label} entries for {n_layers} non-input layers: give one, or "
                    "one per layer"
                )
            for l, v in enumerate(values, start=1):
                if not isinstance(v, expected):
                    word = "a string" if expected is str else "True or False"
                    raise SpecError(f"the {label} of layer {l} must be {word}, got {v!r:.40}")
        if self.n_params > MAX_PARAMS:
            raise SpecError(
                f"{self.label[:60]} has {big(self.n_params)} parameters; the limit is "
                f"{big(MAX_PARAMS)} (a float64 theta of {MAX_PARAMS * 8 // 2**20} MB)"
            )
        for l, act in enumerate(self.activations, start=1):
            if act not in ACTIVATIONS:
                raise SpecError(
                    f"unknown activation {act!r} for layer {l}; choose from {choices(ACTIVATIONS)}"
                )
            if self.gains[l - 1] and not ACTIVATIONS[act].takes_gain:
                raise SpecError(
                    f"layer {l} has a gain but its activation is {act!r}; "
                    f"a gain needs {gain_activations()}"
                )
        for l, act in enumerate(self.activations, start=1):
            if ACTIVATIONS[act].layerwise and self.sizes[l] < 2:
                raise SpecError(
                    f"layer {l} is a softmax of one unit (the constant 1); give it two or more "
                    "units"
                )
        if self.loss not in USER_LOSSES:
            raise SpecError(f"unknown loss {self.loss!r}; choose from {choices(USER_LOSSES)}")
        if self.loss == "cross_entropy" and ACTIVATIONS[self.activations[-1]].cross_entropy is None:
            raise SpecError(
                f"cross_entropy needs a {cross_entropy_heads()} output layer, "
                f"not {self.activations[-1]!r}"
            )

    @property
    def depth(self) -> int:
        """L: the number of non-input layers."""
        return len(self.sizes) - 1

    @property
    def reduce(self) -> str:
        """How E gathers the cases: 'mean', 'sum', or 'none' (E is the loss of one case)."""
        return "mean" if self.mean else "sum" if self.summed else "none"

    @property
    def over_cases(self) -> bool:
        """Whether E is a mean or a sum over n symbolic cases (quantities carry a case index)."""
        return self.mean or self.summed

    @property
    def l2_value(self) -> Fraction:
        """lambda of the penalty (lambda/2) sum w^2; 0 without a penalty."""
        return Fraction(self.l2)

    def penalised(self, kind: str) -> bool:
        """Whether the L2 penalty covers parameters of this kind ('weight' or 'bias')."""
        return self.l2_value != 0 and (kind == "weight" or self.l2_biases)

    @property
    def n_params(self) -> int:
        return sum(
            self.sizes[l] * self.sizes[l - 1] + (self.sizes[l] if self.biases[l - 1] else 0)
            for l in range(1, len(self.sizes))
        )

    @property
    def label(self) -> str:
        return self.name or "-".join(map(str, self.sizes))

    def to_toml(self) -> str:
        """The spec as TOML text, loadable by :func:`spec_from_toml`."""
        data: dict[str, Any] = {"name": self.label}
        if self.description:
            data["description"] = self.description
        if self.source:
            data["source"] = self.source
        data |= {
            "layers": list(self.sizes),
            "activation": list(self.activations),
            "bias": list(self.biases),
            "gain": list(self.gains),
            "loss": self.loss,
            "mean": self.mean,
            "notation": self.notation,
        }
        if self.summed:
            data["reduce"] = "sum"
        if self.l2_value:
            data |= {"l2": self.l2, "l2_biases": self.l2_biases}
            if self.l2_mean:
                data["l2_mean"] = True
        return tomli_w.dumps(data)


def penalty_text(value: Any, where: str) -> str:
    """An L2 coefficient (an int, a float, or a string such as '0.01' or '1/100') as the exact
    nonnegative rational it names, written 'p/q' (or 'p'); a clear SpecError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(
            f"{where} must be a nonnegative number or a string such as '1/100', got {value!r:.40}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(f"{where} must be a finite number, got {value!r}")
    text = repr(value) if isinstance(value, float) else str(value)
    text = text.strip()
    if (isinstance(value, (int, float)) and value < 0) or text.startswith("-"):
        raise SpecError(f"{where} must be nonnegative, got {text[:40]!r}")
    if not PENALTY.fullmatch(text):
        raise SpecError(
            f"{where}: {text[:40]!r} is not a number; write a decimal such as 0.01 or 1e-3, or a "
            "ratio such as '1/100'"
        )
    if "/" in text and int(text.split("/")[1]) == 0:
        raise SpecError(f"{where}: {text[:40]!r} divides by zero")
    return str(Fraction(text))


def _reduction(data: dict[str, Any], where: str) -> tuple[bool, bool]:
    """(mean, summed) from the keys 'reduce' and 'mean' (the older spelling of reduce = 'mean')."""
    mean = data.get("mean", False)
    if not isinstance(mean, bool):
        raise SpecError(f"{where}: 'mean' must be true or false")
    if "reduce" not in data:
        return mean, False
    reduce = data["reduce"]
    if reduce not in REDUCTIONS:
        raise SpecError(
            f"{where}: 'reduce' must be {' or '.join(map(repr, REDUCTIONS))} (E over n cases), "
            f"got {reduce!r:.40}; leave it out for the loss of one case"
        )
    if "mean" in data and mean != (reduce == "mean"):
        raise SpecError(
            f"{where}: 'mean = {str(mean).lower()}' and 'reduce = \"{reduce}\"' disagree"
        )
    return reduce == "mean", reduce == "sum"


@dataclass(frozen=True)
class LossTerms:
    """Command-line refinements of E: the sum over the cases, an L2 penalty (None: as the spec
    says)."""

    summed: bool = False
    l2: str | float | None = None
    l2_biases: bool = False
    l2_mean: bool = False

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {"summed": True, "mean": False} if self.summed else {}
        if self.l2 is not None:
            out["l2"] = penalty_text(self.l2, "--l2")
        for key in ("l2_biases", "l2_mean"):
            if getattr(self, key):
                out[key] = True
        return out


def _per_layer(value: Any, n: int, label: str, kind: type) -> tuple[Any, ...]:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    for v in values:
        if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
            raise SpecError(f"{label} must be a {kind.__name__} or a list of them, got {v!r}")
    if len(values) != n:
        raise SpecError(
            f"{len(values)} {label} entries for {n} non-input layers: give one, or one per layer"
        )
    return tuple(values)


def spec_from_dict(data: dict[str, Any], *, base_dir: str = "", where: str = "spec") -> NetworkSpec:
    unknown = set(data) - SPEC_KEYS
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) "
            f"{choices(repr(k[:40]) for k in sorted(unknown)[:5])}; valid keys"
            f" are {choices(SPEC_KEYS)}"
        )
    if "layers" not in data:
        raise SpecError(f"{where}: missing 'layers', for example layers = [2, 2, 1]")
    sizes = data["layers"]
    if not isinstance(sizes, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) for s in sizes
    ):
        raise SpecError(f"{where}: 'layers' must be a list of positive integers, got {sizes!r:.80}")
    n = len(sizes) - 1
    if n < 1:
        raise SpecError(
            f"{where}: a network needs at least an input and an output layer, got {sizes!r}"
        )
    for key, expected in (
        ("name", str),
        ("description", str),
        ("source", str),
        ("loss", str),
        ("notation", str),
    ):
        if key in data and not isinstance(data[key], expected):
            raise SpecError(f"{where}: '{key}' must be a string, got {data[key]!r}")
    mean, summed = _reduction(data, where)
    for key in ("l2_biases", "l2_mean"):
        if not isinstance(data.get(key, False), bool):
            raise SpecError(f"{where}: '{key}' must be true or false")
    return NetworkSpec(
        sizes=tuple(sizes),
        activations=_per_layer(data.get("activation", "sigmoid"), n, "activation", str),
        biases=_per_layer(data.get("bias", True), n, "bias", bool),
        gains=_per_layer(data.get("gain", False), n, "gain", bool),
        loss=data.get("loss", "half_sse"),
        mean=mean,
        notation=data.get("notation", "canonical"),
        name=data.get("name", ""),
        description=data.get("description", ""),
        source=data.get("source", ""),
        base_dir=base_dir,
        summed=summed,
        l2=penalty_text(data.get("l2", "0"), f"{where}: 'l2'"),
        l2_biases=data.get("l2_biases", False),
        l2_mean=data.get("l2_mean", False),
    )


def spec_from_toml(text: str, *, base_dir: str = "", where: str = "spec") -> NetworkSpec:
    data = parse_toml(text, where, SpecError)
    return spec_from_dict(data, base_dir=base_dir, where=where)


def preset_names() -> list[str]:
    folder = resources.files("symbackprop.model") / "data" / "presets"
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def preset(name: str) -> NetworkSpec:
    if not isinstance(name, str) or name not in preset_names():
        raise SpecError(f"unknown preset {name!r:.60}; choose from {choices(preset_names())}")
    text = (resources.files("symbackprop.model") / "data" / "presets" / f"{name}.toml").read_text(
        "utf-8"
    )
    return spec_from_toml(text, where=f"preset {name}")


def cross_entropy_heads() -> str:
    """'softmax (categorical) or sigmoid (binary)': the output layers cross_entropy works with."""
    heads = [(name, act.cross_entropy) for name, act in ACTIVATIONS.items() if act.cross_entropy]
    heads.sort(key=lambda h: h[1] != "cross_entropy")  # the categorical one first
    kinds = {"cross_entropy": "categorical", "binary_cross_entropy": "binary"}
    return " or ".join(f"{name} ({kinds.get(loss, loss)})" for name, loss in heads)


def gain_activations() -> str:
    return " or ".join(name for name, act in ACTIVATIONS.items() if act.takes_gain)


def takes_gain(activation: str) -> bool:
    """Whether a layer of this activation takes the gain (unknown names are refused later)."""
    act = ACTIVATIONS.get(activation)
    return act is not None and act.takes_gain


def inline(
    text: str,
    *,
    activation: Sequence[str] | str | None = None,
    loss: str | None = None,
    bias: bool = True,
    gain: bool = False,
    mean: bool = False,
    notation: str | None = None,
    loss_terms: LossTerms | None = None,
) -> NetworkSpec:
    """Build a spec from ``2-3-2``: sigmoid, biases, half_sse and the canonical notation by
    default."""
    parts = text.split("-")
    if not INLINE.fullmatch(text) or not text.isascii() or any(p == "" for p in parts):
        raise SpecError(
            f"inline spec {text[:60]!r}: write positive layer sizes joined by '-',"
            " for example 2-3-2"
        )
    if any(len(p) > 12 for p in parts):
        raise SpecError(f"inline spec {text[:60]!r}: a layer size has more than 12 digits")
    sizes = tuple(int(p) for p in parts)
    n = len(sizes) - 1
    acts: Sequence[str] | str = activation if activation is not None else "sigmoid"
    if isinstance(acts, (list, tuple)) and len(acts) == 1:
        acts = acts[0]
    gains: tuple[bool, ...] = tuple(
        gain and takes_gain(a) for a in _per_layer(acts, n, "activation", str)
    )
    if gain and not any(gains):
        raise SpecError(f"--gain needs at least one {gain_activations()} layer")
    spec = NetworkSpec(
        sizes=sizes,
        activations=_per_layer(acts, n, "activation", str),
        biases=(bias,) * n,
        gains=gains,
        loss="half_sse" if loss is None else loss,
        mean=mean,
        notation="canonical" if notation is None else notation,
        name=text,
    )
    changes = (loss_terms or LossTerms()).changes()
    return replace(spec, **changes) if changes else spec


def resolve(
    text: str | os.PathLike[str],
    *,
    activation: Sequence[str] | str | None = None,
    loss: str | None = None,
    bias: bool = True,
    gain: bool = False,
    mean: bool = False,
    notation: str | None = None,
    loss_terms: LossTerms | None = None,
) -> NetworkSpec:
    """A preset name, a TOML file or an inline spec; flags refine presets and files too."""
    if isinstance(text, os.PathLike):
        text = os.fspath(text)
    if not isinstance(text, str):
        raise SpecError(
            "a spec is a preset name, an inline spec such as '2-3-1', a path to a spec .toml "
            f"file or a NetworkSpec, not {type(text).__name__}"
        )
    if not text:
        raise SpecError(
            "the spec is empty: give a preset name, a .toml file or sizes such as 2-3-2"
        )
    found = kind(text)
    if text.endswith(".toml") or found in ("file", "other"):
        body = read_text(text, "spec file", SpecError)
        spec = spec_from_toml(body, base_dir=str(Path(text).parent), where=text)
    elif INLINE.match(text) or text[:1].isdigit():
        return inline(
            text,
            activation=activation,
            loss=loss,
            bias=bias,
            gain=gain,
            mean=mean,
            notation=notation,
            loss_terms=loss_terms,
        )
    else:
        spec = preset(text)
    changes: dict[str, Any] = {}
    if activation is not None:
        changes["activations"] = _per_layer(
            activation[0]
            if isinstance(activation, (list, tuple)) and len(activation) == 1
            else activation,
            spec.depth,
            "activation",
            str,
        )
    if gain:
        changes["gains"] = tuple(
            takes_gain(a) for a in changes.get("activations", spec.activations)
        )
    if loss is not None:
        changes["loss"] = loss
    if not bias:
        changes["biases"] = (False,) * spec.depth
    if mean:
        changes |= {"mean": True, "summed": False}
    changes |= (loss_terms or LossTerms()).changes()
    if notation is not None:
        changes["notation"] = notation
    return replace(spec, **changes) if changes else spec


def as_spec(spec: object) -> NetworkSpec:
    """What a user would pass for a spec: a NetworkSpec, a preset name, an inline spec such as
    ``"2-3-1"`` or the path of a spec TOML file (a ``str`` or a ``Path``)."""
    if isinstance(spec, NetworkSpec):
        return spec
    if isinstance(spec, (str, os.PathLike)):
        return resolve(spec)
    raise ArgumentError(
        "spec must be a NetworkSpec, a preset name, an inline spec such as '2-3-1' or the path "
        f"of a spec .toml file, not {type(spec).__name__}"
    )
