"""What every history repository does besides CRUD: bulk inserts, keyset pages and
retention. History (events, enforcements, executions, inquiries, notifications) grows
without bound, so it is written in bulk, read page by page and purged by age.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any, ClassVar, Protocol, TypeVar

from ..errors import ValidationError, translated
from ..paging import Page, check_page_size, decode_cursor, encode_cursor
from ..statements import Statement, json_param, plain_value
from .base import C, Repository, U


class Occurrence(Protocol):
    """What history rows share: an id and a creation time, their position in time."""

    @property
    def id(self) -> int: ...

    @property
    def created(self) -> datetime: ...


H = TypeVar("H", bound=Occurrence)  # a history row


class OccurrenceRepository(Repository[H, C, U]):
    """A repository of history (events, enforcements, executions, inquiries,
    notifications): rows listed newest first, which grow without bound, so they are
    also written in bulk, paged by keyset and purged by age."""

    page_filters: ClassVar[tuple[str, ...]] = ()
    """The columns `list_page` filters on by equality, besides the created bounds."""

    def create_many(self, inputs: Sequence[C]) -> builtins.list[H]:
        """Store many rows in one COPY and return them, ids in input order.

        All or nothing: a bad row fails the whole batch with the same errors as
        `create`, and nothing is written. Nothing is committed either: the COPY runs in
        a savepoint of the caller's transaction (on an autocommit connection, in a
        transaction of its own, as every statement there is). The returned rows carry
        the database's ids and timestamps and the values given (JSON documents as the
        objects passed in).
        """
        if not inputs:
            return []
        with translated():
            if self.conn.autocommit:
                with self.conn.transaction():
                    return self._copy_many(inputs, *self._allocate_ids(len(inputs)))
            allocated = self._allocate_ids(len(inputs))  # opens the caller's transaction
            with self.conn.transaction():  # a savepoint: a bad row undoes only the batch
                return self._copy_many(inputs, *allocated)

    def _allocate_ids(self, count: int) -> tuple[datetime, builtins.list[int]]:
        """The transaction's now() (every row's created and updated) and `count` ids."""
        allocated = self._one(self.table.allocate_ids, (count,))
        assert allocated is not None
        return allocated[0], allocated[1]

    def _copy_many(
        self, inputs: Sequence[C], now: datetime, ids: builtins.list[int]
    ) -> builtins.list[H]:
        table = self.table
        columns = table.written_columns
        values_of = attrgetter(*columns)
        json_positions = [i for i, column in enumerate(columns) if column in table.json_columns]
        enum_positions = [i for i, column in enumerate(columns) if column in table.enum_columns]
        make = table.make_row
        given = [values_of(data) for data in inputs]
        with self.conn.cursor() as cursor, cursor.copy(table.copy_in) as copy:
            for id, values in zip(ids, given, strict=True):
                stored = list(values)
                for position in json_positions:
                    if stored[position] is not None:
                        stored[position] = json_param(stored[position], columns[position])
                for position in enum_positions:
                    stored[position] = plain_value(stored[position])
                copy.write_row((id, *stored))
        # Built once the database accepted every row, so its checks come first.
        return [make((id, *values, now, now)) for id, values in zip(ids, given, strict=True)]

    def list_page(self, after: str | None = None, limit: int = 100, **filters: Any) -> Page[H]:
        """One page of rows, newest first, strictly older than the `after` cursor.

        Filters: the repository's `page_filters` columns (equality) and
        `created_after` / `created_before` (exclusive bounds). Page N costs what page 1
        costs: the query reads one index range from the cursor on.
        """
        check_page_size(limit)
        allowed = {*self.page_filters, "created_after", "created_before"}
        unknown = sorted(set(filters) - allowed)
        if unknown:
            raise ValidationError(
                f"{self.table.entity} pages filter on {sorted(allowed)}, not {unknown}"
            )
        params: dict[str, Any] = {
            name: value for name, value in filters.items() if value is not None
        }
        conditions = sorted(params)
        if after is not None:
            params["after_created"], params["after_id"] = decode_cursor(after)
            conditions.append("after")
        params["limit"] = limit + 1  # one row more tells whether another page follows
        rows = self._all(self.table.page(tuple(conditions)), params)
        if len(rows) <= limit:
            return Page(rows, None)
        last = rows[limit - 1]
        return Page(rows[:limit], encode_cursor(last.created, last.id))

    def _claim(
        self,
        claim: Statement[H],
        claim_of_refs: Statement[H],
        limit: int,
        refs: Sequence[str] | None,
    ) -> builtins.list[H]:
        """Run a claim statement (`claim` takes the limit; `claim_of_refs` an array of
        refs, then the limit) and return the claimed rows oldest first (RETURNING keeps
        no order)."""
        if refs is None:
            claimed = self._all(claim, (limit,))
        else:
            claimed = self._all(claim_of_refs, (list(refs), limit))
        return sorted(claimed, key=lambda row: (row.created, row.id))

    def delete_older_than(self, cutoff: datetime, batch_size: int = 10_000) -> int:
        """Delete the rows created before `cutoff`, oldest first, in batches of at most
        `batch_size`; return how many were deleted.

        Each batch is one short statement that skips rows other transactions hold
        locked, so live work is never blocked. On an autocommit connection every batch
        commits on its own; inside a transaction the caller decides when to commit.
        Delete rules apply as usual (an enforcement of a deleted event keeps its data).
        """
        deleted = 0
        while True:
            count = self.delete_batch_older_than(cutoff, batch_size)
            deleted += count
            if count < batch_size:
                return deleted

    def delete_batch_older_than(self, cutoff: datetime, batch_size: int = 10_000) -> int:
        """One batch of `delete_older_than`: delete at most `batch_size` of the oldest
        rows created before `cutoff` (skipping locked ones); return how many.

        For callers that act between batches (a purge that reports progress or stops
        when asked); fewer than `batch_size` deleted means nothing older is left unlocked.
        """
        if batch_size < 1:
            raise ValidationError(f"batch_size must be at least 1, not {batch_size}")
        return self._count(self.table.delete_older, (cutoff, batch_size))
