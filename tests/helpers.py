"""What the repository tests share: an id no row has, refusals in a savepoint, the
transaction's clock, moving rows in time, and picking a test's own rows out of a list.

Whole-table reads that must agree with each other use the `snapshot` fixture of
`conftest.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar, cast

import pytest
from psycopg import sql

from attune_common.errors import AttuneError
from tests.builders import Conn

MISSING_ID = 2**63 - 1
"""The largest BIGINT: no sequence in a test run gets there."""

E = TypeVar("E", bound=AttuneError)


class Row(Protocol):
    """A row with an id."""

    @property
    def id(self) -> int: ...


class Occurrence(Row, Protocol):
    """A row with an id and a creation time: history, listed newest first."""

    @property
    def created(self) -> datetime: ...


def refused(conn: Conn, error: type[E], call: Callable[[], object]) -> E:
    """Run `call` in a savepoint it must fail with `error`; the transaction stays
    usable, so the test can read back that nothing was written."""
    with pytest.raises(error) as caught, conn.transaction():
        call()
    return caught.value


def transaction_now(conn: Conn) -> datetime:
    """now() of the connection's transaction: what `created` defaults to in it."""
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return cast(datetime, row[0])


def ids(rows: Iterable[Row]) -> list[int]:
    return [row.id for row in rows]


def only(rows: Iterable[Row], made: Iterable[Row]) -> list[int]:
    """The ids of `rows` that are among `made`, in the order `rows` has them."""
    wanted = set(ids(made))
    return [row.id for row in rows if row.id in wanted]


def newest_first(rows: Iterable[Occurrence]) -> list[int]:
    """The ids of `rows` in the order of history lists: created DESC, then id DESC."""
    ordered = sorted(rows, key=lambda row: (row.created, row.id), reverse=True)
    return ids(ordered)


def set_created(conn: Conn, table: str, row_ids: list[int], created: datetime) -> None:
    """Give rows of `attune.<table>` another creation time."""
    conn.execute(
        sql.SQL("UPDATE {} SET created = %s WHERE id = ANY(%s)").format(
            sql.Identifier("attune", table)
        ),
        (created, row_ids),
    )


def shift_created(conn: Conn, table: str, row_ids: list[int], by: timedelta) -> None:
    """Move rows of `attune.<table>` in time: a century ahead makes them newer than any
    row another session commits, so a page of the shared list is exactly these rows."""
    conn.execute(
        sql.SQL("UPDATE {} SET created = created + %s WHERE id = ANY(%s)").format(
            sql.Identifier("attune", table)
        ),
        (by, row_ids),
    )
