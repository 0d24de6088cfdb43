"""The private server of the fault tests: one per test process (xdist worker), made
only when a test asks for it, always stopped at the end of the session."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.faults.server import PrivateServer


@pytest.fixture(scope="session")
def private_server(database_url: str) -> Iterator[PrivateServer]:
    with psycopg.connect(database_url) as conn:
        major = conn.info.server_version // 10000  # the run's server's version
    with PrivateServer(major) as server:
        yield server
