"""A throwaway PostgreSQL server of a test's own, for what must never happen to the
shared one (stopping and restarting it): an `attune_common.devserver.DevServer`
(a free loopback port, run by an unprivileged OS user when the tests run as root,
every step bounded in time), of the run's PostgreSQL version where its binaries are at
hand; `shutdown()` and `start()` take it down and back, and it is deleted afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from attune_common.devserver import DevServer, find_binaries

STEP_TIMEOUT = 60.0  # seconds any one step (initdb, start, stop) may take

PrivateServer = DevServer


@contextmanager
def private_server(like: str | None = None) -> Iterator[PrivateServer]:
    """A server with an empty `postgres` database as its URL's; with `like` (the URL of
    the run's database), of that server's major version where possible."""
    major = None
    if like is not None:
        with psycopg.connect(like) as conn:
            major = conn.info.server_version // 10000
    with DevServer(find_binaries(major=major), dbname="postgres", timeout=STEP_TIMEOUT) as server:
        yield server
