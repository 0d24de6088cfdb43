"""What every `attune-db` command shares: its parser, the connection it opens, how it
fails, and how it lays out a table."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeAlias

import psycopg
from psycopg import sql

from ..errors import AttuneError, translated
from ..pooling import database_url, describe

log = logging.getLogger("attune_common.cli")

CONNECT_TIMEOUT = 10
"""Seconds to wait for the server to answer before giving up (libpq's connect_timeout)."""

Run: TypeAlias = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


Commands: TypeAlias = "argparse._SubParsersAction[Parser]"


def common_options(*, defaults: bool) -> Parser:
    """The options every command takes, before or after its name (argparse copies them
    into each parser). The top-level copy holds the defaults; a command's copy sets a
    value only when given there, so it never undoes one given before the command."""
    options = Parser(add_help=False)
    options.add_argument(
        "--database-url",
        metavar="URL",
        default=None if defaults else argparse.SUPPRESS,
        help="the database (a libpq URL); default: $ATTUNE_DATABASE_URL, "
        "else postgresql://postgres@127.0.0.1:5432/attune",
    )
    options.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="log what is being done on stderr",
    )
    return options


def add_command(commands: Commands, name: str, summary: str, description: str, run: Run) -> Parser:
    """Add a command: `summary` is its line in `attune-db --help`, `description` the
    text of its own `--help`; `run(args)` does it and returns the exit status."""
    parser = commands.add_parser(
        name,
        help=summary,
        description=description,
        parents=[common_options(defaults=False)],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    return parser


def one_line(text: str) -> str:
    """A message on one line (libpq's messages span several)."""
    return " ".join(text.split())


def connect(url: str | None) -> psycopg.Connection[Any]:
    """An autocommit connection to the database, or AttuneError saying why not."""
    resolved = database_url(url)
    try:
        return psycopg.connect(resolved, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error as exc:
        raise AttuneError(f"cannot connect to {describe(resolved)}: {one_line(str(exc))}") from exc


def fetch_optional(
    conn: psycopg.Connection[Any], query: str | sql.Composed, params: Sequence[Any] = ()
) -> tuple[Any, ...] | None:
    """The first row a query returns, if any; a failure is an AttuneError."""
    with translated():
        row: tuple[Any, ...] | None = conn.execute(query, params).fetchone()
    return row


def fetch_one(
    conn: psycopg.Connection[Any], query: str | sql.Composed, params: Sequence[Any] = ()
) -> tuple[Any, ...]:
    """The row a query that always returns one row returns."""
    row = fetch_optional(conn, query, params)
    if row is None:
        raise AttuneError(f"no row from: {query!r}")
    return row


def fail(message: str) -> int:
    """Report an expected failure (one line on stderr) and return the exit status."""
    log.error(one_line(message))
    return 1


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """`rows` under `headers` in aligned columns (those numbered in `right` aligned to
    the right, for numbers), two spaces apart."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])
