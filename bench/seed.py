"""Rows the operations need, written before any timing with `create_many`."""

from __future__ import annotations

from collections.abc import Sequence

from attune_common.models import EnforcementStatus
from attune_common.repositories.event import (
    CreateEnforcementInput,
    CreateEventInput,
    EnforcementRepository,
    EventRepository,
)

from .payloads import payload

BATCH = 10_000


def seed_events(events: EventRepository, refs: Sequence[str], rows: int) -> list[int]:
    """`rows` events with 1 KB payloads, spread round robin over `refs`; their ids."""
    ids: list[int] = []
    for start in range(0, rows, BATCH):
        inputs = [
            CreateEventInput(trigger_ref=refs[n % len(refs)], payload=payload(n))
            for n in range(start, min(start + BATCH, rows))
        ]
        ids.extend(event.id for event in events.create_many(inputs))
    return ids


def seed_enforcements(
    enforcements: EnforcementRepository,
    rule_ref: str,
    count: int,
    events: Sequence[int | None] = (),
    status: EnforcementStatus = EnforcementStatus.CREATED,
) -> list[int]:
    """`count` enforcements of `rule_ref` in `status` (pointing at `events`, if given)."""
    ids: list[int] = []
    for start in range(0, count, BATCH):
        inputs = [
            CreateEnforcementInput(
                rule_ref=rule_ref,
                trigger_ref="bench.trigger",
                payload={"n": n},
                event=events[n] if events else None,
                status=status,
            )
            for n in range(start, min(start + BATCH, count))
        ]
        ids.extend(enforcement.id for enforcement in enforcements.create_many(inputs))
    return ids
