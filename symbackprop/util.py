"""Small helpers every stage may use: ``once`` and ``tomllib``.

``once`` is a cached property without the lock ``functools.cached_property`` takes on
Python < 3.12. Deriving 100,000 gradients reads a few cached properties each; the lock costs
more than the work. The value is stored in the instance's ``__dict__`` (frozen dataclasses
too), where it shadows this non-data descriptor from then on.

``tomllib`` is the standard library's on Python 3.11+, ``tomli`` before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["once", "tomllib"]

T = TypeVar("T")


class once(Generic[T]):  # noqa: N801 - a decorator, lower case like property
    def __init__(self, fn: Callable[[Any], T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> once[T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> T | once[T]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value
