"""`attune-db` (also `python -m attune_common`): the operator's command.

Each command is a module with `register(commands)`, which adds its parser and the
function that runs it; a new command is one more module and one more entry in
`COMMANDS`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from ..errors import AttuneError
from . import dev_server, migrate, purge, rollback, status
from .common import Parser, common_options, fail, log

COMMANDS = (migrate, status, rollback, purge, dev_server)

DESCRIPTION = """\
Operate an Attune database: apply or undo migrations, look at its state, purge old
history. The database is --database-url, else $ATTUNE_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/attune. Exit status: 0 done, 1 failed (one line
on stderr says why), 2 bad usage, 130 interrupted.
"""


def build_parser() -> Parser:
    parser = Parser(
        prog="attune-db", description=DESCRIPTION, parents=[common_options(defaults=True)]
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 0
    _configure_logging(args.verbose)
    try:
        code: int = args.run(args)
    except AttuneError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        log.warning("interrupted")
        return purge.INTERRUPTED
    except BrokenPipeError:  # the reader went away (`attune-db status | head`): no more output
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


def _configure_logging(verbose: bool) -> None:
    """Diagnostics go to stderr through logging; the command's output to stdout."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("attune-db: %(message)s"))
    library = logging.getLogger("attune_common")
    library.addHandler(handler)
    library.setLevel(logging.DEBUG if verbose else logging.WARNING)
    library.propagate = False


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())
