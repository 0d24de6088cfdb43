"""`attune-db`, run for real: the command in a subprocess against a test database.

`status`, `purge` and `rollback` read or change whole tables, so they run against an
isolated database of the test's own (`isolated_database_url`), never the shared one.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import socket
import struct
import subprocess
import sys
import termios
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from attune_common.cli.durations import parse_duration
from attune_common.repositories import CreateEventInput, EventRepository
from tests.builders import (
    EnforcementFixture,
    EventFixture,
    ExecutionFixture,
    NotificationFixture,
    unique_ref,
)
from tests.helpers import set_created

COMMANDS = ("migrate", "status", "rollback", "purge")
MIGRATIONS = sorted(
    path.name.removesuffix(".sql")
    for path in (Path(__file__).resolve().parent.parent / "migrations").glob("*.sql")
    if not path.name.endswith(".rollback.sql")
)
NEWEST, BEFORE_NEWEST = MIGRATIONS[-1], MIGRATIONS[-2]
LONG_AGO = datetime.now(UTC) - timedelta(days=40)  # older than the tests' --older-than 30d


def attune_db(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m attune_common ARGS` (what the console script runs), no terminal."""
    return subprocess.run(
        [sys.executable, "-m", "attune_common", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=120,
        check=False,
    )


def assert_failed_in_one_line(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr


def table_row(output: str, *cells: str) -> bool:
    """Whether a line of `output` holds exactly these cells, in order (any spacing)."""
    return any(line.split()[: len(cells)] == list(cells) for line in output.splitlines())


def count_rows(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM attune.{table}").fetchone()  # noqa: S608
    assert row is not None
    return int(row[0])


def old_events(conn: psycopg.Connection[Any], count: int) -> list[int]:
    ids = [EventFixture.unique().create(conn).id for _ in range(count)]
    set_created(conn, "event", ids, LONG_AGO)
    return ids


def answer_on_a_terminal(answer: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `attune-db ARGS` with a terminal as its input, on which `answer` is typed."""
    terminal, child = pty.openpty()
    try:
        os.write(terminal, answer)
        return subprocess.run(
            [sys.executable, "-m", "attune_common", *args],
            stdin=child,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(child)
        os.close(terminal)


def free_port() -> int:
    """A loopback port where nothing listens (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_console_script_lists_every_command() -> None:
    script = Path(sys.executable).with_name("attune-db")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s+\S", result.stdout, re.MULTILINE), command


def test_no_command_prints_the_help() -> None:
    result = attune_db()
    assert result.returncode == 0
    assert "usage: attune-db" in result.stdout and "purge" in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_command(command: str) -> None:
    result = attune_db(command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: attune-db {command}")
    assert "--database-url" in result.stdout


def test_status_shows_migrations_counts_and_waiting_work(isolated_database_url: str) -> None:
    with psycopg.connect(isolated_database_url) as conn:
        old_events(conn, 2)
        EventFixture.unique().create(conn)
        for _ in range(2):
            EnforcementFixture.unique().create(conn)  # status `created`: waiting
        ExecutionFixture.unique().create(conn)  # status `requested`: waiting
    environment = {**os.environ, "ATTUNE_DATABASE_URL": isolated_database_url}
    result = attune_db("status", env=environment)  # the URL comes from the environment
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "PostgreSQL" in out
    assert table_row(out, "migrations", str(len(MIGRATIONS)), "applied,", "0", "pending")
    assert table_row(out, NEWEST, "applied")
    assert table_row(out, "event", "3")
    assert table_row(out, "enforcement", "2")
    assert table_row(out, "artifact", "0")
    assert re.search(r"^event .* \(40 d ago\)$", out, re.MULTILINE), out
    assert table_row(out, "enforcement", "created", "2")
    assert table_row(out, "execution", "requested", "1")

    as_json = attune_db("status", "--json", "--database-url", isolated_database_url)
    assert as_json.returncode == 0, as_json.stderr
    status = json.loads(as_json.stdout)
    assert status["migrations"]["pending"] == []
    assert status["history"]["event"]["rows"] == 3
    assert status["history"]["event"]["size_bytes"] > 0
    waiting = status["waiting"]["enforcement"]
    assert (waiting["status"], waiting["rows"], waiting["estimated"]) == ("created", 2, False)
    assert datetime.fromisoformat(status["waiting"]["execution"]["oldest"]) > LONG_AGO


def test_purge_dry_run_counts_and_deletes_nothing(isolated_database_url: str) -> None:
    with psycopg.connect(isolated_database_url) as conn:
        old_events(conn, 3)
        EventFixture.unique().create(conn)
    result = attune_db(
        "purge", "--older-than", "30d", "--dry-run", "--database-url", isolated_database_url
    )
    assert result.returncode == 0, result.stderr
    assert table_row(result.stdout, "event", "3")
    assert "total: 3 row(s) would be deleted" in result.stdout
    assert count_rows(isolated_database_url, "event") == 4


def test_purge_deletes_only_old_rows_of_the_tables_named(isolated_database_url: str) -> None:
    with psycopg.connect(isolated_database_url) as conn:
        old_events(conn, 5)
        new = EventFixture.unique().create(conn)
        notification = NotificationFixture.unique().create(conn)
        set_created(conn, "notification", [notification.id], LONG_AGO)
    url = ("--database-url", isolated_database_url)
    only_events = attune_db(
        "purge", "--older-than", "4w", "--table", "event", "--batch-size", "2", *url
    )
    assert only_events.returncode == 0, only_events.stderr
    assert only_events.stderr == ""  # no progress when not on a terminal
    assert table_row(only_events.stdout, "event", "5")
    assert "total: 5 row(s) deleted" in only_events.stdout
    with psycopg.connect(isolated_database_url) as conn:
        remaining = EventRepository(conn).list()
        assert [event.id for event in remaining] == [new.id]
    assert count_rows(isolated_database_url, "notification") == 1
    everything = attune_db("purge", "--older-than", "30d", *url)
    assert everything.returncode == 0, everything.stderr
    assert table_row(everything.stdout, "notification", "1")
    assert count_rows(isolated_database_url, "notification") == 0
    assert count_rows(isolated_database_url, "event") == 1


def test_purge_shows_progress_on_a_terminal(isolated_database_url: str) -> None:
    with psycopg.connect(isolated_database_url) as conn:
        old_events(conn, 4)
    terminal, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    args = ("--older-than", "30d", "--table", "event", "--batch-size", "2")
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "attune_common",
            "purge",
            *args,
            "--database-url",
            isolated_database_url,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=child,
    ) as process:
        os.close(child)
        shown = b""
        while chunk := _read(terminal):
            shown += chunk
        assert process.wait(timeout=120) == 0
    os.close(terminal)
    assert b"event: 100%" in shown and b"4/4" in shown and b"rows/s" in shown, shown


def _read(terminal: int) -> bytes:
    try:
        return os.read(terminal, 4096)
    except OSError:  # the child closed the terminal (EIO on Linux)
        return b""


def test_purge_stops_after_the_current_batch_on_ctrl_c(isolated_database_url: str) -> None:
    with psycopg.connect(isolated_database_url) as conn:
        rows = EventRepository(conn).create_many(
            [CreateEventInput(trigger_ref=unique_ref("trigger")) for _ in range(2000)]
        )
        set_created(conn, "event", [row.id for row in rows], LONG_AGO)
    command = [sys.executable, "-m", "attune_common", "purge", "--verbose", "--older-than", "30d"]
    options = ["--table", "event", "--batch-size", "1", "--database-url", isolated_database_url]
    with subprocess.Popen(
        [*command, *options],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        assert "deleted a batch" in process.stderr.readline()  # it is under way
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    deleted = int(re.findall(r"total: ([\d,]+) row", out)[0].replace(",", ""))
    remaining = count_rows(isolated_database_url, "event")
    assert remaining > 0
    assert deleted + remaining == 2000  # what it says it deleted is what went


def test_rollback_undoes_the_newest_migration_then_all(isolated_database_url: str) -> None:
    url = ("--database-url", isolated_database_url)
    unconfirmed = attune_db("rollback", *url)  # no terminal to ask on, no --yes
    assert "--yes" in assert_failed_in_one_line(unconfirmed)
    declined = answer_on_a_terminal(b"n\n", "rollback", *url)
    assert "proceed? [y/N]" in declined.stdout
    assert "cancelled" in assert_failed_in_one_line(declined)
    assert table_row(attune_db("status", *url).stdout, NEWEST, "applied")

    newest = attune_db("rollback", "--yes", *url)
    assert newest.returncode == 0, newest.stderr
    assert f"rolled back 1 migration(s): {NEWEST}" in newest.stdout
    status = attune_db("status", *url).stdout
    assert table_row(status, BEFORE_NEWEST, "applied")
    assert table_row(status, NEWEST, "pending")

    everything = attune_db("rollback", "--all", "--yes", *url)
    assert everything.returncode == 0, everything.stderr
    rest = len(MIGRATIONS) - 1
    assert f"rolled back {rest} migration(s): {BEFORE_NEWEST}, " in everything.stdout
    status = attune_db("status", *url).stdout
    assert table_row(status, "migrations", "0", "applied,", str(len(MIGRATIONS)), "pending")
    assert table_row(status, "event", "no", "table")
    no_schema = attune_db("purge", "--older-than", "30d", *url)
    assert "purging inquiry failed" in assert_failed_in_one_line(no_schema)


@pytest.mark.parametrize(
    "args",
    [["status"], ["migrate"], ["rollback", "--yes"], ["purge", "--older-than", "30d"]],
    ids=lambda args: args[0],
)
def test_unreachable_server_fails_in_one_line(args: list[str]) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/attune"
    before_the_command = args[0] == "status"  # the options go on either side of its name
    where = ["--database-url", url, *args] if before_the_command else [*args, "--database-url", url]
    result = attune_db(*where)
    message = assert_failed_in_one_line(result)
    assert "Connection refused" in message


def test_missing_database_fails_in_one_line(database_url: str) -> None:
    missing = psycopg.conninfo.make_conninfo(database_url, dbname=f"{unique_ref('db')}_missing")
    result = attune_db("status", "--database-url", missing)
    assert "does not exist" in assert_failed_in_one_line(result)


def test_bad_duration_is_refused() -> None:
    result = attune_db("purge", "--older-than", "3x")
    assert "invalid duration '3x'" in assert_failed_in_one_line(result, code=2)


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 7D ", timedelta(days=7)),
    ],
)
def test_durations(text: str, duration: timedelta) -> None:
    assert parse_duration(text) == duration


@pytest.mark.parametrize(
    "text", ["3x", "30", "d", "", "0d", "5 days", "-5d", "1.5h", "9" * 12 + "w"]
)
def test_durations_refused(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_unknown_table_is_refused() -> None:
    result = attune_db("purge", "--older-than", "30d", "--table", "pack")
    assert "invalid choice: 'pack'" in assert_failed_in_one_line(result, code=2)
