"""The one place that turns database rows into domain objects.

A model's fields are its table's columns, in order, so a row becomes a model by
position. Enum and JSON columns are selected as text (see `statements.Table`) and
become StrEnum members and Python values here, whatever adapters the caller's
connection has registered. A JSON value no decoder can read (nested deeper than
Python's recursion allows, stored before the schema refused such values) raises
`UnreadableRow` naming the table and the row's id, never a bare RecursionError.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Collection, Sequence
from enum import Enum
from typing import Any, TypeVar

from psycopg.rows import RowFactory

from .errors import UnreadableRow

M = TypeVar("M")

RowMaker = Callable[[Sequence[Any]], M]


def field_names(model: type[Any]) -> tuple[str, ...]:
    """The model's field names, which are its table's column names, in order."""
    return tuple(field.name for field in dataclasses.fields(model))


def enum_fields(model: type[Any]) -> dict[str, type[Enum]]:
    """The model's enum-typed fields (optional ones included) and their enum classes."""
    found: dict[str, type[Enum]] = {}
    for name, hint in typing.get_type_hints(model).items():
        candidates = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, Enum):
                found[name] = candidate
    return found


def row_maker(model: type[M]) -> RowMaker[M]:
    """A function building `model` from one row of its columns, converting enum columns."""
    positions = {name: i for i, name in enumerate(field_names(model))}
    # Members by label: a dict lookup costs a tenth of calling the enum class.
    conversions = [
        (positions[name], {member.value: member for member in enum})
        for name, enum in enum_fields(model).items()
    ]
    if not conversions:

        def make_plain(values: Sequence[Any]) -> M:
            return model(*values)

        return make_plain

    def make(values: Sequence[Any]) -> M:
        converted = list(values)
        for position, members in conversions:
            value = converted[position]
            if value is not None:
                converted[position] = members[value]
        return model(*converted)

    return make


def row_reader(model: type[M], table: str, json_columns: Collection[str]) -> RowMaker[M]:
    """A function building `model` from one row as selected (JSON columns as text):
    decodes the JSON columns, then converts as `row_maker` does."""
    make = row_maker(model)
    names = field_names(model)
    positions = [i for i, name in enumerate(names) if name in json_columns]
    if not positions:
        return make
    loads = json.loads

    def read(values: Sequence[Any]) -> M:
        decoded = list(values)
        for position in positions:
            text = decoded[position]
            if text is not None:
                try:
                    decoded[position] = loads(text)
                except RecursionError:
                    reason = f"its {names[position]} nests too deep to decode"
                    raise UnreadableRow(table, decoded[0], reason) from None
        return make(decoded)

    return read


def model_rows(make: RowMaker[M]) -> RowFactory[M]:
    """A psycopg row factory building each row with `make` (a `row_maker`)."""

    def factory(cursor: Any) -> RowMaker[M]:
        return make

    return factory
