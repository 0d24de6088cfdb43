"""`python -m attune_common migrate [--create-database] [URL]`: apply pending migrations.

`make migrate` runs it with `--create-database` on ATTUNE_DATABASE_URL.
"""

from __future__ import annotations

import sys

from .errors import AttuneError
from .migrations import create_database, migrate

USAGE = "usage: python -m attune_common migrate [--create-database] [postgresql://URL]"


def main(argv: list[str]) -> int:
    create = "--create-database" in argv
    args = [arg for arg in argv if arg != "--create-database"]
    if not args or args[0] != "migrate" or len(args) > 2:
        print(USAGE, file=sys.stderr)
        return 2
    url = args[1] if len(args) > 1 else None
    try:
        if create and create_database(url):
            print("created the database")
        applied = migrate(url)
    except AttuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
