"""How the ``papersift`` commands report papersift's errors: a clean message and exit code 1,
or 2 for usage errors (shared by ``cli`` and the commands kept in modules of their own)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from papersift.errors import PapersiftError

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(command: F) -> F:
    """Turn papersift's errors into a clean message and exit code 1 (2 for usage errors)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PapersiftError as exc:
            raise click.ClickException(str(exc)) from exc
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc

    return wrapper  # type: ignore[return-value]
