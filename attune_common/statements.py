"""SQL statements, and the table descriptions the generic ones are built from.

A `Statement` is one SQL text plus the row factory for its result: what to send and
how to read the answer, nothing about how it is run. The repositories run them on a
psycopg connection; an asyncio twin can run the very same objects.

A `Table` describes one table of the `attune` schema (its model, JSON columns,
list order) and composes, once, the statements every repository shares: select by
key, list, delete, and the inserts and partial updates for a given set of columns.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Any, Final, Generic, LiteralString, TypeVar

from psycopg import sql
from psycopg.rows import RowFactory, TupleRow, tuple_row
from psycopg.types.json import Jsonb

from .errors import ValidationError
from .rows import enum_fields, field_names, model_rows, row_maker, row_reader

M = TypeVar("M")
R = TypeVar("R")

DEFAULT_LIMIT = 1000
"""How many rows a list returns unless told otherwise."""

NEWEST_FIRST: LiteralString = "created DESC, id DESC"
"""The order of occurrence lists: the newest first, ties broken by id."""


class Clear(Enum):
    """An update field set to `CLEAR` sets its column to NULL; `None` leaves it as it is."""

    CLEAR = "CLEAR"

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR: Final = Clear.CLEAR


@dataclass(frozen=True, slots=True)
class Statement(Generic[R]):
    """One SQL statement and the row factory that reads its result."""

    query: bytes
    rows: RowFactory[R]

    @property
    def text(self) -> str:
        return self.query.decode()


_INPUT_FIELDS: dict[type, tuple[str, ...]] = {}


def input_fields(data: Any) -> tuple[str, ...]:
    """The fields of an input dataclass instance: the columns it writes."""
    names = _INPUT_FIELDS.get(type(data))
    if names is None:
        names = _INPUT_FIELDS[type(data)] = tuple(f.name for f in dataclasses.fields(data))
    return names


Params = Sequence[Any] | dict[str, Any]


def plain_value(value: Any) -> Any:
    """An enum member as its SQL label; any other value as it is."""
    return value.value if isinstance(value, Enum) else value


def plain(params: Params) -> Params:
    """Parameters with enum members as their SQL labels, whatever enum adapters the
    caller's connection has registered (psycopg's dump a member by name). Parameters
    without an enum member, most of them, are returned as they are."""
    if isinstance(params, dict):
        if any(isinstance(value, Enum) for value in params.values()):
            return {name: plain_value(value) for name, value in params.items()}
        return params
    if any(isinstance(value, Enum) for value in params):
        return [plain_value(value) for value in params]
    return params


def contains_pattern(text: str) -> str:
    """An ILIKE pattern matching values that contain `text` literally (its own `%`, `_`
    and backslashes match only themselves)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _already_dumped(text: Any) -> str:
    return str(text)


MAX_JSON_DEPTH = 256
"""How deep a stored JSON value may nest (arrays and objects); the schema refuses more."""

_JSON = json.JSONEncoder(allow_nan=False)  # json.dumps() would build one per call


