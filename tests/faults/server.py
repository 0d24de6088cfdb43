"""A private PostgreSQL server for tests that restart or crash it.

The shared server of the test run is never stopped: a test that needs a server to go
away starts its own, from PostgreSQL's binaries, on a free loopback port, with its data
in a temporary directory. PostgreSQL refuses to run as root, so when the tests run as
root the server runs as the `postgres` OS user. Every step has a time limit, and
`stop()` ends the server by its pid whatever state it is in.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from psycopg.conninfo import make_conninfo

from attune_common import migrate

START_TIMEOUT = 30  # seconds, for initdb and for each start
STOP_TIMEOUT = 10
SERVER_USER = "postgres"  # who runs the server when the tests run as root

# A small throwaway server. fsync off costs no durability here: a crash of PostgreSQL
# (`restart("immediate")`) is not a crash of the operating system, which still holds
# every WAL page written before the crash, so every commit survives it.
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "30",
    "log_min_messages": "fatal",
}


class ServerError(Exception):
    """The private server could not be made, started or stopped in time."""


def binaries() -> str:
    """The bin folder of the newest installed PostgreSQL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if found:
        return os.path.dirname(found[0])
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        raise ServerError("no PostgreSQL binaries (pg_ctl, initdb) are installed")
    return os.path.dirname(pg_ctl)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PrivateServer:
    """One throwaway PostgreSQL server; `start()` it, `stop()` it (always)."""

    base: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="attune-faults-"))
    port: int = field(default_factory=free_port)
    bin: str = field(default_factory=binaries)
    dbname: str = "attune_faults"

    @property
    def data(self) -> str:
        return os.path.join(self.base, "data")

    @property
    def url(self) -> str:
        return make_conninfo(host="127.0.0.1", port=self.port, user="postgres", dbname=self.dbname)

    # -- running PostgreSQL's programs -----------------------------------------------

    def _run(self, program: str, *args: str, timeout: float) -> None:
        command = [os.path.join(self.bin, program), *args]
        try:
            subprocess.run(
                command,
                cwd=self.base,
                env={"PATH": os.environ.get("PATH", ""), "LANG": "C", "LC_ALL": "C"},
                capture_output=True,
                check=True,
                timeout=timeout,
                **_as_server_user(),
            )
        except subprocess.CalledProcessError as exc:
            output = (exc.stderr or exc.stdout or b"").decode(errors="replace").strip()
            raise ServerError(f"{program} {' '.join(args)} failed: {output}") from exc
        except subprocess.TimeoutExpired as exc:
            raise ServerError(f"{program} {' '.join(args)} took over {timeout}s") from exc

    def _options(self) -> str:
        settings = {**SETTINGS, "port": str(self.port), "unix_socket_directories": self.base}
        return " ".join(f"-c {name}={value}" for name, value in settings.items())

    def _pg_ctl(self, action: str, *args: str, timeout: float = START_TIMEOUT) -> None:
        self._run(
            "pg_ctl",
            action,
            "-D",
            self.data,
            "-w",
            "-t",
            str(int(timeout)),
            "-l",
            os.path.join(self.base, "server.log"),
            *args,
            timeout=timeout + 5,
        )

    # -- the server's life ----------------------------------------------------------

    def start(self) -> None:
        """Make the cluster, start it, create and migrate the database."""
        _give_to_server_user(self.base)
        self._run(
            "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            timeout=START_TIMEOUT,
        )
        self._pg_ctl("start", "-o", self._options())
        self._run(
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            self.dbname,
            timeout=START_TIMEOUT,
        )
        migrate(self.url)

    def restart(self, mode: str) -> None:
        """`pg_ctl restart -m <mode>`: `fast` ends every session cleanly, `immediate`
        is a crash (no checkpoint; the server recovers from its WAL on start)."""
        self._pg_ctl("restart", "-m", mode, "-o", self._options())

    def pid(self) -> int | None:
        """The postmaster's pid, from its pid file (None when it is not running)."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as pid_file:
                return int(pid_file.readline())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Stop the server (an immediate shutdown; SIGKILL by pid if it does not go) and
        remove its files."""
        try:
            pid = self.pid()
            if pid is not None:
                _end_process(pid)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def _as_server_user() -> dict[str, Any]:
    """subprocess arguments that run a program as the server's user when we are root."""
    if os.geteuid() != 0:
        return {}
    account = pwd.getpwnam(SERVER_USER)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _give_to_server_user(path: str) -> None:
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(path, account.pw_uid, account.pw_gid)


def process_running(pid: int) -> bool:
    """Whether a process runs (a zombie nobody reaped yet does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _end_process(pid: int) -> None:
    """SIGQUIT (PostgreSQL's immediate shutdown), then SIGKILL if it lingers."""
    for sig, grace in ((signal.SIGQUIT, STOP_TIMEOUT), (signal.SIGKILL, 2.0)):
        if not process_running(pid):
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not process_running(pid):
                return
            time.sleep(0.05)
    raise ServerError(f"the private server (pid {pid}) did not stop")
