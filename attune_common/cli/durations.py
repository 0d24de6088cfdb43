"""Durations as operators write them: 30d, 12h, 90m, 2w, 45s, or combined (1d12h)."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"(?:\d+[smhdw])+")


def parse_duration(text: str) -> timedelta:
    """The duration `text` names; ValueError if it names none or names zero."""
    compact = text.strip().lower()
    if not _WHOLE.fullmatch(compact):
        raise ValueError(
            f"invalid duration {text!r}: expected a number and a unit, "
            "s, m, h, d or w (e.g. 30d, 12h, 90m, 2w, 1d12h)"
        )
    try:
        duration = sum(
            (timedelta(**{_UNITS[unit]: int(number)}) for number, unit in _PART.findall(compact)),
            timedelta(),
        )
    except OverflowError:
        raise ValueError(f"invalid duration {text!r}: too long") from None
    if not duration:
        raise ValueError(f"invalid duration {text!r}: it must be longer than zero")
    return duration


def duration_argument(text: str) -> timedelta:
    """argparse type for a duration."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
