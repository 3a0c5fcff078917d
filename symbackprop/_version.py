"""The package version: one place, read by hatch and by the code generator's header."""

__version__ = "0.1.0"
