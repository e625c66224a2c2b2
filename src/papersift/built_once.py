"""``built_once``: a property whose value is built on first use, once per object.

The engine's stores and services are built this way, so a command that needs one of them does
not pay for the others (importing them, or an argon2 hash). Unlike ``functools.cached_property``
since Python 3.12, a build holds a lock: services that own a thread or a pool must not be built
twice by two requests that arrive together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
_BUILDING = threading.RLock()  # re-entrant: building one service may build those it uses


class built_once(Generic[T]):
    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> built_once[T]: ...

    @overload
    def __get__(self, instance: object, owner: type) -> T: ...

    def __get__(self, instance: object | None, owner: type) -> T | built_once[T]:
        if instance is None:
            return self
        values = instance.__dict__
        if self.name not in values:
            with _BUILDING:
                if self.name not in values:
                    values[self.name] = self.build(instance)
        return values[self.name]  # type: ignore[no-any-return]

    def __set__(self, instance: object, value: T) -> None:
        instance.__dict__[self.name] = value
