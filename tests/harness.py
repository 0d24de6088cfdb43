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
    janitor: DatabaseJanitor
    server: PostgreSQLExecutor | None = None
    server_dir: str | None = field(default=None, repr=False)

    def drop(self) -> None:
        try:
            self.janitor.drop()
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
    janitor = DatabaseJanitor(
        user=params["user"],
        host=params.get("host", "localhost"),
        port=params.get("port", 5432),
        password=params.get("password"),
        dbname=name,
    )
    janitor.init()
    url = make_conninfo(**params, dbname=name)
    database = TestDatabase(url, name, janitor, server, server_dir)
    try:
        migrate(url)
    except BaseException:
        database.drop()
        raise
    return database
