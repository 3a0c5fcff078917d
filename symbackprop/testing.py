"""For users' tests: ``assert_derivation`` and ``check_derivation`` (see
:mod:`symbackprop.verify.testing`)."""

from symbackprop.verify.testing import assert_derivation, check_derivation

__all__ = ["assert_derivation", "check_derivation"]
