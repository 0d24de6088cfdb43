"""The library's errors, and the one place that turns psycopg's errors into them.

Callers catch these, never a driver exception: every psycopg error raised under
`translated()` comes out as an `AttuneError` subclass, chosen by SQLSTATE (not by
message text), with the constraint name when PostgreSQL reports one and the original
exception as `__cause__`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

import psycopg


class AttuneError(Exception):
    """Base class of every error the library raises, and of any other database failure."""

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        constraint: str | None = None,
        table: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.constraint = constraint
        self.table = table
        self.column = column


class NotFound(AttuneError):
    """A `get_*` or `update` found no row for the key it was given."""

    def __init__(self, entity: str, field: str, value: Any) -> None:
        super().__init__(f"{entity} with {field}={value!r} not found")
        self.entity = entity
        self.field = field
        self.value = value


class AlreadyExists(AttuneError):
    """A unique constraint refused the row (`constraint` names it)."""


class ReferenceViolation(AttuneError):
    """A foreign key points at nothing, or a delete is blocked by rows that need the row."""


class ValidationError(AttuneError):
    """A CHECK, NOT NULL, enum, range or format rule refused a value."""


class DecryptionError(AttuneError):
    """A secret could not be decrypted: wrong encryption key or tampered ciphertext."""


# SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_UNIQUE_VIOLATION = "23505"
_FOREIGN_KEY_VIOLATION = "23503"
_RESTRICT_VIOLATION = "23001"
_INTEGRITY_CLASS = "23"  # not_null, check, exclusion ... : the row breaks a rule
_DATA_EXCEPTION_CLASS = "22"  # bad enum label, out of range, malformed JSON, NUL byte ...


def translate(exc: psycopg.Error) -> AttuneError:
    """The `AttuneError` that stands for a psycopg error."""
    diag = exc.diag
    sqlstate = exc.sqlstate
    details = {
        "sqlstate": sqlstate,
        "constraint": diag.constraint_name,
        "table": diag.table_name,
        "column": diag.column_name,
    }
    message = diag.message_primary or str(exc).strip() or type(exc).__name__
    detail = diag.message_detail
    # "Failing row contains (...)" would copy every column (a key's value, a password
    # hash) into messages and logs; the original error, as __cause__, still has it.
    if detail and not detail.startswith("Failing row contains"):
        message = f"{message} ({detail})"
    if sqlstate == _UNIQUE_VIOLATION:
        return AlreadyExists(message, **details)
    if sqlstate in (_FOREIGN_KEY_VIOLATION, _RESTRICT_VIOLATION):
        return ReferenceViolation(message, **details)
    if sqlstate is not None and sqlstate[:2] in (_INTEGRITY_CLASS, _DATA_EXCEPTION_CLASS):
        return ValidationError(message, **details)
    if sqlstate is None and isinstance(exc, psycopg.DataError):
        # Refused by psycopg before it reached the server, e.g. a NUL byte in a string.
        return ValidationError(message, **details)
    return AttuneError(message, **details)


class _Translated:
    """The context manager `translated()` returns: one shared and stateless, since it
    wraps every statement (a @contextmanager generator costs two objects per use)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, psycopg.Error):
            raise translate(exc) from exc


_TRANSLATED = _Translated()


def translated() -> AbstractContextManager[None]:
    """Run a block, re-raising any psycopg error as its `AttuneError`."""
    return _TRANSLATED
