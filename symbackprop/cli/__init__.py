"""The command line: ``symbackprop derive|eval|generate|train|verify|audit|...``.

May import: every other subpackage; nothing imports it.
"""

from symbackprop.cli.main import main

__all__ = ["main"]
