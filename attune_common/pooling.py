"""What `Database` and `AsyncDatabase` share: where the database is, how a pooled
connection is judged alive, and the checks of pool options.

A URL is resolved by ONE function, `database_url`, used by both pools, `migrate`, the
`attune-db` command and the tests.
"""

from __future__ import annotations

import os
import random
import select
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import ConnStatus

from .errors import ValidationError

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/attune"
URL_VARIABLE = "ATTUNE_DATABASE_URL"

RESET = b"RESET ALL; UNLISTEN *"
"""What returns a session to its defaults before the next borrower: the SETs and the
LISTENs of the last one (client-side settings are restored by the pools)."""
COMMIT = b"COMMIT; "
ROLLBACK = b"ROLLBACK; "


def database_url(url: str | None = None) -> str:
    """The one resolution of the database URL, used by Database, migrate, the CLI and
    the tests: `url`, else `$ATTUNE_DATABASE_URL`, else the local default database.

    libpq's `PG*` variables fill what the URL leaves out, as libpq does at connect time;
    a URL that names no database (and no `PGDATABASE`) is refused rather than guessed
    (libpq would take the user's name, and a migration would land in the wrong database).
    """
    resolved = url or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    try:
        parts = conninfo_to_dict(resolved)
    except psycopg.ProgrammingError as exc:
        raise ValidationError(f"invalid database URL: {exc}") from exc
    if parts.get("dbname"):
        return resolved
    from_environment = os.environ.get("PGDATABASE")
    if not from_environment:
        raise ValidationError(
            f"the database URL {describe(resolved)!r} names no database "
            "(add /dbname to the URL, or set PGDATABASE)"
        )
    return make_conninfo(resolved, dbname=from_environment)


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparsable database URL>"
    host = parts.get("host", "localhost")
    return f"{parts.get('user', '')}@{host}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


# -- healthy and clean connections ------------------------------------------------------


def connection_alive(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> bool:
    """Whether an idle connection is still usable, judged without a round trip: a
    server that ended the session (terminated, restarted, crashed) has left an error
    message and end-of-file on the socket, and reading them marks the connection bad."""
    pgconn = conn.pgconn
    try:
        while pgconn.status == ConnStatus.OK:
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
            if not readable:
                return True
            pgconn.consume_input()
            while pgconn.notifies() is not None:  # notices for a previous borrower
                pass
    except (psycopg.Error, OSError, ValueError):
        return False
    return False


def backoff(attempt: int, base: float = 0.05, cap: float = 2.0) -> float:
    """Seconds to wait before try `attempt + 2`: exponential, with full jitter."""
    return random.uniform(0, min(cap, base * 2**attempt))


def check_sizes(min_size: int, max_size: int, timeout: float) -> None:
    if not 0 <= min_size <= max_size or max_size < 1:
        raise ValidationError(
            f"pool sizes need 0 <= min_size <= max_size and max_size >= 1, "
            f"not min_size={min_size}, max_size={max_size}"
        )
    if timeout <= 0:
        raise ValidationError(f"timeout must be positive, not {timeout}")
