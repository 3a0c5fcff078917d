"""Hypothesis strategies for hostile input: the families of issue 11's probe.

Each strategy gives the bytes of one file: a spec, notation, values or claims TOML file, a
CSV or an .npz archive. Half of them are near-valid (the right keys, wrong or extreme
values), half damaged (non-UTF-8 bytes, a byte-order mark, NUL bytes, truncation, deep
nesting, 5,000-digit integers, superscript digits, a field of 200,000 characters).
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
from hypothesis import strategies as st

HUGE = "9" * 5000
NUMBERS = st.one_of(
    st.integers(-3, 6),
    st.integers(),
    st.sampled_from([0, -1, 10**23, 2**64, 2**63 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
)
TEXTS = st.one_of(
    st.sampled_from(
        [
            "",
            "sigmoid",
            "tanh",
            "softmax",
            "relu",
            "linear",
            "half_sse",
            "sse",
            "cross_entropy",
            "canonical",
            "sears",
            "maren",
            "note",
            "essay",
            "²",
            "٣",
            "w_{1}",
            "x" * 300,
            "\u0000",
            "a\nb",
            "h_{$j}",
            "$l$j$k",
            "$bogus",
        ]
    ),
    st.text(max_size=20),
)
SCALARS = st.one_of(NUMBERS, TEXTS, st.booleans())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXTS, inner, max_size=4)),
    max_leaves=12,
)


def toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(v), repr(v))
    if isinstance(v, str):
        return (
            '"'
            + v.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\u0000", "\\u0000")
            + '"'
        )
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    assert isinstance(v, dict)
    return "{" + ", ".join(f"{toml_value(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_doc(keys: list[str]) -> st.SearchStrategy[str]:
    """A TOML document of some of ``keys`` (and a stray one) with hostile values."""
    key = st.one_of(st.sampled_from(keys), TEXTS.filter(bool))
    return st.dictionaries(key, VALUES, max_size=len(keys) + 1).map(
        lambda d: "".join(f"{toml_value(str(k))} = {toml_value(v)}\n" for k, v in d.items())
    )


SPEC_KEYS = [
    "name",
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
]
NOTATION_KEYS = [
    "name",
    "input",
    "weight",
    "bias",
    "layer",
    "layers",
    "names",
    "residual",
    "indices",
    "sizes",
    "aliases",
    "counts",
    "generic",
    "learning_rate",
    "first_layer",
    "layer_index",
    "last_layer",
    "delta_sign",
    "numbering",
    "bias_unit",
]
VALUES_KEYS = ["x", "y", "lr", "gain", "params"]
CLAIMS_KEYS = ["spec", "source", "values", "claim", "learning_rate"]

GOOD = {
    "spec": 'name = "n"\nlayers = [2, 2, 1]\nactivation = "sigmoid"\n',
    "notation": 'name = "n"\n[layers.1]\nunit = "h_{$j}"\n',
    "values": 'x = [2, 3]\ny = [1]\nlr = 0.05\n[params]\n"w_{1}" = 0.11\n',
    "claims": '[[claim]]\nlatex = "x"\nparam = "w_{1}"\ndecimals = 2\n',
    "csv": "0,0,0\n0,1,1\n1,0,1\n1,1,0\n",
}


def damaged(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Valid-looking text, then broken as the probe broke files."""

    def damage(t: str, how: str, at: int, extra: bytes) -> bytes:
        b = t.encode("utf-8", "surrogatepass")
        at = at % (len(b) + 1)
        return {
            "as is": b,
            "bom": b"\xef\xbb\xbf" + b,
            "latin-1": b[:at] + b"\xff\xfe\xe9" + b[at:],
            "nul": b[:at] + b"\x00" + b[at:],
            "truncated": b[:at],
            "garbage": b[:at] + extra,
            "deep": b + b"\nz = " + b"[" * 5000 + b"]" * 5000 + b"\n",
            "deep table": b + b"\nz = " + b"{a=" * 3000 + b"1" + b"}" * 3000 + b"\n",
            "huge int": b + f"\nhuge = {HUGE}\n".encode(),
            "huge in list": b.replace(b"2", HUGE.encode(), 1),
            "superscript": b.replace(b"1", "²".encode(), 1),
        }[how]

    return st.builds(
        damage,
        text,
        st.sampled_from(
            [
                "as is",
                "bom",
                "latin-1",
                "nul",
                "truncated",
                "garbage",
                "deep",
                "deep table",
                "huge int",
                "huge in list",
                "superscript",
            ]
        ),
        st.integers(0, 10**6),
        st.binary(max_size=40),
    )


def toml_file(kind: str, keys: list[str]) -> st.SearchStrategy[bytes]:
    return damaged(st.one_of(st.just(GOOD[kind]), toml_doc(keys), st.text(max_size=200)))


SPECS = toml_file("spec", SPEC_KEYS)
NOTATIONS = toml_file("notation", NOTATION_KEYS)
VALUES_FILES = toml_file("values", VALUES_KEYS)
CLAIMS = damaged(
    st.one_of(
        st.just(GOOD["claims"]),
        toml_doc(CLAIMS_KEYS),
        st.lists(
            st.dictionaries(
                st.sampled_from(["where", "latex", "param", "kind", "bind", "decimals"]),
                VALUES,
                max_size=6,
            ),
            max_size=3,
        ).map(
            lambda cs: "".join(
                "[[claim]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in c.items())
                for c in cs
            )
        ),
    )
)
CELLS = st.one_of(
    st.sampled_from(
        [
            "0",
            "1",
            "0.5",
            "-1",
            "nan",
            "inf",
            "",
            " ",
            "x",
            "1e999",
            "²",
            HUGE,
            "1" * 200_000,
            '"a,b"',
            '"unterminated',
        ]
    ),
    st.text(max_size=8),
)
CSV_TEXT = st.one_of(
    st.just(GOOD["csv"]),
    st.lists(st.lists(CELLS, min_size=0, max_size=5), max_size=6).map(
        lambda rows: "".join(",".join(r) + "\n" for r in rows)
    ),
)
CSVS = damaged(CSV_TEXT)


def npz_bytes(arrays: dict[str, np.ndarray], cut: int | None, lie: int | None) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays) if all(a.dtype != object for a in arrays.values()) else None
    if any(a.dtype == object for a in arrays.values()):
        with zipfile.ZipFile(buf, "w") as z:
            for k, a in arrays.items():
                with z.open(f"{k}.npy", "w") as fh:
                    np.lib.format.write_array(fh, a, allow_pickle=True)
    data = buf.getvalue()
    if lie is not None:  # a header declaring a shape far larger than the data
        data = data.replace(b"'shape': (", f"'shape': ({lie}, ".encode(), 1)
    return data if cut is None else data[: cut % (len(data) + 1)]


ARRAYS = st.one_of(
    st.builds(lambda r, c: np.zeros((r, c)), st.integers(0, 5), st.integers(0, 4)),
    st.builds(lambda r: np.arange(r, dtype=np.int64), st.integers(0, 5)),
    st.just(np.array([1, "a", None], dtype=object)),
    st.just(np.array(["a", "b"])),
    st.just(np.array([np.nan, np.inf])),
    st.just(np.zeros((2, 2, 2))),
    st.just(np.array(3.0)),
)
NPZS = st.one_of(
    st.builds(
        npz_bytes,
        st.dictionaries(st.sampled_from(["X", "Y", "Z", "x"]), ARRAYS, max_size=3),
        st.one_of(st.none(), st.integers(0, 10**4)),
        st.one_of(st.none(), st.sampled_from([10**6, 2**40, 2**62])),
    ),
    st.binary(max_size=300),
)
