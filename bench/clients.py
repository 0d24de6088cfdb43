"""The three clients under comparison, each on its own connection, plus one for checks."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from attune_common.repositories.event import EnforcementRepository, EventRepository

from .orm import orm_session

ATTUNE = "attune"
PSYCOPG = "psycopg"
SQLALCHEMY = "sqlalchemy_orm"


@dataclass(frozen=True, slots=True)
class Clients:
    """Autocommit everywhere: every operation is its own committed transaction (the ORM
    session commits after each operation, as an ORM user does)."""

    attune: psycopg.Connection[Any]
    raw: psycopg.Connection[Any]
    session: Session
    checker: psycopg.Connection[Any]
    """Reads answers back for the checks, so that the timed connections run only their
    own statements (and keep their prepared statements)."""
    events: EventRepository = field(init=False)
    enforcements: EnforcementRepository = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", EventRepository(self.attune))
        object.__setattr__(self, "enforcements", EnforcementRepository(self.attune))

    def close(self) -> None:
        bind = self.session.get_bind()
        self.session.close()
        bind.engine.dispose()
        for conn in (self.attune, self.raw, self.checker):
            conn.close()


JSON_COLUMNS = frozenset(
    column
    for repository in (EventRepository, EnforcementRepository)
    for column in repository.table.json_columns
)


def json_decoding_rows(cursor: Any) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """Raw psycopg's rows, with the JSON columns (which the shared SQL selects as text)
    decoded, as psycopg's own jsonb loader would: the work a raw psycopg user's code
    does to use the rows, so the comparison with the repositories is like for like."""
    names = [column.name for column in cursor.description or ()]
    positions = [i for i, name in enumerate(names) if name in JSON_COLUMNS]
    loads = json.loads

    def make(values: Sequence[Any]) -> tuple[Any, ...]:
        if not positions:
            return tuple(values)
        row = list(values)
        for i in positions:
            if row[i] is not None:
                row[i] = loads(row[i])
        return tuple(row)

    return make


def _prepared(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute("SELECT statement FROM pg_prepared_statements").fetchall()
    return {row[0] for row in rows}


def check_same_sql(c: Clients) -> None:
    """Every statement raw psycopg prepared (run 5 times or more), the repositories
    prepared too: the two sent the very same SQL text."""
    differing = _prepared(c.raw) - _prepared(c.attune)
    assert not differing, f"raw psycopg ran SQL the repositories did not: {differing}"


def connect(url: str) -> Clients:
    return Clients(
        attune=psycopg.connect(url, autocommit=True),
        raw=psycopg.connect(url, autocommit=True, row_factory=json_decoding_rows),
        session=orm_session(url),
        checker=psycopg.connect(url, autocommit=True),
    )
