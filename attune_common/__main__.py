"""`python -m attune_common migrate [URL]`: apply pending migrations (what `make migrate` runs)."""

from __future__ import annotations

import sys

from .migrations import migrate


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "migrate" or len(argv) > 2:
        print("usage: python -m attune_common migrate [postgresql://URL]", file=sys.stderr)
        return 2
    applied = migrate(argv[1] if len(argv) > 1 else None)
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
