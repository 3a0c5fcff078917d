"""Spelling-insensitive keys of names: the key of a parse-tree name (``v_{h,o}`` with h=1, o=2
and ``v_{1,2}`` have the same key) and of a name written in LaTeX (a notation entry)."""

from __future__ import annotations

from collections.abc import Mapping

from symbackprop.verify.indexing import index_arithmetic
from symbackprop.verify.reader import Prod, ReadError, Script, Sym, parse, text_of_namecmd


def script_key(script: Script | None, env: Mapping[str, int | str] | None = None) -> str:
    if script is None:
        return ""
    env = env or {}
    parts = []
    tokens = script.tokens
    if len(tokens) > 2 and tokens[0][0] == "LETTER" and tokens[1] == ("REL", "="):
        tokens = tokens[2:]  # E_{q=o}: the summation index q set to o
    if any(t == "SIGN" for t, _ in tokens):
        tokens = index_arithmetic(tokens, env)
    for typ, text in tokens:
        if typ == "LETTER" and isinstance(env.get(text), int):
            parts.append(str(env[text]))
        elif typ == "NAMECMD":
            cmd, body = text_of_namecmd(text)
            parts.append(
                body.replace(" ", "")
                if cmd.startswith("text") or cmd in ("mathrm", "operatorname")
                else text
            )
        else:
            parts.append(text)
    return "".join(parts)


def name_key(
    head: str, sub: Script | None, sup: Script | None, env: Mapping[str, int | str] | None = None
) -> str:
    key = head.replace(" ", "")
    if sub is not None:
        key += "_" + script_key(sub, env)
    if sup is not None:
        key += "^" + script_key(sup, env)
    return key


def latex_key(latex: str) -> str | None:
    """The key of a name written in LaTeX (a notation entry), or None if it is not one name."""
    try:
        doc = parse(latex)
    except ReadError:
        return None
    if len(doc.rows) != 1 or len(doc.rows[0].clauses) != 1:
        return None
    clause = doc.rows[0].clauses[0]
    if clause.rels or clause.sides[0] is None:
        return None
    node = clause.sides[0]
    if isinstance(node, Sym):
        return name_key(node.head, node.sub, node.sup)
    if isinstance(node, Prod) and all(
        op == "" and isinstance(n, Sym) and n.kind == "letter" for op, n in node.items
    ):
        syms = [n for _, n in node.items if isinstance(n, Sym)]  # all are, as just checked
        if all(not s.scripted for s in syms[:-1]):
            return name_key("".join(s.head for s in syms), syms[-1].sub, syms[-1].sup)
    return None