def json_param(value: Any, column: str = "value") -> Jsonb:
    """A JSONB parameter, serialized now so that a value JSON cannot hold (an object of
    another type, NaN) is refused with a ValidationError before anything is sent."""
    try:
        text = _JSON.encode(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{column} is not valid JSON: {exc}", column=column) from exc
    except RecursionError:
        raise ValidationError(
            f"{column} nests deeper than {MAX_JSON_DEPTH} levels", column=column
        ) from None
    return Jsonb(text, dumps=_already_dumped)


class Table(Generic[M]):
    """One table of the `attune` schema and the statements generic code runs on it."""

    def __init__(
        self,
        name: str,
        model: type[M],
        *,
        order_by: LiteralString,
        key: str = "id",
        json_columns: Iterable[str] = (),
    ) -> None:
        self.name = name
        self.model = model
        self.entity = model.__name__
        self.key = key
        self.columns = field_names(model)
        self.json_columns = frozenset(json_columns)
        unknown = self.json_columns.difference(self.columns)
        if unknown:
            raise ValueError(f"{name}: json_columns not in the model: {sorted(unknown)}")
        self.make_row = row_maker(model)  # from Python values (create_many's rows)
        self.rows: RowFactory[M] = model_rows(row_reader(model, name, self.json_columns))
        self._identifier = sql.Identifier("attune", name)
        self.enum_columns = frozenset(enum_fields(model))
        # Enums and JSON come back as text, so that no adapter of the caller's connection
        # changes them and rows.row_reader decodes JSON where it knows the row's id.
        as_text = self.enum_columns | self.json_columns
        self.select_list = sql.SQL(", ").join(
            sql.SQL("{0}::text AS {0}").format(sql.Identifier(column))
            if column in as_text
            else sql.Identifier(column)
            for column in self.columns
        )
        self.by_key = self.statement("SELECT {columns} FROM {table} WHERE {key} = %s")
        self.list = self.statement(
            "SELECT {columns} FROM {table} ORDER BY {order} LIMIT %s OFFSET %s",
            order=sql.SQL(order_by),
        )
        self.delete = self.command("DELETE FROM {table} WHERE {key} = %s")
        self.count = self.command("SELECT count(*) FROM {table}")
        self._variants: dict[tuple[str, ...], Statement[M]] = {}

    def _compose(self, template: LiteralString, **parts: sql.Composable) -> bytes:
        query = sql.SQL(template).format(
            columns=self.select_list,
            table=self._identifier,
            key=sql.Identifier(self.key),
            **parts,
        )
        return query.as_bytes(None)

    def statement(self, template: LiteralString, **parts: sql.Composable) -> Statement[M]:
        """A statement returning rows of this table.

        `template` is SQL with `{columns}` standing for this table's select list (in the
        model's field order), `{table}` for `attune.<name>` and `{key}` for its key;
        values are always `%s` / `%(name)s` parameters.
        """
        return Statement(self._compose(template, **parts), self.rows)

    def command(self, template: LiteralString, **parts: sql.Composable) -> Statement[TupleRow]:
        """A statement whose rows, if any, are plain tuples (counts, deletes, ids)."""
        return Statement(self._compose(template, **parts), tuple_row)

    def _variant(self, key: tuple[str, ...], compose: Callable[[], Statement[M]]) -> Statement[M]:
        """The statement for `key`, composed on its first use: callers use a few variants
        (the column sets of their inputs), each composed once."""
        statement = self._variants.get(key)
        if statement is None:
            statement = self._variants[key] = compose()
        return statement

    def by_column(self, column: str) -> Statement[M]:
        """SELECT of the rows whose `column` equals a parameter."""
        return self._variant(
            ("select", column),
            lambda: self.statement(
                "SELECT {columns} FROM {table} WHERE {column} = %s",
                column=sql.Identifier(column),
            ),
        )

    def insert(self, columns: tuple[str, ...]) -> Statement[M]:
        """INSERT of these columns, returning the stored row."""
        return self._variant(
            ("insert", *columns),
            lambda: self.statement(
                "INSERT INTO {table} ({names}) VALUES ({values}) RETURNING {columns}",
                names=sql.SQL(", ").join(map(sql.Identifier, columns)),
                values=sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            ),
        )

    def update(self, columns: tuple[str, ...], stamped: tuple[str, ...] = ()) -> Statement[M]:
        """UPDATE of these columns (and of the `stamped` ones to now()) of the row with a
        given key, returning the stored row."""

        def compose() -> Statement[M]:
            assignments = [sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columns]
            assignments += [sql.SQL("{} = now()").format(sql.Identifier(c)) for c in stamped]
            return self.statement(
                "UPDATE {table} SET {assignments} WHERE {key} = %s RETURNING {columns}",
                assignments=sql.SQL(", ").join(assignments),
            )

        return self._variant(("update", *columns, "now", *stamped), compose)

    def adapt(self, column: str, value: Any) -> Any:
        """The parameter that stores `value` in `column` (JSON columns take Jsonb)."""
        if value is not None and column in self.json_columns:
            return json_param(value, column)
        return value

    def values(self, data: Any) -> tuple[tuple[str, ...], list[Any]]:
        """The columns an input dataclass writes and their parameters, all fields included."""
        columns = input_fields(data)
        return columns, [self.adapt(column, getattr(data, column)) for column in columns]

    def changes(self, data: Any) -> tuple[tuple[str, ...], list[Any]]:
        """The columns an update input changes (its fields that are not None) and their
        parameters (NULL for a field set to CLEAR)."""
        changed = [
            (column, value)
            for column in input_fields(data)
            if (value := getattr(data, column)) is not None
        ]
        return (
            tuple(column for column, _ in changed),
            [None if value is CLEAR else self.adapt(column, value) for column, value in changed],
        )

    # -- history tables: bulk inserts, keyset pages, retention ------------------------

    @cached_property
    def written_columns(self) -> tuple[str, ...]:
        """The columns an insert writes: all but the generated id, created and updated."""
        return tuple(c for c in self.columns if c not in ("id", "created", "updated"))

    @cached_property
    def copy_in(self) -> bytes:
        """COPY of explicit ids and the written columns, for bulk inserts."""
        return self._compose(
            "COPY {table} (id, {names}) FROM STDIN",
            names=sql.SQL(", ").join(map(sql.Identifier, self.written_columns)),
        )

    @cached_property
    def allocate_ids(self) -> Statement[TupleRow]:
        """The transaction's now() and `%s` fresh ids from the table's sequence."""
        return self.command(
            "SELECT now(), array(SELECT nextval({sequence}) FROM generate_series(1, %s))",
            sequence=sql.Literal(f"attune.{self.name}_id_seq"),
        )

    def page(self, filters: tuple[str, ...]) -> Statement[M]:
        """One keyset page, newest first, under these filters.

        Filters are column names (equality, `%(column)s`) and the pseudo-filters
        `after` (`%(after_created)s`, `%(after_id)s`: strictly older than that row),
        `created_after` and `created_before` (exclusive bounds). The limit is `%(limit)s`.
        """

        def compose() -> Statement[M]:
            conditions = [_PAGE_CONDITIONS.get(name) or _equals(name) for name in filters]
            return self.statement(
                "SELECT {columns} FROM {table} WHERE {conditions}"
                " ORDER BY created DESC, id DESC LIMIT %(limit)s",
                conditions=sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("TRUE"),
            )

        return self._variant(("page", *filters), compose)

    @cached_property
    def delete_older(self) -> Statement[TupleRow]:
        """DELETE of the oldest rows created before the first parameter, at most the
        second parameter of them, skipping rows other transactions hold locked."""
        return self.command(
            "DELETE FROM {table} WHERE id IN ("
            " SELECT id FROM {table} WHERE created < %s"
            " ORDER BY created, id LIMIT %s FOR UPDATE SKIP LOCKED)"
        )


_PAGE_CONDITIONS = {
    "after": sql.SQL("(created, id) < (%(after_created)s, %(after_id)s)"),
    "created_after": sql.SQL("created > %(created_after)s"),
    "created_before": sql.SQL("created < %(created_before)s"),
}


def _equals(column: str) -> sql.Composable:
    return sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(column))
