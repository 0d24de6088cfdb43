"""History repositories: bulk, pages, retention, claims (see `queries.occurrence`)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any
from typing import ClassVar

import psycopg
from psycopg.pq import TransactionStatus

from ..errors import translated
from ..paging import Page
from ..queries import C
from ..queries import U
from ..queries.occurrence import H
from ..queries.occurrence import check_batch_size
from ..queries.occurrence import check_claim
from ..queries.occurrence import check_inputs
from ..queries.occurrence import copy_rows
from ..queries.occurrence import oldest_first
from ..queries.occurrence import page_of
from ..queries.occurrence import page_query
from ..queries.occurrence import stored_rows
from ..statements import Statement
from .base_async import AsyncRepository


class AsyncOccurrenceRepository(AsyncRepository[H, C, U]):
    """A repository of history: rows listed newest first, which grow without bound, so
    they are also written in bulk, paged by keyset and purged by age."""

    create_input: ClassVar[type[Any]]
    """The create input class: what `create_many` takes."""

    page_filters: ClassVar[tuple[str, ...]] = ()
    """The columns `list_page` filters on by equality, besides the created bounds."""

    async def create_many(self, inputs: Sequence[C]) -> builtins.list[H]:
        """Store many rows in one COPY, atomically; return them in input order."""
        if not check_inputs(inputs, self.create_input):
            return []
        with translated():
            if self.conn.autocommit:
                async with self.conn.transaction():
                    return await self._copy_many(inputs, *await self._allocate_ids(len(inputs)))
            allocated = await self._allocate_ids(len(inputs))  # opens the caller's transaction
            async with self.conn.transaction():  # a savepoint: a bad row undoes only the batch
                return await self._copy_many(inputs, *allocated)

    async def _allocate_ids(self, count: int) -> tuple[datetime, builtins.list[int]]:
        """The transaction's now() (every row's created and updated) and `count` ids."""
        allocated = await self._one(self.table.allocate_ids, (count,))
        assert allocated is not None
        return allocated[0], allocated[1]

    async def _copy_many(
        self, inputs: Sequence[C], now: datetime, ids: builtins.list[int]
    ) -> builtins.list[H]:
        written, given = copy_rows(self.table, inputs, ids)
        async with self.conn.cursor() as cursor, cursor.copy(self.table.copy_in) as copy:
            for row in written:
                await copy.write_row(row)
        # Built once the database accepted every row, so its checks come first.
        return stored_rows(self.table, given, ids, now)

    async def list_page(
        self, after: str | None = None, limit: int = 100, **filters: Any
    ) -> Page[H]:
        """One page of rows, newest first, strictly older than the `after` cursor.

        Filters: the repository's `page_filters` columns (equality) and
        `created_after` / `created_before` (exclusive bounds).
        """
        conditions, params = page_query(self.table.entity, self.page_filters, after, limit, filters)
        return page_of(await self._all(self.table.page(conditions), params), limit)

    async def _claim(
        self, claim: Statement[H], claim_of_refs: Statement[H], limit: int, refs: Any, name: str
    ) -> builtins.list[H]:
        """Run a claim statement (`claim` takes the limit; `claim_of_refs` an array of
        refs, then the limit) and return the rows oldest first. If they cannot be read,
        the claim is undone: by a savepoint inside the caller's open transaction, or by
        rolling back the transaction the claim itself began (it holds nothing else)."""
        wanted = check_claim(limit, refs, name)
        statement, params = (
            (claim, (limit,)) if wanted is None else (claim_of_refs, (wanted, limit))
        )
        if self.conn.autocommit or self.conn.info.transaction_status is not TransactionStatus.IDLE:
            with translated():
                async with self.conn.transaction():
                    return oldest_first(await self._all(statement, params))
        try:
            return oldest_first(await self._all(statement, params))
        except BaseException:
            with suppress(psycopg.Error):
                await self.conn.rollback()  # only the claim's own transaction
            raise

    async def delete_older_than(self, cutoff: datetime, batch_size: int = 10_000) -> int:
        """Delete the rows created before `cutoff` in batches; return how many."""
        deleted = 0
        while True:
            count = await self.delete_batch_older_than(cutoff, batch_size)
            deleted += count
            if count < batch_size:
                return deleted

    async def delete_batch_older_than(self, cutoff: datetime, batch_size: int = 10_000) -> int:
        """One batch of `delete_older_than` (for a purge that reports progress between
        batches); fewer than `batch_size` deleted means nothing older is left unlocked."""
        check_batch_size(batch_size)
        return await self._count(self.table.delete_older, (cutoff, batch_size))
