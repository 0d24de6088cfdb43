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


class UnreadableRow(AttuneError):
    """A stored row cannot be turned into its model (a JSON value nested deeper than
    Python can decode, written before the schema refused such values). `table` and `id`
    name the row, so an operator can repair or delete it."""

    def __init__(self, table: str, id: Any, reason: str) -> None:
        super().__init__(f"{table} row id={id!r} cannot be read: {reason}", table=table)
        self.id = id


class TransientError(AttuneError):
    """A failure where running the whole transaction again can succeed (`db.run` does)."""


class ConnectionLost(TransientError):
    """The connection died: an administrator ended it, the server restarted or crashed,
    or the network failed. Nothing of the open transaction was committed."""


class SerializationFailure(TransientError):
    """40001: a REPEATABLE READ or SERIALIZABLE transaction lost a race with another."""


class DeadlockDetected(TransientError):
    """40P01: PostgreSQL broke a deadlock by aborting this transaction."""


class LockTimeout(TransientError):
    """55P03: a lock could not be had in time (`lock_timeout`, or NOWAIT)."""


class Unavailable(TransientError):
    """No connection could be had: the message carries the last connection error
    (e.g. 'database "x" does not exist', 'Connection refused')."""


class CommitUnknown(AttuneError):
    """The connection was lost while COMMIT was under way: the transaction may or may
    not have committed. Never retried automatically: check before doing it again."""


class StatementTimeout(AttuneError):
    """57014: a statement ran past `statement_timeout`, or was cancelled."""


# SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_UNIQUE_VIOLATION = "23505"
_FOREIGN_KEY_VIOLATION = "23503"
_RESTRICT_VIOLATION = "23001"
_INTEGRITY_CLASS = "23"  # not_null, check, exclusion ... : the row breaks a rule
_DATA_EXCEPTION_CLASS = "22"  # bad enum label, out of range, malformed JSON, NUL byte ...
_CONNECTION_CLASS = "08"  # connection_exception and its kin
_TRANSIENT: dict[str, type[TransientError]] = {
    "40001": SerializationFailure,
    "40P01": DeadlockDetected,
    "55P03": LockTimeout,
    "57P01": ConnectionLost,  # admin_shutdown: pg_terminate_backend, a fast shutdown
    "57P02": ConnectionLost,  # crash_shutdown: another backend crashed
    "57P03": Unavailable,  # cannot_connect_now: the server is starting or stopping
}
_QUERY_CANCELED = "57014"


def connection_broken(exc: BaseException) -> bool:
    """Whether an exception means the connection is gone (no SQLSTATE: the socket
    closed, or the server ended the session)."""
    if not isinstance(exc, psycopg.Error):
        return False
    sqlstate = exc.sqlstate
    if sqlstate is not None:
        return _TRANSIENT.get(sqlstate) is ConnectionLost or sqlstate[:2] == _CONNECTION_CLASS
    if not isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    pgconn = exc.pgconn
    return pgconn is None or pgconn.status != psycopg.pq.ConnStatus.OK


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
    transient = _TRANSIENT.get(sqlstate) if sqlstate is not None else None
    if transient is not None:
        return transient(message, **details)
    if sqlstate == _QUERY_CANCELED:
        return StatementTimeout(message, **details)
    if connection_broken(exc):
        return ConnectionLost(f"connection lost: {message}", **details)
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
        if isinstance(exc, UnicodeEncodeError):  # a lone surrogate cannot be sent as UTF-8
            raise ValidationError(
                f"a string is not valid Unicode text ({exc.reason} at {exc.start})"
            ) from exc


_TRANSLATED = _Translated()


def translated() -> AbstractContextManager[None]:
    """Run a block, re-raising any psycopg error as its `AttuneError`."""
    return _TRANSLATED
