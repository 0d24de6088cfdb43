"""The SQL of every repository, in one visible place per domain, shared by both APIs.

`queries/<domain>.py` holds a domain's inputs (frozen dataclasses), its `Table`s, its
statements and the pure checks and conversions around them; the repositories in
`attune_common.repositories` (asyncio source, sync generated) only run them.
"""

from __future__ import annotations

from typing import Any, TypeVar

M = TypeVar("M")  # a model: the rows of a table
C = TypeVar("C")  # its create input
U = TypeVar("U")  # its update input
R = TypeVar("R")  # the rows a statement returns
K = TypeVar("K")  # a kind of connection

Names = tuple[str, ...]  # of columns


def checked_connection(repository: object, conn: Any, kind: type[K]) -> K:
    """`conn` if it is a `kind` of connection (sync or asyncio), else a TypeError."""
    if not isinstance(conn, kind):
        raise TypeError(
            f"{type(repository).__name__} takes a psycopg.{kind.__name__},"
            f" not {type(conn).__name__}"
        )
    return conn
