"""The private server of the fault tests: one per test process (xdist worker), made
only when a test asks for it, always stopped at the end of the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.server import PrivateServer


@pytest.fixture(scope="session")
def private_server() -> Iterator[PrivateServer]:
    server = PrivateServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
