"""What the history repositories share that runs no statement: the checks of claims
and pages, and the rows a bulk COPY writes.

History (events, enforcements, executions, inquiries, notifications) grows without
bound, so it is written in bulk (`create_many`: one COPY, atomic, rows in input
order), read page by page (`list_page`: keyset pages, newest first) and purged by
age (`delete_older_than`: bounded batches that skip locked rows).

Claims (`claim_created`, `claim_requested`) move the oldest waiting rows to their
next status with FOR UPDATE SKIP LOCKED: exactly once across replicas, concurrent
callers never receive the same row and never wait for each other. The claim runs in
a savepoint of the caller's transaction: if its rows cannot be read back, it is
undone, and if the caller dies or rolls back before committing, the rows are
claimable again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any, Protocol, TypeVar

from ..errors import ValidationError
from ..paging import Page, check_page_size, decode_cursor, encode_cursor
from ..statements import Table, json_param, plain_value


class Occurrence(Protocol):
    """What history rows share: an id and a creation time, their position in time."""

    @property
    def id(self) -> int: ...

    @property
    def created(self) -> datetime: ...


H = TypeVar("H", bound=Occurrence)  # a history row


def check_claim(limit: Any, refs: Any, refs_name: str) -> list[str] | None:
    """The refs a claim is limited to (None: all), after checking the claim's arguments:
    `limit` an int of at least 1, `refs` None or a sequence of str (a lone str would be
    read as its letters, so it is refused)."""
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise TypeError(f"limit must be an int, not {type(limit).__name__}")
    if limit < 1:
        raise ValidationError(f"limit must be at least 1, not {limit}", column="limit")
    if refs is None:
        return None
    if isinstance(refs, str | bytes) or not isinstance(refs, Sequence):
        raise TypeError(f"{refs_name} must be a list of str, not {type(refs).__name__}")
    wanted = list(refs)
    strays = [type(ref).__name__ for ref in wanted if not isinstance(ref, str)]
    if strays:
        raise TypeError(f"{refs_name} must hold only str, not {', '.join(strays)}")
    return wanted


def oldest_first(rows: list[H]) -> list[H]:
    """Claimed rows in the order they were waiting (RETURNING keeps no order)."""
    return sorted(rows, key=lambda row: (row.created, row.id))


def check_inputs(inputs: Sequence[Any], expected: type[Any]) -> bool:
    """Whether a bulk insert has rows to write, after refusing with a TypeError any
    element that is not the repository's create input.

    `create_many` is all or nothing: it runs in a savepoint of the caller's
    transaction (on an autocommit connection, in a transaction of its own), commits
    nothing, and a bad row fails the whole batch with the errors of `create`.
    """
    for position, data in enumerate(inputs):
        if not isinstance(data, expected):
            raise TypeError(
                f"create_many takes {expected.__name__} elements,"
                f" not {type(data).__name__} (at position {position})"
            )
    return len(inputs) > 0


def copy_rows(
    table: Table[Any], inputs: Sequence[Any], ids: Sequence[int]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What a bulk insert writes (id, then the written columns, JSON serialized and
    enums as labels) and the values it was given (to build the returned rows from)."""
    columns = table.written_columns
    values_of = attrgetter(*columns)
    json_positions = [i for i, column in enumerate(columns) if column in table.json_columns]
    enum_positions = [i for i, column in enumerate(columns) if column in table.enum_columns]
    given = [values_of(data) for data in inputs]
    written = []
    for id, values in zip(ids, given, strict=True):
        stored = list(values)
        for position in json_positions:
            if stored[position] is not None:
                stored[position] = json_param(stored[position], columns[position])
        for position in enum_positions:
            stored[position] = plain_value(stored[position])
        written.append((id, *stored))
    return written, given


def stored_rows(
    table: Table[H], given: list[tuple[Any, ...]], ids: Sequence[int], now: datetime
) -> list[H]:
    """The rows a bulk insert stored: its ids, the values given, created = updated = now."""
    make = table.make_row
    return [make((id, *values, now, now)) for id, values in zip(ids, given, strict=True)]


def page_query(
    entity: str,
    page_filters: tuple[str, ...],
    after: str | None,
    limit: int,
    filters: dict[str, Any],
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The conditions (for `Table.page`) and parameters of one keyset page."""
    check_page_size(limit)
    allowed = {*page_filters, "created_after", "created_before"}
    unknown = sorted(set(filters) - allowed)
    if unknown:
        raise ValidationError(f"{entity} pages filter on {sorted(allowed)}, not {unknown}")
    params: dict[str, Any] = {name: value for name, value in filters.items() if value is not None}
    conditions = sorted(params)
    if after is not None:
        params["after_created"], params["after_id"] = decode_cursor(after)
        conditions.append("after")
    params["limit"] = limit + 1  # one row more tells whether another page follows
    return tuple(conditions), params


def page_of(rows: list[H], limit: int) -> Page[H]:
    """The page `rows` (up to limit + 1 of them) make, with the cursor of the next."""
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], encode_cursor(last.created, last.id))


def check_batch_size(batch_size: int) -> None:
    """Refuse a retention batch size below 1.

    `delete_older_than` deletes the rows created before a cutoff, oldest first, in
    batches of at most `batch_size`. Each batch is one short statement that skips rows
    other transactions hold locked, so live work is never blocked. On an autocommit
    connection every batch commits on its own; inside a transaction the caller
    decides when to commit. Delete rules apply as usual.
    """
    if batch_size < 1:
        raise ValidationError(f"batch_size must be at least 1, not {batch_size}")
