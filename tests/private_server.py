"""A throwaway PostgreSQL server of a test's own, for what must never happen to the
shared one (stopping and restarting it). Run as the `postgres` OS user when the tests
run as root (PostgreSQL refuses root), on a free port of the loopback interface,
with every step bounded in time; stopped and deleted afterwards, by its data
directory (pg_ctl signals only the postmaster that directory names)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from port_for import select_random

STEP_TIMEOUT = 60  # seconds any one step (initdb, start, stop) may take
OS_USER = "postgres"


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    path = found[0] if found else shutil.which(name)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return path


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", OS_USER, "--", *command] if os.geteuid() == 0 else command


@dataclass(frozen=True, slots=True)
class PrivateServer:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        command = [_bin("pg_ctl"), "-D", str(self.directory / "data"), "-w"]
        command += ["-t", str(STEP_TIMEOUT), *args]
        subprocess.run(
            _as_server_user(command), check=True, capture_output=True, timeout=STEP_TIMEOUT + 5
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.directory / "log"), "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")


@contextmanager
def private_server() -> Iterator[PrivateServer]:
    directory = Path(tempfile.mkdtemp(prefix="attune-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam(OS_USER)
        os.chown(directory, user.pw_uid, user.pw_gid)
    server = PrivateServer(directory, select_random())
    try:
        initdb = [_bin("initdb"), "-D", str(directory / "data"), "-U", "postgres"]
        subprocess.run(
            _as_server_user([*initdb, "-A", "trust", "--no-sync", "--no-instructions"]),
            check=True,
            capture_output=True,
            timeout=STEP_TIMEOUT,
        )
        server.start()
        yield server
    finally:
        if (directory / "data" / "postmaster.pid").exists():
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)
