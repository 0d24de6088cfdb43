"""What every repository does, written once (see `attune_common.repositories`)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any
from typing import Generic
from typing import cast

from psycopg import AsyncConnection
from psycopg.rows import AsyncRowFactory

from ..errors import NotFound
from ..errors import translated
from ..queries import C
from ..queries import M
from ..queries import Names
from ..queries import R
from ..queries import U
from ..queries import checked_connection
from ..statements import DEFAULT_LIMIT
from ..statements import Params
from ..statements import Statement
from ..statements import Table
from ..statements import plain


def _rows(statement: Statement[R]) -> AsyncRowFactory[R]:
    """The statement's row factory. Ours take any cursor; psycopg types the factories
    of async cursors apart from those of sync ones."""
    return cast("AsyncRowFactory[R]", statement.rows)


class AsyncBaseRepository(Generic[M, C]):
    """Create, read and delete over one table. `M` is the model, `C` its create input."""

    table: Table[M]

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self.conn = checked_connection(self, conn, AsyncConnection)

    # -- running statements ------------------------------------------------------------

    async def _one(self, statement: Statement[R], params: Params = ()) -> R | None:
        """The first row of a statement, or None."""
        with translated():
            async with self.conn.cursor(row_factory=_rows(statement)) as cursor:
                await cursor.execute(statement.query, plain(params))
                return await cursor.fetchone()

    async def _all(self, statement: Statement[R], params: Params = ()) -> builtins.list[R]:
        """Every row of a statement."""
        with translated():
            async with self.conn.cursor(row_factory=_rows(statement)) as cursor:
                await cursor.execute(statement.query, plain(params))
                return await cursor.fetchall()

    async def _count(self, statement: Statement[Any], params: Params = ()) -> int:
        """How many rows a statement touched."""
        with translated():
            async with self.conn.cursor(row_factory=_rows(statement)) as cursor:
                await cursor.execute(statement.query, plain(params))
                return cursor.rowcount

    def _not_found(self, key: Any) -> NotFound:
        return NotFound(self.table.entity, self.table.key, key)

    async def _find_by(self, column: str, value: Any) -> M | None:
        """The row whose unique `column` equals `value`, or None."""
        return await self._one(self.table.by_column(column), (value,))

    async def _get_by(self, column: str, value: Any) -> M:
        """The row whose unique `column` equals `value`, or NotFound."""
        found = await self._find_by(column, value)
        if found is None:
            raise NotFound(self.table.entity, column, value)
        return found

    # -- the operations every repository has -------------------------------------------

    async def find_by_id(self, id: int) -> M | None:
        return await self._one(self.table.by_key, (id,))

    async def get_by_id(self, id: int) -> M:
        found = await self.find_by_id(id)
        if found is None:
            raise self._not_found(id)
        return found

    async def list(self, limit: int = DEFAULT_LIMIT, offset: int = 0) -> builtins.list[M]:
        """A page of rows in the table's list order (see SPEC §3)."""
        return await self._all(self.table.list, (limit, offset))

    async def count(self) -> int:
        """How many rows the table holds."""
        row = await self._one(self.table.count)
        assert row is not None
        return int(row[0])

    async def create(self, data: C) -> M:
        columns, values = self.table.values(data)
        created = await self._one(self.table.insert(columns), values)
        assert created is not None  # INSERT ... RETURNING always returns the row
        return created

    async def delete(self, id: int) -> bool:
        """Delete a row; True if it existed."""
        return await self._count(self.table.delete, (id,)) > 0


class AsyncRepository(AsyncBaseRepository[M, C], Generic[M, C, U]):
    """CRUD over one table; `U` is the update input."""

    async def update(self, id: int, data: U) -> M:
        """Change the fields of `data` that are not None (CLEAR sets NULL); an empty
        update changes nothing and returns the row."""
        return await self._update(id, *self.table.changes(data))

    async def _update(
        self, id: int, columns: Names, values: Sequence[Any], stamped: Names = ()
    ) -> M:
        """Set `columns` to `values` and the `stamped` columns to now()."""
        if not columns and not stamped:
            return await self.get_by_id(id)
        updated = await self._one(self.table.update(columns, stamped), [*values, id])
        if updated is None:
            raise self._not_found(id)
        return updated


class AsyncRefRepository(AsyncRepository[M, C, U]):
    """A repository of definitions, which have a unique `ref`."""

    async def find_by_ref(self, ref: str) -> M | None:
        return await self._find_by("ref", ref)

    async def get_by_ref(self, ref: str) -> M:
        return await self._get_by("ref", ref)
