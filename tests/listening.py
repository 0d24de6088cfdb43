"""What the notification tests share: picking a test's own notices out of a channel
that every test worker's writes notify."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import psycopg

from attune_common.notify import ChangeNotice, Resync
from tests.builders import unique_name

Conn = psycopg.Connection[Any]
WAIT = 5.0  # seconds a listener waits for a notice that should come
QUIET = 0.5  # seconds a listener waits to show that none comes


def first_match(
    notices: Iterable[ChangeNotice | Resync], wanted: Callable[[ChangeNotice], bool]
) -> ChangeNotice | None:
    return next((n for n in notices if isinstance(n, ChangeNotice) and wanted(n)), None)


def of_id(table: str, id: int, op: str) -> Callable[[ChangeNotice], bool]:
    return lambda n: (
        n.payload.get("id") == id and n.payload.get("op") == op and n.channel == f"attune_{table}"
    )


def mentions(ids: Iterable[int]) -> Callable[[ChangeNotice], bool]:
    """A notice about any of `ids`: a row's own, or a summary listing or spanning them."""
    wanted = set(ids)
    low, high = min(wanted), max(wanted)

    def check(n: ChangeNotice) -> bool:
        p = n.payload
        if "count" not in p:
            return p.get("id") in wanted
        if "ids" in p:
            return bool(wanted & set(p["ids"]))
        return bool(p["min_id"] <= high and low <= p["max_id"])

    return check


def until_marker(
    notices: Iterable[ChangeNotice | Resync], writer: Conn, channel: str
) -> list[ChangeNotice]:
    """The notices that arrive before a marker `writer` sends on `channel` now (and
    commits): notices arrive in commit order, so once the marker is in, everything
    committed before it is too, and no timeout has to run out."""
    marker = unique_name("marker")
    writer.execute("SELECT pg_notify(%s, %s)", (channel, marker))
    writer.commit()
    found: list[ChangeNotice] = []
    for notice in notices:
        if isinstance(notice, ChangeNotice):
            if notice.payload == {"raw": marker}:
                return found
            found.append(notice)
    raise AssertionError("the marker never arrived")
