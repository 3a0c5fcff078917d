"""Print every case's oracle verdict next to its recorded one: ``python -m tests.corpus.run``."""

from __future__ import annotations

import sys
import time

from .cases import texts
from .oracle import judge


def main() -> int:
    bad = 0
    for text in texts():
        start = time.perf_counter()
        for c in text.CASES:
            got = judge(c, text.NETWORK, text.RANGES)
            mark = "ok " if got == c["expect"] else "BAD"
            bad += got != c["expect"]
            print(f"{mark} {c['id']:48s} {got:14s} variant={c['variant']}")
        print(f"--- {text.__name__.rsplit('.', 1)[-1]}: {time.perf_counter() - start:.2f}s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
