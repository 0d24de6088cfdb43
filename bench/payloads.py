"""The JSON documents the benchmark writes: about 1 KB each, all different."""

from __future__ import annotations

import json
from typing import Any

PAYLOAD_BYTES = 1024

_TAGS = ["prod", "eu-west-1", "web", "http", "pager"]
_METRICS = {"latency_ms": 1834.5, "p99_ms": 2210.0, "errors": 17, "requests": 40211}


def _payload(n: int, filler: str) -> dict[str, Any]:
    return {
        "n": n,
        "host": f"web-{n % 97:02d}.example.net",
        "check": "http",
        "status": "critical",
        "metrics": _METRICS,
        "tags": _TAGS,
        "message": filler,
    }


def _filler_length() -> int:
    """How long `message` must be for the whole document to be PAYLOAD_BYTES."""
    return PAYLOAD_BYTES - len(json.dumps(_payload(10**6, "")))


_FILLER = ("Service check failed: upstream timed out. " * 30)[: _filler_length()]


def payload(n: int) -> dict[str, Any]:
    """Document number `n` (its `n` tells documents apart); about PAYLOAD_BYTES as JSON."""
    return _payload(n, _FILLER)


def payloads(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [payload(n) for n in range(start, start + count)]
