"""Every Python example of README.md works as written.

A complete example runs in a subprocess of its own, against a migrated database of its
own (`ATTUNE_DATABASE_URL` points at it, so fixed refs cannot collide). An example that
is only a fragment of a program says so, and is still compiled:

    <!-- fragment: needs db from the Quickstart -->      (the line before the fence)
    ```python
    # fragment: needs db from the Quickstart            (or its first line)

Tracebacks and failure messages name the example's lines in README.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from attune_common.db import URL_VARIABLE

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PYTHON_FENCE = re.compile(r"^```(?:python|python3|py)\s*$")
FRAGMENT_NOTE = re.compile(r"^<!--\s*fragment\b.*-->$")
FRAGMENT_COMMENT = re.compile(r"^#\s*fragment\b")
TIMEOUT = 60


@dataclass(frozen=True)
class Example:
    line: int  # of the example's first line of code in README.md
    code: str
    fragment: bool

    def padded(self) -> str:
        """The code preceded by blank lines, so that line numbers are README.md's."""
        return "\n" * (self.line - 1) + self.code


def python_examples(text: str) -> list[Example]:
    lines = text.splitlines()
    examples: list[Example] = []
    number = 0
    while number < len(lines):
        if not PYTHON_FENCE.match(lines[number].strip()):
            number += 1
            continue
        before = next((line.strip() for line in reversed(lines[:number]) if line.strip()), "")
        start = number + 1
        end = start
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if end == len(lines):
            raise AssertionError(f"README.md line {number + 1}: a ```python block never ends")
        code = "\n".join(lines[start:end]) + "\n"
        first = code.lstrip().splitlines()[0] if code.strip() else ""
        fragment = bool(FRAGMENT_NOTE.match(before) or FRAGMENT_COMMENT.match(first))
        examples.append(Example(start + 1, code, fragment))
        number = end + 1
    return examples


EXAMPLES = python_examples(README.read_text(encoding="utf-8"))
COMPLETE = [example for example in EXAMPLES if not example.fragment]
FRAGMENTS = [example for example in EXAMPLES if example.fragment]


def where(example: Example) -> str:
    return f"README.md:{example.line}"


@pytest.mark.parametrize("example", COMPLETE, ids=where)
def test_complete_example_runs_as_written(
    example: Example, isolated_database_url: str, tmp_path: Path
) -> None:
    script = tmp_path / f"readme_line_{example.line}.py"
    script.write_text(example.padded(), encoding="utf-8")
    env = {**os.environ, URL_VARIABLE: isolated_database_url}

    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    if result.returncode != 0:
        pytest.fail(
            f"the example at README.md line {example.line} failed (exit {result.returncode}; "
            f"line numbers below are README.md's):\n{result.stderr}",
            pytrace=False,
        )


@pytest.mark.parametrize("example", FRAGMENTS, ids=where)
def test_fragment_compiles(example: Example) -> None:
    try:
        code = compile(example.padded(), "README.md", "exec")
    except SyntaxError as exc:
        pytest.fail(f"the fragment at README.md line {example.line} does not compile: {exc}")
    assert code.co_filename == "README.md"


def test_every_python_block_is_run_or_compiled() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    fences = [n for n, line in enumerate(lines, 1) if line.strip().startswith("```py")]

    assert [example.line - 1 for example in EXAMPLES] == fences, "a ```py... block is not run"
    assert COMPLETE, "README.md has no complete example left to run"


def test_examples_are_found_with_their_readme_lines() -> None:
    text = "intro\n\n<!-- fragment: needs db -->\n```python\nx = 1\n```\n```py\n# fragment\n```\n"

    examples = python_examples(text + "```python\nprint(2)\n```\n")

    assert examples == [
        Example(5, "x = 1\n", fragment=True),
        Example(8, "# fragment\n", fragment=True),
        Example(11, "print(2)\n", fragment=False),
    ]
    assert examples[0].padded().splitlines()[4] == "x = 1"
