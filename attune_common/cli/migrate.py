"""`attune-db migrate`: apply the pending migrations."""

from __future__ import annotations

import argparse

from ..migrations import create_database, migrate
from .common import Commands, add_command

DESCRIPTION = """\
Apply every pending migration to the database, in order (nothing to do is not an
error). With --create-database, first create the database the URL names if it does
not exist (connecting to the server's `postgres` database as the URL's user).
"""


def register(commands: Commands) -> None:
    parser = add_command(commands, "migrate", "apply pending migrations", DESCRIPTION, run)
    parser.add_argument(
        "--create-database",
        action="store_true",
        help="create the database first if it does not exist",
    )


def run(args: argparse.Namespace) -> int:
    if args.create_database and create_database(args.database_url):
        print("created the database")
    applied = migrate(args.database_url)
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    return 0
