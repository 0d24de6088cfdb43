"""A PgBouncer in transaction pooling mode in front of the test run's server.

A pytest plugin (registered by `conftest.py`). pytest's controlling process starts ONE
PgBouncer for the whole run, after the run's database exists, and hands its port to
every xdist worker; it stops it, by pid, when the run ends. PgBouncer forwards every
database name to the same name on the test server (a `*` entry), so the run's database
and any isolated one are reachable through it.

Tests marked `pgbouncer` reach it through the `pgbouncer` fixture. Where PgBouncer is
not installed or does not start, those tests fail with one line saying why: they are
never skipped, and never pass without it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from port_for import select_random
from psycopg.conninfo import conninfo_to_dict, make_conninfo

_BOUNCER = pytest.StashKey["PgBouncer | str"]()
"""The running PgBouncer, or why there is none (on the controller)."""
_WORKER_KEY = "attune_pgbouncer"
"""workerinput: "port:<n>" or "error:<why>"."""

START_TIMEOUT = 15.0
POOL_SIZE = 5
"""Server connections per database: fewer than the clients of the concurrent tests, so
clients really do share server connections (as in production)."""

ONE_CONNECTION = "_one_connection"
"""The run's database under this name (suffix) goes through ONE server connection:
consecutive transactions of different clients then share a server session."""

CONFIG = """\
[databases]
{database}{one_connection} = {server} dbname={database} pool_size=1
* = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
logfile = {directory}/pgbouncer.log
pidfile =
"""


class PgBouncerUnavailable(Exception):
    """No PgBouncer for this run; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class PgBouncerUrls:
    """The same database two ways: through PgBouncer, and straight to the server."""

    pooled: str
    """Through PgBouncer (transaction pooling): `Database(pooled, prepare_threshold=None)`."""
    direct: str
    """Straight to PostgreSQL: for what PgBouncer cannot carry (LISTEN) and for checks."""
    one_connection: str | None = None
    """The run's database through PgBouncer on a single server connection, which every
    client's transactions take in turn: what one client leaves in the session, the
    next one meets (for tests of session state leaking between clients)."""


@dataclass(frozen=True, slots=True)
class PgBouncerPort:
    """Where this run's PgBouncer listens; turns a direct URL into one through it."""

    port: int

    def through(self, direct_url: str) -> str:
        """`direct_url` (any database of the test server) through PgBouncer."""
        return make_conninfo(direct_url, host="127.0.0.1", port=str(self.port))

    def urls(self, direct_url: str) -> PgBouncerUrls:
        """Any database of the test server through PgBouncer, and direct."""
        return PgBouncerUrls(pooled=self.through(direct_url), direct=direct_url)

    def run_urls(self, run_url: str) -> PgBouncerUrls:
        """The run's database: through PgBouncer, direct, and on one server connection."""
        single = f"{conninfo_to_dict(run_url)['dbname']}{ONE_CONNECTION}"
        pooled = self.through(run_url)
        return PgBouncerUrls(pooled, run_url, make_conninfo(pooled, dbname=single))


def find_pgbouncer() -> str | None:
    """The pgbouncer binary (Debian installs it in /usr/sbin, often not on PATH)."""
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/usr/bin")


