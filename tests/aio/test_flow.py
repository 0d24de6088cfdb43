"""The asyncio API on its own connections, as a service uses it: an event raised,
enforced, claimed and executed; bulk writes, pages and retention; secrets and
passwords; the wrong kind of connection refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from attune_common.errors import DecryptionError, NotFound
from attune_common.models import EnforcementStatus, ExecutionStatus
from attune_common.repositories import (
    AsyncEnforcementRepository,
    AsyncEventRepository,
    AsyncExecutionRepository,
    AsyncIdentityRepository,
    AsyncKeyRepository,
    AsyncTriggerRepository,
    CreateEnforcementInput,
    CreateEventInput,
    CreateExecutionInput,
    CreateIdentityInput,
    CreateTriggerInput,
    EventRepository,
    UpdateExecutionInput,
)
from tests.aio.conftest import AConn
from tests.builders import Conn, unique_name, unique_ref

pytestmark = pytest.mark.asyncio

KEY = bytes(range(32))
LONG_AGO = datetime(1850, 1, 1, tzinfo=UTC)


async def test_an_event_is_enforced_claimed_and_executed(aconn: AConn) -> None:
    trigger = await AsyncTriggerRepository(aconn).create(
        CreateTriggerInput(ref=unique_ref("trigger"), label="Webhook")
    )
    event = await AsyncEventRepository(aconn).create(
        CreateEventInput(trigger_ref=trigger.ref, trigger=trigger.id, payload={"n": 1})
    )
    enforcements = AsyncEnforcementRepository(aconn)
    rule_ref = unique_ref("rule")
    enforcement = await enforcements.create(
        CreateEnforcementInput(
            rule_ref=rule_ref, trigger_ref=trigger.ref, payload=event.payload, event=event.id
        )
    )

    (claimed,) = await enforcements.claim_created(limit=5, rule_refs=[rule_ref])
    execution = await AsyncExecutionRepository(aconn).create(
        CreateExecutionInput(action_ref=unique_ref("action"), enforcement=claimed.id)
    )
    done = await AsyncExecutionRepository(aconn).update(
        execution.id, UpdateExecutionInput(status=ExecutionStatus.COMPLETED, result={"ok": 1})
    )

    assert claimed.id == enforcement.id
    assert claimed.status is EnforcementStatus.PROCESSED
    assert await enforcements.find_by_event(event.id) == [claimed]
    assert (done.status, done.result) == (ExecutionStatus.COMPLETED, {"ok": 1})
    assert await AsyncEventRepository(aconn).find_by_trigger(trigger.id) == [event]


async def test_bulk_pages_and_retention(aconn: AConn) -> None:
    events = AsyncEventRepository(aconn)
    trigger_ref = unique_ref("trigger")
    made = await events.create_many(
        [CreateEventInput(trigger_ref=trigger_ref, payload={"n": n}) for n in range(7)]
    )

    seen, cursor = [], None
    while True:
        page = await events.list_page(after=cursor, limit=3, trigger_ref=trigger_ref)
        seen += [event.id for event in page.items]
        if (cursor := page.next_cursor) is None:
            break
    # Moved to a time no other test uses, in this transaction only (seen by no other).
    await aconn.execute("UPDATE attune.event SET created = %s WHERE id = ANY(%s)", (LONG_AGO, seen))
    deleted = await events.delete_older_than(LONG_AGO + timedelta(days=1), batch_size=2)

    assert sorted(seen) == [event.id for event in made]
    assert len(seen) == 7
    assert deleted == 7
    assert await events.find_by_trigger_ref(trigger_ref) == []


async def test_secrets_and_passwords(aconn: AConn) -> None:
    keys = AsyncKeyRepository(aconn)
    secret = await keys.create_secret(unique_name("token"), "s3cret", KEY)
    identities = AsyncIdentityRepository(aconn)
    identity = await identities.create(CreateIdentityInput(login=unique_name("login")))

    await identities.set_password(identity.id, "correct horse")

    assert secret.value != "s3cret"
    assert await keys.reveal(secret, KEY) == "s3cret"
    with pytest.raises(DecryptionError):
        await keys.reveal(secret, bytes(32))
    assert await identities.authenticate(
        identity.login, "correct horse"
    ) == await identities.get_by_id(identity.id)
    assert await identities.authenticate(identity.login, "wrong") is None
    with pytest.raises(NotFound):
        await identities.set_password(2**63 - 1, "pw")


async def test_get_by_id_missing_raises_not_found(aconn: AConn) -> None:
    with pytest.raises(NotFound):
        await AsyncEventRepository(aconn).get_by_id(2**63 - 1)


async def test_an_async_repository_refuses_a_sync_connection(conn: Conn) -> None:
    with pytest.raises(TypeError, match="AsyncConnection"):
        AsyncEventRepository(conn)  # type: ignore[arg-type]


async def test_a_sync_repository_refuses_an_async_connection(aconn: AConn) -> None:
    with pytest.raises(TypeError, match=r"psycopg\.Connection"):
        EventRepository(aconn)  # type: ignore[arg-type]


async def test_repositories_share_the_callers_transaction(aconn: AConn, aconnect: Any) -> None:
    trigger_ref = unique_ref("trigger")
    await AsyncEventRepository(aconn).create(CreateEventInput(trigger_ref=trigger_ref))
    other: psycopg.AsyncConnection[Any] = await aconnect()

    assert await AsyncEventRepository(other).find_by_trigger_ref(trigger_ref) == []
    await aconn.commit()
    (seen,) = await AsyncEventRepository(other).find_by_trigger_ref(trigger_ref)
    assert seen.trigger_ref == trigger_ref
    await AsyncEventRepository(aconn).delete(seen.id)
    await aconn.commit()
