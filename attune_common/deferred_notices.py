"""Deferred change notices: how `Database` keeps notifying writes from taking turns.

A transaction that calls pg_notify holds a cluster-wide lock from its pre-commit to
its end, across the WAL flush of its commit, so notifying commits cannot be flushed
together and ingest stops growing after two writers. Sessions that `Database` opens
run in the deferred mode of the schema (migration 0007): the triggers keep each
notice in the session setting `attune.pending_notices` (kept if the transaction
commits, dropped if it rolls back), and the transaction ends with one message,
`COMMIT; SELECT attune.flush_notices()`, whose second statement sends the kept
notices in a short transaction of its own that does not wait for the WAL flush. A
transaction that kept nothing (the session hears of the first notice kept through a
NOTICE, SQLSTATE ATN01) ends with a plain COMMIT.
Every committed change still wakes listeners, a moment after its commit; rolled-back
work still sends nothing.

Any other session (psql, another application, a pooler's shared connection) stays in
the immediate mode: its triggers notify in the writing transaction, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg.conninfo import conninfo_to_dict

DEFERRED_OPTION = "-c attune.notify_mode=deferred"
"""The libpq `options` switch that puts a session in the deferred mode (sent in the
startup packet: no round trip, and `RESET ALL` returns to it)."""

FLUSH = b"SELECT attune.flush_notices()"
"""What sends a deferred session's kept notices; the pools append it to the COMMIT or
ROLLBACK that ends a block (one message, so one round trip, as a plain COMMIT)."""

ASYNC_AGAIN = b"SELECT set_config('synchronous_commit', 'off', true)"
"""What follows a session reset that comes after FLUSH in the same message: the
statements after COMMIT run as one implicit transaction, and RESET ALL would turn
synchronous_commit back on in it, so the flush's transaction would wait for the disk
while it holds the notify lock."""


def deferred_connect_kwargs(url: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """`kwargs` for psycopg.connect with the deferred mode added to the `options`
    that `kwargs` (or else the URL) already give, unless they choose a mode
    themselves (`-c attune.notify_mode=immediate`) or are explicitly empty
    (`options=""`: no startup options at all, for a pooler that refuses them; the
    sessions then notify in immediate mode)."""
    given = kwargs.get("options")
    if given == "":
        return {key: value for key, value in kwargs.items() if key != "options"}
    if given is None:
        given = conninfo_to_dict(url).get("options")
    if given and "attune.notify_mode" in str(given):
        return dict(kwargs)
    options = f"{given} {DEFERRED_OPTION}" if given else DEFERRED_OPTION
    return {**kwargs, "options": options}


KEPT_SQLSTATE = "ATN01"
"""The SQLSTATE of the NOTICE a deferred session receives when its transaction keeps
its first notice, so that a transaction that kept none ends with a plain COMMIT
(the pools watch for it: `pooling.SessionState`)."""
