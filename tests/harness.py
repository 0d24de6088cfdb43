"""Where the tests' database comes from.

One database per test run, created and migrated once by pytest's controlling process
before any xdist worker starts, shared by every worker, dropped when the run ends.
The server is the one `ATTUNE_DATABASE_URL` names (default: 127.0.0.1:5432, user
postgres); only the database name differs, so tests never touch the user's database.
Where no server answers but PostgreSQL's binaries exist, a private throwaway server is
started instead (pytest-postgresql's executor).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any

import psycopg
from port_for import select_random
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pytest_postgresql.executors import PostgreSQLExecutor
from pytest_postgresql.janitor import DatabaseJanitor

from attune_common import database_url, migrate


class Unavailable(Exception):
    """No PostgreSQL to test against; the message says what to do."""


@dataclass
class TestDatabase:
    url: str
    name: str
    template: DatabaseJanitor
    server: PostgreSQLExecutor | None = None
    server_dir: str | None = field(default=None, repr=False)

    def drop(self) -> None:
        try:
            _janitor(conninfo_to_dict(self.url), self.name).drop()
            self.template.drop()
        finally:
            if self.server is not None:
                self.server.stop()
            if self.server_dir is not None:
                shutil.rmtree(self.server_dir, ignore_errors=True)


def _answers(params: dict[str, Any]) -> bool:
    try:
        psycopg.connect(**{**params, "dbname": "postgres"}, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def _find_pg_ctl() -> str | None:
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return versions[0] if versions else shutil.which("pg_ctl")


def _start_private_server(where: str) -> tuple[PostgreSQLExecutor, dict[str, Any]]:
    pg_ctl = _find_pg_ctl()
    if pg_ctl is None:
        raise Unavailable(
            f"no PostgreSQL answers at {where} and no PostgreSQL binaries are installed: "
            "start a server and point ATTUNE_DATABASE_URL at it"
        )
    if os.geteuid() == 0:
        raise Unavailable(
            f"no PostgreSQL answers at {where}, and a private one cannot be started as root "
            "(PostgreSQL refuses to run as root): start the local server "
            "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) "
            "or set ATTUNE_DATABASE_URL"
        )
    base = tempfile.mkdtemp(prefix="attune-pg-")
    port = select_random()
    server = PostgreSQLExecutor(
        executable=pg_ctl,
        host="127.0.0.1",
        port=port,
        datadir=os.path.join(base, "data"),
        unixsocketdir=base,
        logfile=os.path.join(base, "postgresql.log"),
        startparams="-w",
        dbname="postgres",
    )
    server.start()
    return server, {"host": "127.0.0.1", "port": port, "user": "postgres"}


def create_test_database() -> TestDatabase:
    """Create and migrate this run's database (on a private server if need be)."""
    params: dict[str, Any] = {
        key: value
        for key, value in conninfo_to_dict(database_url()).items()
        if key in ("host", "port", "user", "password")
    }
    params.setdefault("user", "postgres")
    server = server_dir = None
    if not _answers(params):
        where = f"{params.get('host', 'localhost')}:{params.get('port', 5432)}"
        server, params = _start_private_server(where)
        server_dir = os.path.dirname(server.datadir)
    name = f"attune_test_{secrets.token_hex(4)}"
    # The migrated schema is made once, in a template; the shared test database and any
    # isolated one (see `create_isolated_database`) are quick copies of it. The C
    # collation makes "ordered by ref" mean code-point order whatever the server's
    # default, so tests can check an order against Python's sorted().
    template = _janitor(params, template_name(name))
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ).format(sql.Identifier(template.dbname))
        )
    database = TestDatabase(
        make_conninfo(**params, dbname=name), name, template, server, server_dir
    )
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
