"""Generate the sync repositories from their asyncio source, psycopg's way.

The asyncio code is the one written by hand: `attune_common/repositories/<x>_async.py`.
Each becomes `attune_common/repositories/<x>.py` by a few textual rewrites of known
patterns, then `ruff` sorts its imports and formats it, so the output is deterministic:

    async def / async with / async for   ->  def / with / for
    await <expr>                          ->  <expr>
    code  # sync: other code              ->  other code   (where the two must differ)
    await asyncio.to_thread(f, args)      ->  f(args)      (and `import asyncio` goes)
    cast("AsyncType[R]", x)               ->  x
    AsyncName                             ->  Name         (AsyncConnection, AsyncEventRepository)
    from .x_async import                  ->  from .x import

    python tools/async_to_sync.py           write the generated files (`make generate`)
    python tools/async_to_sync.py --check   exit 1, naming them, if any is stale
                                            (`make check-generated`, part of `make lint`)

Comments and docstrings are kept as they are (but for the rewrites above).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "attune_common"

HEADER = (
    "# WARNING: generated from {source} by tools/async_to_sync.py"
    " - edit that file, then run make generate.\n"
    "# ruff: noqa: E501\n"  # the line above is longer than the project's lines
)

REWRITES: list[tuple[re.Pattern[str], str]] = [
    # `code  # sync: other code` - the sync twin has `other code` on that line instead.
    (re.compile(r"^(\s*)\S.*?\s*# sync: (.*)$", re.MULTILINE), r"\1\2"),
    (re.compile(r"^import asyncio\n", re.MULTILINE), ""),
    (re.compile(r"\bawait asyncio\.to_thread\(\s*([\w.]+),\s*"), r"\1("),
    (re.compile(r"\bawait asyncio\.sleep\("), "time.sleep("),
    (re.compile(r"\basynccontextmanager\b"), "contextmanager"),
    (re.compile(r"\bAwaitable\[(\w+)\]"), r"\1"),
    (re.compile(r"\b__a(enter|exit)__\b"), r"__\1__"),
    (re.compile(r"\basync (def|with|for)\b"), r"\1"),
    (re.compile(r"\bawait "), ""),
    (re.compile(r"\bcast\(\"Async\w+\[\w+\]\", ([\w.]+)\)"), r"\1"),
    (re.compile(r"\bAsync([A-Z]\w*)"), r"\1"),
    (re.compile(r"^(from \.+[\w.]*?)_async import", re.MULTILINE), r"\1 import"),
]


def target_of(source: Path) -> Path:
    return source.with_name(source.name.removesuffix("_async.py") + ".py")


def ruff(text: str, path: Path, *args: str) -> str:
    """`text` as `ruff <args>` leaves it (run on stdin, with the project's settings)."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode not in (0, 1) or not done.stdout:
        raise SystemExit(f"ruff {' '.join(args)} failed on {path}:\n{done.stderr}")
    return done.stdout


def generate(source: Path) -> str:
    """The sync module generated from one asyncio source module."""
    text = source.read_text()
    for pattern, replacement in REWRITES:
        text = pattern.sub(replacement, text)
    target = target_of(source)
    text = HEADER.format(source=source.name) + text
    text = ruff(
        text, target, "check", "--select", "I,F401,SIM117", "--fix", "--exit-zero", "--quiet"
    )
    return ruff(text, target, "format", "--quiet")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    options = parser.parse_args()
    stale = []
    for source in sorted(PACKAGE.rglob("*_async.py")):
        target, text = target_of(source), generate(source)
        if target.exists() and target.read_text() == text:
            continue
        stale.append(target.relative_to(ROOT))
        if not options.check:
            target.write_text(text)
    if options.check and stale:
        names = ", ".join(map(str, stale))
        print(f"stale generated files (run make generate): {names}", file=sys.stderr)
        return 1
    for name in stale:
        print(f"generated {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
