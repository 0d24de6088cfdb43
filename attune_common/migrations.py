"""Applying and rolling back the schema with yoyo's Python API.

The migrations are the plain `.sql` files of the repository's `migrations/` folder
(a wheel carries a copy in `attune_common/_migrations`). yoyo needs its own URL
scheme for psycopg 3 (`postgresql+psycopg://`); these functions take the ordinary
libpq URL the rest of the library uses and convert it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from yoyo import get_backend, read_migrations  # type: ignore[import-untyped]

from .errors import AttuneError
from .pooling import database_url

_PACKAGE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


def migrations_dir() -> Path:
    """Where the migration files are: packaged with a wheel, else the source tree's."""
    for candidate in (_PACKAGE / "_migrations", _PACKAGE.parent / "migrations"):
        if candidate.is_dir():
            return candidate
    raise AttuneError(f"no migrations folder beside {_PACKAGE}")


def yoyo_url(url: str | None = None) -> str:
    """The yoyo URL (`postgresql+psycopg://...`) for a libpq URL or key=value string."""
    parts = _conninfo(url)
    user = str(parts.pop("user", ""))
    password = parts.pop("password", None)
    host = str(parts.pop("host", ""))
    port = parts.pop("port", None)
    dbname = str(parts.pop("dbname", user))
    credentials = quote(user, safe="")
    if password is not None:
        credentials += ":" + quote(str(password), safe="")
    location = f"[{host}]" if ":" in host else host  # an IPv6 address
    if "/" in host or "," in host:  # a socket directory or several hosts: as parameters
        parts["host"] = host
        if port:
            parts["port"] = port
        location = port = ""
    location += f":{port}" if port else ""
    path = quote(dbname, safe="")
    if path != dbname:  # yoyo does not unquote the path: pass such a name as a parameter
        parts["dbname"] = dbname
        path = ""
    query = f"?{urlencode(parts)}" if parts else ""
    at = "@" if credentials else ""
    return f"postgresql+psycopg://{credentials}{at}{location}/{path}{query}"


def create_database(url: str | None = None) -> bool:
    """Create the database a URL names if it does not exist yet; True if it was created.

    Connects to the server's `postgres` database to do so, as the URL's user.
    """
    params = _conninfo(url)
    dbname = str(params.get("dbname") or params.get("user") or "")
    try:
        with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            return True
    except psycopg.Error as exc:
        raise AttuneError(f"cannot create database {dbname!r}: {exc}") from exc


def _conninfo(url: str | None) -> dict[str, Any]:
    try:
        return conninfo_to_dict(database_url(url))
    except psycopg.ProgrammingError as exc:
        raise AttuneError(f"invalid database URL: {exc}") from exc


@contextmanager
def _backend(url: str | None) -> Iterator[tuple[Any, Any]]:
    """A yoyo backend, with the migrations read; psycopg errors become AttuneError."""
    try:
        backend = get_backend(yoyo_url(url))
    except psycopg.Error as exc:
        raise AttuneError(f"cannot connect for migrations: {exc}") from exc
    try:
        yield backend, read_migrations(str(migrations_dir()))
    except psycopg.Error as exc:
        raise AttuneError(f"migration failed: {exc}") from exc
    finally:
        backend.connection.close()


@contextmanager
def _locked_backend(url: str | None) -> Iterator[tuple[Any, Any]]:
    """A yoyo backend holding yoyo's migration lock, with the migrations read."""
    with _backend(url) as (backend, migrations), backend.lock():
        yield backend, migrations


def migrate(url: str | None = None) -> list[str]:
    """Apply every pending migration; return the ids applied (empty when up to date)."""
    with _locked_backend(url) as (backend, migrations):
        pending = backend.to_apply(migrations)
        for migration in pending:  # yoyo's apply_migrations, one at a time to log each
            backend.apply_one(migration)
            log.info("applied migration %s", migration.id)
        backend.run_post_apply(pending)
        return [migration.id for migration in pending]


def rollback_all(url: str | None = None) -> list[str]:
    """Roll back every applied migration, newest first; return the ids rolled back."""
    return _rollback(url, count=None)


def rollback_last(url: str | None = None) -> list[str]:
    """Roll back the newest applied migration; return its id (empty if none is applied)."""
    return _rollback(url, count=1)


def _rollback(url: str | None, count: int | None) -> list[str]:
    """Roll back the newest `count` applied migrations (all when None), newest first."""
    with _locked_backend(url) as (backend, migrations):
        applied = list(backend.to_rollback(migrations))[:count]
        for migration in applied:
            backend.rollback_one(migration)
            log.info("rolled back migration %s", migration.id)
        return [migration.id for migration in applied]


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    """Which migrations a database has, in the order they apply."""

    applied: list[str]
    pending: list[str]


def migration_status(url: str | None = None) -> MigrationStatus:
    """The applied and pending migrations of a database (read only: takes no lock)."""
    with _backend(url) as (backend, migrations):
        pending = [migration.id for migration in backend.to_apply(migrations)]
        applied = [migration.id for migration in migrations if migration.id not in pending]
        return MigrationStatus(applied, pending)
