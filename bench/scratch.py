"""A throwaway database on the configured server, migrated, dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from attune_common import database_url, migrate


def _admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection to the server's `postgres` database (CREATE/DROP DATABASE)."""
    return psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True)


@contextmanager
def scratch_database() -> Iterator[str]:
    """The URL of a new, migrated `attune_bench_<random>` database; dropped on exit,
    also when the block fails. Only the database name differs from the configured URL."""
    base = database_url()
    name = f"attune_bench_{secrets.token_hex(4)}"
    with _admin(base) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = make_conninfo(base, dbname=name)
        migrate(url)
        yield url
    finally:
        with _admin(base) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
