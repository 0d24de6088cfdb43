"""Migrations on scratch databases of their own (never the run's shared database):
migrate(), rollback_all(), the yoyo CLI, and the URLs yoyo is given."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from yoyo.connections import parse_uri  # type: ignore[import-untyped]

from attune_common import migrate
from attune_common.db import URL_VARIABLE
from attune_common.errors import AttuneError
from attune_common.migrations import rollback_all, yoyo_url

ROOT = Path(__file__).resolve().parents[1]
MIGRATION_IDS = sorted(
    path.name.removesuffix(".sql")
    for path in (ROOT / "migrations").glob("*.sql")
    if not path.name.endswith(".rollback.sql")
)

# The schema as the catalogs describe it, without OIDs, so two databases can be compared.
CATALOG: dict[str, str] = {
    "columns": """
        SELECT table_name, ordinal_position, column_name, data_type, udt_schema, udt_name,
               column_default, is_nullable
        FROM information_schema.columns WHERE table_schema = 'attune' ORDER BY 1, 2""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'attune'::regnamespace ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'attune' ORDER BY 1, 2""",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = 'attune'::regnamespace AND NOT t.tgisinternal ORDER BY 1, 2""",
    "functions": """
        SELECT proname, pg_get_functiondef(oid) FROM pg_proc
        WHERE pronamespace = 'attune'::regnamespace ORDER BY 1, 2""",
    "enums": """
        SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE t.typnamespace = 'attune'::regnamespace GROUP BY 1 ORDER BY 1""",
    "sequences": """
        SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences
        WHERE sequence_schema = 'attune' ORDER BY 1""",
}


def schema_of(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(query).fetchall() for name, query in CATALOG.items()}


def schema_exists(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regnamespace('attune') IS NOT NULL").fetchone()
    return row == (True,)


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    """An empty database of this test's own, on the test database's server."""
    name = f"attune_scratch_{secrets.token_hex(4)}"
    admin = make_conninfo(database_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(database_url, dbname=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_migrate_applies_every_migration_in_order_once(scratch_url: str) -> None:
    applied = migrate(scratch_url)

    assert applied == MIGRATION_IDS
    assert [id[:4] for id in applied[:4]] == ["0001", "0002", "0003", "0004"]
    assert migrate(scratch_url) == []


def test_rollback_all_then_migrate_restores_identical_schema(scratch_url: str) -> None:
    migrate(scratch_url)
    before = schema_of(scratch_url)

    rolled_back = rollback_all(scratch_url)
    assert not schema_exists(scratch_url)
    reapplied = migrate(scratch_url)

    assert rolled_back == MIGRATION_IDS[::-1]
    assert reapplied == MIGRATION_IDS
    assert len(before["columns"]) > 100 and all(before.values())
    assert schema_of(scratch_url) == before


def test_yoyo_cli_applies_migrations_from_repo_root(scratch_url: str, database_url: str) -> None:
    yoyo = Path(sys.executable).parent / "yoyo"

    result = subprocess.run(
        [str(yoyo), "apply", "--database", yoyo_url(scratch_url)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert schema_of(scratch_url) == schema_of(database_url)  # the schema migrate() made
    assert migrate(scratch_url) == []


def test_migrate_unreachable_server_raises_attune_error() -> None:
    with pytest.raises(AttuneError, match="cannot connect"):
        migrate("postgresql://postgres@127.0.0.1:1/attune")


# -- yoyo_url --------------------------------------------------------------------------


def yoyo_reads(url: str) -> dict[str, str]:
    """The connection parameters yoyo's PostgreSQL backend gives psycopg for a yoyo URL:
    the URL's parts, its query string on top, then user, password, port and host."""
    uri = parse_uri(url)
    assert uri.scheme == "postgresql+psycopg"
    params: dict[str, Any] = {"dbname": uri.database, **uri.args}
    named = {"user": uri.username, "password": uri.password, "port": uri.port}
    params |= {key: value for key, value in named.items() if value is not None}
    if uri.hostname is not None:
        params["host"] = uri.hostname
    return {key: str(value) for key, value in params.items()}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/attune",
        "postgres://postgres@db.example/attune?sslmode=disable&application_name=migrate",
        "host=127.0.0.1 port=5432 user=postgres dbname=attune",
        "postgresql://svc:p%40ss%3Aw%2Fd%20%25x%23%3F@db.example:6543/attune",
        r"host=db.example user=svc password='it\'s a \\ @:/?#&= %41 pass' dbname=attune",
        "host=/var/run/postgresql user=postgres dbname=attune",
        "host=/tmp port=5433 user=postgres dbname=attune",
        "postgresql:///attune?host=/var/run/postgresql",
        "host=h1.example,h2.example port=5432,5433 user=u dbname=attune",
        "postgresql://u@[::1]:5432/attune",
        "host=db.example user=u dbname='my db-%'",
    ],
)
def test_yoyo_url_gives_yoyo_the_same_connection_parameters(url: str) -> None:
    converted = yoyo_url(url)

    assert converted.startswith("postgresql+psycopg://")
    assert yoyo_reads(converted) == {
        key: str(value) for key, value in conninfo_to_dict(url).items()
    }


def test_yoyo_url_of_plain_url_only_changes_scheme() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/attune"

    assert yoyo_url(url) == "postgresql+psycopg://postgres@127.0.0.1:5432/attune"


def test_yoyo_url_without_argument_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_VARIABLE, "postgresql://someone@db.example:6543/elsewhere")

    assert yoyo_url() == "postgresql+psycopg://someone@db.example:6543/elsewhere"


def test_yoyo_url_malformed_raises_attune_error() -> None:
    with pytest.raises(AttuneError, match="invalid database URL"):
        yoyo_url("postgresql://[broken")