class PgBouncer:
    """One PgBouncer process with its configuration in a temporary directory."""

    def __init__(self, server_url: str) -> None:
        binary = find_pgbouncer()
        if binary is None:
            raise PgBouncerUnavailable(
                "PgBouncer is not installed: `make test` installs it as root with apt-get "
                "(`apt-get install pgbouncer`); the tests marked pgbouncer need it"
            )
        self.directory = Path(tempfile.mkdtemp(prefix="attune-pgbouncer-"))
        self.port = select_random()
        self._write_config(server_url)
        # PgBouncer refuses to run as root: -u makes it switch to the postgres user.
        as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
        if as_user:
            shutil.chown(self.directory, user="postgres")
        self.process = subprocess.Popen(
            [binary, *as_user, str(self.directory / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait_until_ready(server_url)
        except BaseException:
            self.stop()
            raise

    def _write_config(self, server_url: str) -> None:
        params = conninfo_to_dict(server_url)
        server = {
            key: str(params[key]) for key in ("host", "port", "user", "password") if key in params
        }
        user = server.get("user") or pwd.getpwuid(os.geteuid()).pw_name
        (self.directory / "userlist.txt").write_text(f'"{user}" ""\n')
        (self.directory / "pgbouncer.ini").write_text(
            CONFIG.format(
                database=params["dbname"],
                one_connection=ONE_CONNECTION,
                server=" ".join(f"{key}={value}" for key, value in server.items()),
                port=self.port,
                directory=self.directory,
                pool_size=POOL_SIZE,
            )
        )

    def _wait_until_ready(self, server_url: str) -> None:
        url = PgBouncerPort(self.port).through(server_url)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise PgBouncerUnavailable(f"PgBouncer exited at start: {self.last_log_line()}")
            try:
                psycopg.connect(url, connect_timeout=2, prepare_threshold=None).close()
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    message = str(exc).strip().splitlines()[-1]
                    raise PgBouncerUnavailable(
                        f"PgBouncer did not answer on port {self.port}: {message}"
                    ) from exc
            time.sleep(0.1)

    def last_log_line(self) -> str:
        try:
            lines = (self.directory / "pgbouncer.log").read_text().strip().splitlines()
        except OSError:
            return "no log"
        return lines[-1] if lines else "empty log"

    def stop(self) -> None:
        """Stop our process (by its pid, nothing else) and remove its directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def _run_database_url(config: pytest.Config) -> str:
    """The URL conftest.py stashed for this run's database (its server is PgBouncer's)."""
    from tests.conftest import _URL  # the same module object pytest loaded

    return config.stash[_URL]


def _start(config: pytest.Config) -> PgBouncer | str:
    try:
        return PgBouncer(_run_database_url(config))
    except PgBouncerUnavailable as exc:
        return str(exc)
    except OSError as exc:
        return f"PgBouncer could not be started: {exc}"


@pytest.hookimpl(trylast=True)  # after conftest.py made the run's database
def pytest_configure(config: pytest.Config) -> None:
    if getattr(config, "workerinput", None) is None:  # the controller (or -n 0)
        config.stash[_BOUNCER] = _start(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist hook, on the controller: tell each worker where PgBouncer listens."""
    bouncer = node.config.stash[_BOUNCER]
    answer = f"port:{bouncer.port}" if isinstance(bouncer, PgBouncer) else f"error:{bouncer}"
    node.workerinput[_WORKER_KEY] = answer


@pytest.hookimpl(tryfirst=True)  # before conftest.py drops the run's database
def pytest_unconfigure(config: pytest.Config) -> None:
    bouncer = config.stash.get(_BOUNCER, None)
    if isinstance(bouncer, PgBouncer):
        bouncer.stop()


def pytest_report_header(config: pytest.Config) -> str:
    bouncer = config.stash.get(_BOUNCER, None)
    if isinstance(bouncer, PgBouncer):
        return f"pgbouncer: 127.0.0.1:{bouncer.port}, transaction pooling, {bouncer.directory}"
    return f"pgbouncer: none ({bouncer})"


def _where(config: pytest.Config) -> PgBouncerPort:
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:
        kind, _, value = worker_input[_WORKER_KEY].partition(":")
        if kind == "port":
            return PgBouncerPort(int(value))
        pytest.fail(value, pytrace=False)
    bouncer = config.stash[_BOUNCER]
    if isinstance(bouncer, str):
        pytest.fail(bouncer, pytrace=False)
    return PgBouncerPort(bouncer.port)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `pgbouncer` fails (one line) when there is none, fixture or not."""
    if item.get_closest_marker("pgbouncer") is not None:
        _where(item.config)


@pytest.fixture(scope="session")
def pgbouncer_port(pytestconfig: pytest.Config) -> PgBouncerPort:
    """This run's PgBouncer; fails the test with one line if there is none."""
    return _where(pytestconfig)


@pytest.fixture(scope="session")
def pgbouncer(pgbouncer_port: PgBouncerPort, database_url: str) -> PgBouncerUrls:
    """The run's database through PgBouncer (`pooled`), straight (`direct`), and through
    PgBouncer on one server connection (`one_connection`)."""
    return pgbouncer_port.run_urls(database_url)
