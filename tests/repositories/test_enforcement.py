"""EnforcementRepository against the real database, beyond what every repository does
(test_common.py): links and refs, conditions and payloads, status changes, delete
rules and finders.

Every enforcement here belongs to a unique rule or rule_ref, so the assertions look
only at rows the test made; other workers' committed rows may appear in any list.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import psycopg
import pytest

from attune_common.errors import ReferenceViolation, ValidationError
from attune_common.models import Enforcement, EnforcementCondition, EnforcementStatus, Rule
from attune_common.repositories import (
    CreateEnforcementInput,
    EnforcementRepository,
    EventRepository,
    RuleRepository,
    UpdateEnforcementInput,
)
from tests.apis import open_repository
from tests.builders import Conn, EnforcementFixture, EventFixture, RuleFixture, unique_ref
from tests.helpers import MISSING_ID, ids, newest_first, only, refused, shift_created

CREATED, PROCESSED, DISABLED = (
    EnforcementStatus.CREATED,
    EnforcementStatus.PROCESSED,
    EnforcementStatus.DISABLED,
)

CONDITIONS: list[Any] = [
    {"pattern": "trigger.payload.branch", "operator": "equals", "value": "main"},
    {"pattern": "trigger.payload.files", "operator": "contains", "value": ["a.py", "b.py"]},
    {"pattern": "trigger.payload.count", "operator": "gt", "value": 3, "negate": False},
]

PAYLOADS: dict[str, Any] = {
    "nested": {"trigger": {"payload": {"commit": {"sha": "abc", "author": {"name": "x"}}}}},
    "unicode_and_numbers": {"msg": "déploiement ✓ 完成", "n": -12, "ratio": 0.75, "ok": True},
    "null_inside": {"optional": None, "values": [None, False, 0, ""]},
    "empty_object": {},
    "list_payload": [1, {"two": 2}, ["three"]],
}

pytestmark = pytest.mark.usefixtures("api")  # for the sync and the asyncio API


# -- helpers ---------------------------------------------------------------------------


def enforcements(conn: Conn) -> EnforcementRepository:
    return open_repository(EnforcementRepository, conn)


def make_enforcements(
    conn: Conn, count: int, rule: Rule | None = None, **fields: Any
) -> list[Enforcement]:
    """`count` enforcements of one rule (or of one fresh rule_ref), oldest first."""
    fixture = EnforcementFixture.unique(rule).with_(**fields)
    if rule is None:
        fixture = fixture.with_(rule_ref=unique_ref("rule"), trigger_ref=unique_ref("trigger"))
    return [fixture.create(conn) for _ in range(count)]


def with_rule_ref(conn: Conn, rule_ref: str) -> list[Enforcement]:
    """The listed enforcements carrying `rule_ref` (which only one test uses)."""
    return [row for row in enforcements(conn).list() if row.rule_ref == rule_ref]


def create_input(**fields: Any) -> CreateEnforcementInput:
    """A create input of a fresh rule_ref, trigger_ref and an empty payload."""
    data = {"rule_ref": unique_ref("rule"), "trigger_ref": unique_ref("trigger"), "payload": {}}
    return CreateEnforcementInput(**{**data, **fields})


# -- create ----------------------------------------------------------------------------


def test_create_minimal_enforcement_has_schema_defaults(conn: Conn) -> None:
    data = create_input()

    enforcement = enforcements(conn).create(data)

    assert enforcement.id > 0
    assert (enforcement.rule, enforcement.rule_ref) == (None, data.rule_ref)
    assert enforcement.trigger_ref == data.trigger_ref
    assert (enforcement.config, enforcement.event, enforcement.payload) == (None, None, {})
    assert enforcement.status is CREATED
    assert enforcement.condition is EnforcementCondition.ALL
    assert enforcement.conditions == []
    assert enforcements(conn).find_by_id(enforcement.id) == enforcement


def test_create_enum_fields_are_enum_members(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().create(conn)
    stored = enforcements(conn).get_by_id(enforcement.id)

    for row in (enforcement, stored):
        assert isinstance(row.status, EnforcementStatus)
        assert isinstance(row.condition, EnforcementCondition)
        assert type(row.status) is EnforcementStatus


def test_create_with_rule(conn: Conn) -> None:
    rule = RuleFixture.unique().create(conn)

    enforcement = EnforcementFixture.unique(rule).create(conn)

    assert (enforcement.rule, enforcement.rule_ref) == (rule.id, rule.ref)
    assert enforcement.trigger_ref == rule.trigger_ref


def test_create_with_event(conn: Conn) -> None:
    event = EventFixture.unique().with_payload({"p": 1}).create(conn)

    enforcement = EnforcementFixture.unique(event=event).create(conn)

    assert enforcement.event == event.id
    assert enforcement.trigger_ref == event.trigger_ref
    assert enforcements(conn).find_by_event(event.id) == [enforcement]


def test_create_with_conditions(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().with_conditions(CONDITIONS).create(conn)

    assert enforcement.conditions == CONDITIONS
    assert enforcements(conn).get_by_id(enforcement.id).conditions == CONDITIONS


def test_create_with_any_condition(conn: Conn) -> None:
    enforcement = (
        EnforcementFixture.unique()
        .with_(condition=EnforcementCondition.ANY, conditions=CONDITIONS[:2])
        .create(conn)
    )

    stored = enforcements(conn).get_by_id(enforcement.id)
    assert stored.condition is EnforcementCondition.ANY
    assert stored.conditions == CONDITIONS[:2]


def test_create_with_all_condition(conn: Conn) -> None:
    enforcement = (
        EnforcementFixture.unique()
        .with_(condition=EnforcementCondition.ALL, conditions=CONDITIONS)
        .create(conn)
    )

    stored = enforcements(conn).get_by_id(enforcement.id)
    assert stored.condition is EnforcementCondition.ALL
    assert stored.conditions == CONDITIONS


def test_create_with_status_and_config(conn: Conn) -> None:
    config = {"action_params": {"message": "{{ trigger.payload.msg }}"}}

    enforcement = EnforcementFixture.unique().with_(status=PROCESSED, config=config).create(conn)

    assert enforcement.status is PROCESSED
    assert enforcement.config == config


def test_create_without_rule_id_keeps_rule_ref(conn: Conn) -> None:
    data = create_input(payload={"p": 1})

    enforcement = enforcements(conn).create(data)

    assert enforcement.rule is None
    assert enforcement.rule_ref == data.rule_ref
    assert with_rule_ref(conn, data.rule_ref) == [enforcement]


def test_create_invalid_rule_raises_reference_violation(conn: Conn) -> None:
    data = create_input(rule=MISSING_ID)

    error = refused(conn, ReferenceViolation, lambda: enforcements(conn).create(data))

    assert (error.sqlstate, error.constraint) == ("23503", "enforcement_rule_fkey")
    assert isinstance(error.__cause__, psycopg.errors.ForeignKeyViolation)
    assert with_rule_ref(conn, data.rule_ref) == []


def test_create_invalid_event_raises_reference_violation(conn: Conn) -> None:
    data = create_input(event=MISSING_ID)

    error = refused(conn, ReferenceViolation, lambda: enforcements(conn).create(data))

    assert (error.sqlstate, error.constraint) == ("23503", "enforcement_event_fkey")
    assert enforcements(conn).find_by_event(MISSING_ID) == []
    assert with_rule_ref(conn, data.rule_ref) == []


def test_create_invalid_condition_raises_validation_error(conn: Conn) -> None:
    data = create_input(condition=cast(EnforcementCondition, "some"))

    error = refused(conn, ValidationError, lambda: enforcements(conn).create(data))

    assert error.sqlstate == "22P02"  # invalid_text_representation: not an enum label
    assert with_rule_ref(conn, data.rule_ref) == []


def test_create_conditions_not_json_raises_validation_error(conn: Conn) -> None:
    data = create_input(conditions=[{"value": {1, 2}}])

    with pytest.raises(ValidationError) as caught:
        enforcements(conn).create(data)

    assert caught.value.column == "conditions"
    assert with_rule_ref(conn, data.rule_ref) == []


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_create_payload_round_trips(conn: Conn, payload: Any) -> None:
    enforcement = EnforcementFixture.unique().with_payload(payload).create(conn)

    assert enforcement.payload == payload
    assert enforcements(conn).get_by_id(enforcement.id).payload == payload


# -- update ----------------------------------------------------------------------------


def test_update_status_created_to_processed(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().with_payload({"p": 1}).create(conn)

    updated = enforcements(conn).update(enforcement.id, UpdateEnforcementInput(status=PROCESSED))

    assert (enforcement.status, updated.status) == (CREATED, PROCESSED)
    assert updated.payload == {"p": 1}
    assert enforcements(conn).get_by_id(enforcement.id) == updated


def test_update_status_through_several_transitions(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().create(conn)

    for status in (PROCESSED, DISABLED, CREATED, DISABLED):
        updated = enforcements(conn).update(enforcement.id, UpdateEnforcementInput(status=status))
        assert updated.status is status
        assert enforcements(conn).get_by_id(enforcement.id).status is status


def test_update_payload(conn: Conn) -> None:
    enforcement, other = make_enforcements(conn, 2, payload={"p": 0})

    updated = enforcements(conn).update(enforcement.id, UpdateEnforcementInput(payload={"p": 1}))

    assert updated.payload == {"p": 1}
    assert updated.status is CREATED
    assert enforcements(conn).get_by_id(other.id) == other


def test_update_status_and_payload(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().with_conditions(CONDITIONS).create(conn)

    updated = enforcements(conn).update(
        enforcement.id, UpdateEnforcementInput(status=DISABLED, payload=["a", {"b": None}])
    )

    assert (updated.status, updated.payload) == (DISABLED, ["a", {"b": None}])
    assert (updated.conditions, updated.rule_ref) == (CONDITIONS, enforcement.rule_ref)
    assert enforcements(conn).get_by_id(enforcement.id) == updated


def test_update_invalid_status_raises_validation_error_and_keeps_row(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().create(conn)
    data = UpdateEnforcementInput(status=cast(EnforcementStatus, "succeeded"))

    error = refused(conn, ValidationError, lambda: enforcements(conn).update(enforcement.id, data))

    assert error.sqlstate == "22P02"
    assert enforcements(conn).get_by_id(enforcement.id) == enforcement


# -- delete ----------------------------------------------------------------------------


def test_delete_enforcement_keeps_its_rule_and_event(conn: Conn) -> None:
    rule = RuleFixture.unique().create(conn)
    event = EventFixture.unique().create(conn)
    enforcement = EnforcementFixture.unique(rule, event).create(conn)

    enforcements(conn).delete(enforcement.id)

    assert open_repository(RuleRepository, conn).get_by_id(rule.id) == rule
    assert open_repository(EventRepository, conn).get_by_id(event.id) == event


def test_delete_rule_sets_rule_null_and_keeps_refs(conn: Conn) -> None:
    rule = RuleFixture.unique().create(conn)
    enforcement = EnforcementFixture.unique(rule).with_(status=PROCESSED).create(conn)

    assert open_repository(RuleRepository, conn).delete(rule.id) is True

    after = enforcements(conn).get_by_id(enforcement.id)
    assert after.rule is None
    assert (after.rule_ref, after.trigger_ref) == (rule.ref, rule.trigger_ref)
    assert after.status is PROCESSED
    assert enforcements(conn).find_by_rule(rule.id) == []


def test_delete_event_sets_event_null_and_keeps_the_rest(conn: Conn) -> None:
    rule = RuleFixture.unique().create(conn)
    event = EventFixture.unique().create(conn)
    enforcement = (
        EnforcementFixture.unique(rule, event)
        .with_(payload={"p": 1}, conditions=CONDITIONS, condition=EnforcementCondition.ANY)
        .create(conn)
    )

    assert open_repository(EventRepository, conn).delete(event.id) is True

    after = enforcements(conn).get_by_id(enforcement.id)
    assert after.event is None
    assert after.rule == rule.id
    assert (after.payload, after.conditions) == ({"p": 1}, CONDITIONS)
    assert after.condition is EnforcementCondition.ANY


# -- finders ---------------------------------------------------------------------------


def test_find_by_rule_returns_only_its_enforcements_newest_first(conn: Conn) -> None:
    rule = RuleFixture.unique().create(conn)
    made = make_enforcements(conn, 3, rule)
    make_enforcements(conn, 2, RuleFixture.unique().create(conn))

    assert ids(enforcements(conn).find_by_rule(rule.id)) == ids(made)[::-1]


def test_find_by_rule_respects_limit(conn: Conn) -> None:
    rule = RuleFixture.unique().create(conn)
    made = make_enforcements(conn, 3, rule)

    assert ids(enforcements(conn).find_by_rule(rule.id, limit=2)) == ids(made)[:0:-1]


def test_find_by_rule_unknown_returns_empty(conn: Conn) -> None:
    assert enforcements(conn).find_by_rule(MISSING_ID) == []


def test_find_by_status_includes_mine_with_that_status_only(conn: Conn) -> None:
    processed = make_enforcements(conn, 2, status=PROCESSED)
    others = make_enforcements(conn, 1) + make_enforcements(conn, 1, status=DISABLED)

    found = enforcements(conn).find_by_status(PROCESSED)

    assert only(found, processed) == ids(processed)[::-1]
    assert only(found, others) == []
    assert all(row.status is PROCESSED for row in found)
    assert ids(found) == newest_first(found)


def test_find_by_status_follows_a_status_change(conn: Conn) -> None:
    enforcement = EnforcementFixture.unique().create(conn)

    enforcements(conn).update(enforcement.id, UpdateEnforcementInput(status=DISABLED))

    assert only(enforcements(conn).find_by_status(DISABLED), [enforcement]) == [enforcement.id]
    assert only(enforcements(conn).find_by_status(CREATED), [enforcement]) == []


def test_find_by_status_respects_limit(conn: Conn) -> None:
    made = make_enforcements(conn, 3, status=DISABLED)
    shift_created(conn, "enforcement", ids(made), timedelta(days=36500))

    found = enforcements(conn).find_by_status(DISABLED, limit=2)

    assert ids(found) == ids(made)[:0:-1]


def test_find_by_event_returns_only_its_enforcements_newest_first(conn: Conn) -> None:
    event = EventFixture.unique().create(conn)
    made = [EnforcementFixture.unique(event=event).create(conn) for _ in range(3)]
    EnforcementFixture.unique(event=EventFixture.unique().create(conn)).create(conn)

    assert ids(enforcements(conn).find_by_event(event.id)) == ids(made)[::-1]
    assert ids(enforcements(conn).find_by_event(event.id, limit=1)) == [made[2].id]
