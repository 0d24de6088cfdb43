# WARNING: generated from base_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
"""What every repository does, written once (see `attune_common.repositories`)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any
from typing import Generic

from psycopg import Connection
from psycopg.rows import RowFactory

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


def _rows(statement: Statement[R]) -> RowFactory[R]:
    """The statement's row factory. Ours take any cursor; psycopg types the factories
    of async cursors apart from those of sync ones."""
    return statement.rows


class BaseRepository(Generic[M, C]):
    """Create, read and delete over one table. `M` is the model, `C` its create input."""

    table: Table[M]

    def __init__(self, conn: Connection[Any]) -> None:
        self.conn = checked_connection(self, conn, Connection)

    # -- running statements ------------------------------------------------------------

    def _one(self, statement: Statement[R], params: Params = ()) -> R | None:
        """The first row of a statement, or None."""
        with translated(), self.conn.cursor(row_factory=_rows(statement)) as cursor:
            cursor.execute(statement.query, plain(params))
            return cursor.fetchone()

    def _all(self, statement: Statement[R], params: Params = ()) -> builtins.list[R]:
        """Every row of a statement."""
        with translated(), self.conn.cursor(row_factory=_rows(statement)) as cursor:
            cursor.execute(statement.query, plain(params))
            return cursor.fetchall()

    def _count(self, statement: Statement[Any], params: Params = ()) -> int:
        """How many rows a statement touched."""
        with translated(), self.conn.cursor(row_factory=_rows(statement)) as cursor:
            cursor.execute(statement.query, plain(params))
            return cursor.rowcount

    def _not_found(self, key: Any) -> NotFound:
        return NotFound(self.table.entity, self.table.key, key)

    def _find_by(self, column: str, value: Any) -> M | None:
        """The row whose unique `column` equals `value`, or None."""
        return self._one(self.table.by_column(column), (value,))

    def _get_by(self, column: str, value: Any) -> M:
        """The row whose unique `column` equals `value`, or NotFound."""
        found = self._find_by(column, value)
        if found is None:
            raise NotFound(self.table.entity, column, value)
        return found

    # -- the operations every repository has -------------------------------------------

    def find_by_id(self, id: int) -> M | None:
        return self._one(self.table.by_key, (id,))

    def get_by_id(self, id: int) -> M:
        found = self.find_by_id(id)
        if found is None:
            raise self._not_found(id)
        return found

    def list(self, limit: int = DEFAULT_LIMIT, offset: int = 0) -> builtins.list[M]:
        """A page of rows in the table's list order (see SPEC §3)."""
        return self._all(self.table.list, (limit, offset))

    def count(self) -> int:
        """How many rows the table holds."""
        row = self._one(self.table.count)
        assert row is not None
        return int(row[0])

    def create(self, data: C) -> M:
        columns, values = self.table.values(data)
        created = self._one(self.table.insert(columns), values)
        assert created is not None  # INSERT ... RETURNING always returns the row
        return created

    def delete(self, id: int) -> bool:
        """Delete a row; True if it existed."""
        return self._count(self.table.delete, (id,)) > 0


class Repository(BaseRepository[M, C], Generic[M, C, U]):
    """CRUD over one table; `U` is the update input."""

    def update(self, id: int, data: U) -> M:
        """Change the fields of `data` that are not None (CLEAR sets NULL); an empty
        update changes nothing and returns the row."""
        return self._update(id, *self.table.changes(data))

    def _update(self, id: int, columns: Names, values: Sequence[Any], stamped: Names = ()) -> M:
        """Set `columns` to `values` and the `stamped` columns to now()."""
        if not columns and not stamped:
            return self.get_by_id(id)
        updated = self._one(self.table.update(columns, stamped), [*values, id])
        if updated is None:
            raise self._not_found(id)
        return updated


class RefRepository(Repository[M, C, U]):
    """A repository of definitions, which have a unique `ref`."""

    def find_by_ref(self, ref: str) -> M | None:
        return self._find_by("ref", ref)

    def get_by_ref(self, ref: str) -> M:
        return self._get_by("ref", ref)
