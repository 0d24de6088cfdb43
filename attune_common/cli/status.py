"""`attune-db status`: migrations, server, the size of the history, the waiting work."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from ..migrations import MigrationStatus, migration_status
from ..pooling import database_url, describe
from .common import Commands, add_command, connect, fetch_one, fetch_optional, table

HISTORY = ("event", "enforcement", "execution", "inquiry", "notification", "artifact")
"""The tables that grow without bound (SPEC §1)."""

EXACT_UP_TO = 1_000_000
"""Count rows exactly up to about this many; past it show the planner's estimate,
since counting a table of tens of millions of rows takes a while (`--exact` does)."""

DESCRIPTION = f"""\
Show what an operator needs at a glance: the database and server version, which
migrations are applied and pending, the rows, on-disk size (with indexes and TOAST)
and oldest row of each history table (event, enforcement, execution, inquiry,
notification, artifact), and the work waiting to be claimed: enforcements `created`
and executions `requested`, with the oldest of each.

Tables past about {EXACT_UP_TO:,} rows show the planner's estimate (~) rather than a
count that would scan them; --exact counts them all. Times are UTC.
"""

SERVER = "SELECT current_setting('server_version'), now()"

TABLE_SIZE = """
SELECT pg_total_relation_size(c.oid), pg_size_pretty(pg_total_relation_size(c.oid)),
       c.reltuples::bigint
FROM pg_class c WHERE c.oid = to_regclass(%s)
"""

COUNT_AND_OLDEST = "SELECT count(*), min(created) FROM {}"
OLDEST = "SELECT NULL::bigint, min(created) FROM {}"

WAITING = {
    ("enforcement", "created"): (
        "SELECT count(*), min(created) FROM attune.enforcement WHERE status = 'created'"
    ),
    ("execution", "requested"): (
        "SELECT count(*), min(created) FROM attune.execution WHERE status = 'requested'"
    ),
}


@dataclass(frozen=True, slots=True)
class TableRows:
    """How many rows a table has (`estimated`: the planner's figure) and the oldest."""

    name: str
    rows: int | None  # None: the table does not exist (migrations pending)
    estimated: bool = False
    size: str = ""  # as PostgreSQL writes it: 48 MB
    size_bytes: int | None = None
    oldest: datetime | None = None


@dataclass(frozen=True, slots=True)
class Status:
    database: str
    server: str
    now: datetime
    migrations: MigrationStatus
    history: list[TableRows]
    waiting: list[tuple[str, TableRows]]  # (status waited on, rows in it)


def register(commands: Commands) -> None:
    parser = add_command(
        commands, "status", "show migrations, history sizes and waiting work", DESCRIPTION, run
    )
    parser.add_argument(
        "--exact", action="store_true", help="count every table exactly, however large"
    )
    parser.add_argument(
        "--json", action="store_true", help="print it as one JSON object (for monitoring)"
    )


def run(args: argparse.Namespace) -> int:
    status = collect(args.database_url, exact=args.exact)
    print(json.dumps(as_json(status), indent=2) if args.json else render(status))
    return 0


def collect(url: str | None, *, exact: bool = False) -> Status:
    """Read the status of a database (read only)."""
    with connect(url) as conn:
        server, now = fetch_one(conn, SERVER)
        history = [_table_rows(conn, name, exact) for name in HISTORY]
        waiting = [
            (status, _waiting(conn, name, query)) for (name, status), query in WAITING.items()
        ]
    return Status(
        describe(database_url(url)),
        f"PostgreSQL {server}",
        now,
        migration_status(url),
        history,
        waiting,
    )


def _table_rows(conn: psycopg.Connection[Any], name: str, exact: bool) -> TableRows:
    found = fetch_optional(conn, TABLE_SIZE, (f"attune.{name}",))
    if found is None:
        return TableRows(name, None)
    size_bytes, size, estimate = found
    estimated = not exact and estimate > EXACT_UP_TO
    query = sql.SQL(OLDEST if estimated else COUNT_AND_OLDEST).format(
        sql.Identifier("attune", name)
    )
    rows, oldest = fetch_one(conn, query)
    return TableRows(name, estimate if estimated else rows, estimated, size, size_bytes, oldest)


def _waiting(conn: psycopg.Connection[Any], name: str, query: str) -> TableRows:
    if fetch_optional(conn, TABLE_SIZE, (f"attune.{name}",)) is None:
        return TableRows(name, None)
    rows, oldest = fetch_one(conn, query)
    return TableRows(name, rows, oldest=oldest)


def as_json(status: Status) -> dict[str, Any]:
    """The status as JSON values: times in ISO 8601, sizes in bytes, a table that does
    not exist as rows null."""

    def rows(table: TableRows) -> dict[str, Any]:
        oldest = table.oldest.isoformat() if table.oldest else None
        return {"rows": table.rows, "estimated": table.estimated, "oldest": oldest}

    return {
        "database": status.database,
        "server": status.server,
        "now": status.now.isoformat(),
        "migrations": {"applied": status.migrations.applied, "pending": status.migrations.pending},
        "history": {t.name: {**rows(t), "size_bytes": t.size_bytes} for t in status.history},
        "waiting": {t.name: {"status": waited, **rows(t)} for waited, t in status.waiting},
    }


def render(status: Status) -> str:
    """The status as aligned text."""
    migrations = status.migrations
    lines = [
        table(
            ("database", status.database),
            [
                ("server", status.server),
                (
                    "migrations",
                    f"{len(migrations.applied)} applied, {len(migrations.pending)} pending",
                ),
            ],
        ),
        "",
        table(
            ("migration", "state"),
            [(id, "applied") for id in migrations.applied]
            + [(id, "pending") for id in migrations.pending],
        ),
        "",
        table(
            ("history", "rows", "size", "oldest (UTC)"),
            [
                (t.name, _count(t), t.size or "-", _when(t.oldest, status.now))
                for t in status.history
            ],
            right=(1, 2),
        ),
        "",
        table(
            ("waiting", "status", "rows", "oldest (UTC)"),
            [
                (t.name, waited, _count(t), _when(t.oldest, status.now))
                for waited, t in status.waiting
            ],
            right=(2,),
        ),
    ]
    return "\n".join(lines)


def _count(rows: TableRows) -> str:
    if rows.rows is None:
        return "no table"
    return f"{'~' if rows.estimated else ''}{rows.rows:,}"


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} ({_age(now - moment)} ago)"


def _age(age: timedelta) -> str:
    """An age in its largest whole unit: 45 s, 12 min, 5 h, 3 d."""
    seconds = max(int(age.total_seconds()), 0)
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
