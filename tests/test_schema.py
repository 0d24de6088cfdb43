"""The migrated schema agrees with the models and with SPEC §2.

The models are read through the `Table` constants of the repositories (what the
library actually selects), the schema through the catalogs of the test database.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import types
import typing
from enum import StrEnum
from typing import Any

import psycopg
import pytest

import attune_common.repositories
from attune_common.models import enums
from attune_common.rows import enum_fields
from attune_common.statements import Table

Conn = psycopg.Connection[Any]


def _repository_tables() -> dict[str, Table[Any]]:
    """Every module-level `Table` of attune_common.repositories, by table name."""
    found: dict[str, Table[Any]] = {}
    package = attune_common.repositories
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Table):
                found[value.name] = value
    return found


TABLES = _repository_tables()

SQL_ENUMS: dict[str, type[StrEnum]] = {
    re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): enum
    for name, enum in inspect.getmembers(enums, inspect.isclass)
    if issubclass(enum, StrEnum) and enum is not StrEnum
}
"""The StrEnums of attune_common.models.enums by SQL type name (WorkerType: worker_type)."""

# SPEC §2: table -> column -> (referenced table, ON DELETE rule). Definitions own their
# parts (CASCADE), history outlives what it points at (SET NULL), and a rule blocks the
# deletion of its action and trigger (NO ACTION).
FOREIGN_KEYS: dict[str, dict[str, tuple[str, str]]] = {
    "runtime": {"pack": ("pack", "CASCADE")},
    "worker": {"runtime": ("runtime", "SET NULL")},
    "permission_set": {"pack": ("pack", "CASCADE")},
    "permission_assignment": {
        "identity": ("identity", "CASCADE"),
        "permset": ("permission_set", "CASCADE"),
    },
    "policy": {"pack": ("pack", "CASCADE"), "action": ("action", "CASCADE")},
    "key": {
        "owner_identity": ("identity", "CASCADE"),
        "owner_pack": ("pack", "CASCADE"),
        "owner_action": ("action", "CASCADE"),
        "owner_sensor": ("sensor", "CASCADE"),
    },
    "trigger": {"pack": ("pack", "CASCADE")},
    "sensor": {
        "pack": ("pack", "CASCADE"),
        "runtime": ("runtime", "CASCADE"),
        "trigger": ("trigger", "CASCADE"),
    },
    "action": {"pack": ("pack", "CASCADE"), "runtime": ("runtime", "SET NULL")},
    "rule": {
        "pack": ("pack", "CASCADE"),
        "action": ("action", "NO ACTION"),
        "trigger": ("trigger", "NO ACTION"),
    },
    "event": {"trigger": ("trigger", "SET NULL"), "source": ("sensor", "SET NULL")},
    "enforcement": {"rule": ("rule", "SET NULL"), "event": ("event", "SET NULL")},
    "execution": {
        "action": ("action", "SET NULL"),
        "parent": ("execution", "SET NULL"),
        "enforcement": ("enforcement", "SET NULL"),
        "executor": ("identity", "SET NULL"),
    },
    "inquiry": {"execution": ("execution", "CASCADE"), "assigned_to": ("identity", "SET NULL")},
    "queue_stats": {"action_id": ("action", "CASCADE")},
}

COLUMNS = """
    SELECT column_name, is_nullable = 'YES', udt_schema, udt_name
    FROM information_schema.columns
    WHERE table_schema = 'attune' AND table_name = %s
    ORDER BY ordinal_position
"""

FOREIGN_KEY_RULES = """
    SELECT source.relname, column_name.attname, target.relname,
           CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT'
                              WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                              WHEN 'd' THEN 'SET DEFAULT' END
    FROM pg_constraint c
    JOIN pg_class source ON source.oid = c.conrelid
    JOIN pg_class target ON target.oid = c.confrelid
    JOIN pg_attribute column_name
      ON column_name.attrelid = c.conrelid AND column_name.attnum = ANY (c.conkey)
    WHERE c.contype = 'f' AND c.connamespace = 'attune'::regnamespace
"""

# tgtype bits: 1 = FOR EACH ROW, 2 = BEFORE, 16 = UPDATE.
TOUCH_TRIGGERS = """
    SELECT c.relname
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = 'attune'::regnamespace AND NOT t.tgisinternal
      AND t.tgtype & 19 = 19 AND t.tgfoid = 'attune.touch_updated()'::regprocedure
"""

TABLES_WITH_UPDATED = """
    SELECT table_name FROM information_schema.columns
    WHERE table_schema = 'attune' AND column_name = 'updated'
"""

ENUM_LABELS = """
    SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
    WHERE t.typnamespace = 'attune'::regnamespace
    GROUP BY t.typname
"""

TABLES_BY_SCHEMA = """
    SELECT table_schema, table_name FROM information_schema.tables
    WHERE table_name = ANY (%s) AND table_type = 'BASE TABLE'
"""


def _is_optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint) and (
        isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
    )


def test_repository_tables_cover_every_table_of_the_schema(conn: Conn) -> None:
    rows = conn.execute(TABLES_BY_SCHEMA, (list(TABLES),)).fetchall()

    assert len(TABLES) == 19
    assert sorted(rows) == sorted(("attune", name) for name in TABLES)
    in_attune = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'attune'"
    ).fetchall()
    assert {name for (name,) in in_attune} == set(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_model_fields_equal_table_columns_in_order(conn: Conn, name: str) -> None:
    columns = [row[0] for row in conn.execute(COLUMNS, (name,))]

    assert list(TABLES[name].columns) == columns


@pytest.mark.parametrize("name", sorted(TABLES))
def test_model_optional_fields_equal_nullable_columns(conn: Conn, name: str) -> None:
    hints = typing.get_type_hints(TABLES[name].model)
    nullable = {column: is_nullable for column, is_nullable, *_ in conn.execute(COLUMNS, (name,))}

    assert {column: _is_optional(hints[column]) for column in nullable} == nullable


@pytest.mark.parametrize("name", sorted(TABLES))
def test_model_enum_fields_equal_enum_columns(conn: Conn, name: str) -> None:
    enum_columns = {
        column: udt_name
        for column, _, udt_schema, udt_name in conn.execute(COLUMNS, (name,))
        if udt_schema == "attune"
    }
    model_enums = enum_fields(TABLES[name].model)

    assert {column: SQL_ENUMS[udt] for column, udt in enum_columns.items()} == model_enums


def test_foreign_keys_have_the_delete_rules_of_the_spec(conn: Conn) -> None:
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for table, column, target, rule in conn.execute(FOREIGN_KEY_RULES):
        found.setdefault(table, {})[column] = (target, rule)

    assert found == FOREIGN_KEYS


def test_tables_with_updated_column_have_touch_trigger(conn: Conn) -> None:
    with_updated = {name for (name,) in conn.execute(TABLES_WITH_UPDATED)}
    touched = {name for (name,) in conn.execute(TOUCH_TRIGGERS)}

    assert with_updated == set(TABLES) - {"permission_assignment", "queue_stats"}
    assert touched == with_updated


def test_sql_enum_labels_equal_strenum_values_in_order(conn: Conn) -> None:
    labels = dict(conn.execute(ENUM_LABELS).fetchall())

    assert len(SQL_ENUMS) == 12
    assert labels == {name: [member.value for member in enum] for name, enum in SQL_ENUMS.items()}
