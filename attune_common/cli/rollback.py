"""`attune-db rollback`: undo the newest migration, or all of them."""

from __future__ import annotations

import argparse
import sys

from ..migrations import migration_status, rollback_all, rollback_last
from ..pooling import database_url, describe
from .common import Commands, add_command, fail

DESCRIPTION = """\
Undo migrations with their .rollback.sql. By default only the newest applied one;
with --all every applied one, newest first (the schema is then gone). Rolling back
drops what the migration created, rows included: take a backup first.

It says which migrations it will undo and asks for confirmation on a terminal;
elsewhere (scripts, CI) pass --yes.
"""


def register(commands: Commands) -> None:
    parser = add_command(
        commands, "rollback", "undo the newest migration (or --all)", DESCRIPTION, run
    )
    parser.add_argument(
        "--all", action="store_true", help="undo every applied migration, not only the newest"
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(args: argparse.Namespace) -> int:
    applied = migration_status(args.database_url).applied
    if not applied:
        print("nothing to roll back: no migration is applied")
        return 0
    planned = list(reversed(applied)) if args.all else applied[-1:]
    target = describe(database_url(args.database_url))
    print(f"to roll back on {target}: {', '.join(planned)}")
    if not args.yes:
        if not sys.stdin.isatty():
            return fail("not rolling back without --yes (no terminal to ask on)")
        if input("proceed? [y/N] ").strip().lower() not in ("y", "yes"):
            return fail("rollback cancelled")
    rolled_back = rollback_all(args.database_url) if args.all else rollback_last(args.database_url)
    print(f"rolled back {len(rolled_back)} migration(s): {', '.join(rolled_back) or 'none'}")
    return 0
