"""RuleRepository against the real database, beyond what every repository does
(test_common.py): ref rules, round trips, finders, and the delete rules around a rule.

Rules here belong to a pack the test made (refs `<unique pack>.<name>`), so
assertions look only at the test's rows. A rule blocks the deletion of its action
and trigger (NO ACTION foreign keys), yet deleting its pack cascades through it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from attune_common.errors import AlreadyExists, ReferenceViolation, ValidationError
from attune_common.models import Action, Pack, Rule, Trigger
from attune_common.repositories import (
    ActionRepository,
    CreateRuleInput,
    EnforcementRepository,
    PackRepository,
    PolicyRepository,
    RuleRepository,
    TriggerRepository,
    UpdateRuleInput,
)
from tests.builders import (
    ActionFixture,
    Conn,
    EnforcementFixture,
    PackFixture,
    PolicyFixture,
    RuleFixture,
    TriggerFixture,
)
from tests.helpers import MISSING_ID, ids, only

CONDITIONS: list[Any] = [
    {"operator": "equals", "pattern": "payload.status", "value": "failed"},
    {"operator": "in", "pattern": "payload.host", "value": ["a", "b"]},
]


# -- helpers ---------------------------------------------------------------------------


def rules(conn: Conn) -> RuleRepository:
    return RuleRepository(conn)


def make_rules(
    conn: Conn,
    pack: Pack,
    *names: str,
    action: Action | None = None,
    trigger: Trigger | None = None,
    **fields: Any,
) -> list[Rule]:
    """Rules `<pack>.<name>` of `pack`, created in the order given."""
    fixture = RuleFixture.unique(pack, action, trigger)
    return [fixture.with_(ref=f"{pack.ref}.{name}", **fields).create(conn) for name in names]


def full_input(pack: Pack, action: Action, trigger: Trigger) -> CreateRuleInput:
    return CreateRuleInput(
        ref=f"{pack.ref}.on_failure",
        pack=pack.id,
        pack_ref=pack.ref,
        label="On failure",
        description="restarts what failed",
        action=action.id,
        action_ref=action.ref,
        trigger=trigger.id,
        trigger_ref=trigger.ref,
        conditions=CONDITIONS,
        action_params={"service": "{{ payload.service }}", "retries": 3},
        trigger_params={"interval": 30, "tags": ["prod"]},
        enabled=False,
    )


@pytest.fixture
def pack(conn: Conn) -> Pack:
    return PackFixture.unique().create(conn)


@pytest.fixture
def action(conn: Conn, pack: Pack) -> Action:
    return ActionFixture.unique(pack).create(conn)


@pytest.fixture
def trigger(conn: Conn, pack: Pack) -> Trigger:
    return TriggerFixture.unique(pack).create(conn)


# -- create ----------------------------------------------------------------------------


def test_create_minimal_applies_schema_defaults(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    data = CreateRuleInput(
        ref=f"{pack.ref}.minimal",
        pack=pack.id,
        pack_ref=pack.ref,
        label="Minimal",
        description="the least a rule needs",
        action=action.id,
        action_ref=action.ref,
        trigger=trigger.id,
        trigger_ref=trigger.ref,
    )
    rule = rules(conn).create(data)
    assert rule.id > 0
    assert (rule.ref, rule.pack, rule.action, rule.trigger) == (
        data.ref,
        pack.id,
        action.id,
        trigger.id,
    )
    assert (rule.pack_ref, rule.action_ref, rule.trigger_ref) == (
        pack.ref,
        action.ref,
        trigger.ref,
    )
    assert (rule.conditions, rule.action_params, rule.trigger_params) == ([], {}, {})
    assert rule.enabled is True
    assert rule.created == rule.updated


def test_create_full_round_trips_every_field(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    data = full_input(pack, action, trigger)
    created = rules(conn).create(data)
    stored = rules(conn).get_by_id(created.id)
    assert stored == created
    for column in (
        "ref",
        "pack",
        "pack_ref",
        "label",
        "description",
        "action",
        "action_ref",
        "trigger",
        "trigger_ref",
        "conditions",
        "action_params",
        "trigger_params",
        "enabled",
    ):
        assert getattr(stored, column) == getattr(data, column), column


def test_create_null_params_are_stored_as_null(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    data = replace(full_input(pack, action, trigger), action_params=None, trigger_params=None)
    rule = rules(conn).create(data)
    stored = rules(conn).get_by_id(rule.id)
    assert (stored.action_params, stored.trigger_params) == (None, None)


def test_create_duplicate_ref_raises_already_exists(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    (original,) = make_rules(conn, pack, "dup")
    data = replace(full_input(pack, action, trigger), ref=original.ref)
    with pytest.raises(AlreadyExists) as caught, conn.transaction():
        rules(conn).create(data)
    assert caught.value.constraint == "rule_ref_key"
    assert rules(conn).get_by_ref(original.ref) == original
    assert rules(conn).find_by_action(action.id) == []


@pytest.mark.parametrize(
    "name", ["Upper", "", "two.dots"], ids=["uppercase", "empty_name", "two_dots"]
)
def test_create_malformed_ref_raises_validation_error(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger, name: str
) -> None:
    data = replace(full_input(pack, action, trigger), ref=f"{pack.ref}.{name}")
    with pytest.raises(ValidationError) as caught, conn.transaction():
        rules(conn).create(data)
    assert caught.value.constraint == "rule_ref_format"
    assert rules(conn).find_by_pack(pack.id) == []


@pytest.mark.parametrize(
    ("column", "constraint"),
    [("pack", "rule_pack_fkey"), ("action", "rule_action_fkey"), ("trigger", "rule_trigger_fkey")],
)
def test_create_missing_reference_raises_reference_violation(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger, column: str, constraint: str
) -> None:
    missing: dict[str, Any] = {column: MISSING_ID}
    data = replace(full_input(pack, action, trigger), **missing)
    with pytest.raises(ReferenceViolation) as caught, conn.transaction():
        rules(conn).create(data)
    assert caught.value.constraint == constraint
    assert rules(conn).find_by_ref(data.ref) is None


def test_create_non_json_conditions_raises_validation_error(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    data = replace(full_input(pack, action, trigger), conditions=[{"value": float("nan")}])
    with pytest.raises(ValidationError) as caught:
        rules(conn).create(data)
    assert caught.value.column == "conditions"
    assert rules(conn).find_by_ref(data.ref) is None


# -- finders ---------------------------------------------------------------------------


def test_find_by_pack_returns_its_rules_in_ref_order(conn: Conn, pack: Pack) -> None:
    c, a, b = make_rules(conn, pack, "c", "a", "b")
    other = RuleFixture.unique().create(conn)
    found = rules(conn).find_by_pack(pack.id)
    assert ids(found) == [a.id, b.id, c.id]
    assert other.id not in ids(found)


def test_find_by_pack_respects_limit(conn: Conn, pack: Pack) -> None:
    _, a, b = make_rules(conn, pack, "c", "a", "b")
    assert rules(conn).find_by_pack(pack.id, limit=2) == [a, b]


def test_find_by_pack_without_rules_returns_empty(conn: Conn, pack: Pack) -> None:
    RuleFixture.unique().create(conn)
    assert rules(conn).find_by_pack(pack.id) == []


def test_find_by_action_returns_its_rules_in_ref_order(
    conn: Conn, pack: Pack, action: Action
) -> None:
    b, a = make_rules(conn, pack, "b", "a", action=action)
    (other,) = make_rules(conn, pack, "c")
    found = rules(conn).find_by_action(action.id)
    assert ids(found) == [a.id, b.id]
    assert other.id not in ids(found)
    assert all(rule.action == action.id for rule in found)


def test_find_by_action_respects_limit(conn: Conn, pack: Pack, action: Action) -> None:
    _, a = make_rules(conn, pack, "b", "a", action=action)
    assert rules(conn).find_by_action(action.id, limit=1) == [a]


def test_find_by_action_without_rules_returns_empty(conn: Conn, pack: Pack, action: Action) -> None:
    make_rules(conn, pack, "a")
    assert rules(conn).find_by_action(action.id) == []


def test_find_by_trigger_returns_its_rules_in_ref_order(
    conn: Conn, pack: Pack, trigger: Trigger
) -> None:
    b, a = make_rules(conn, pack, "b", "a", trigger=trigger)
    (other,) = make_rules(conn, pack, "c")
    found = rules(conn).find_by_trigger(trigger.id)
    assert ids(found) == [a.id, b.id]
    assert other.id not in ids(found)
    assert all(rule.trigger == trigger.id for rule in found)


def test_find_by_trigger_respects_limit(conn: Conn, pack: Pack, trigger: Trigger) -> None:
    _, a = make_rules(conn, pack, "b", "a", trigger=trigger)
    assert rules(conn).find_by_trigger(trigger.id, limit=1) == [a]


def test_find_by_trigger_without_rules_returns_empty(
    conn: Conn, pack: Pack, trigger: Trigger
) -> None:
    make_rules(conn, pack, "a")
    assert rules(conn).find_by_trigger(trigger.id) == []


def test_find_enabled_returns_enabled_rules_in_ref_order(conn: Conn, pack: Pack) -> None:
    c, a = make_rules(conn, pack, "c", "a")
    (disabled,) = make_rules(conn, pack, "b", enabled=False)
    found = rules(conn).find_enabled()
    assert only(found, [a, c, disabled]) == [a.id, c.id]
    assert all(rule.enabled for rule in found)


def test_find_enabled_follows_updates(conn: Conn, pack: Pack) -> None:
    on, off = make_rules(conn, pack, "on", "off")
    repository = rules(conn)
    repository.update(on.id, UpdateRuleInput(enabled=False))
    repository.update(off.id, UpdateRuleInput(enabled=False))
    repository.update(off.id, UpdateRuleInput(enabled=True))
    assert only(repository.find_enabled(), [on, off]) == [off.id]


def test_find_enabled_respects_limit(snapshot: Conn) -> None:
    # The limit cuts the whole table's list: compare pages of one snapshot, in which
    # rows other workers commit meanwhile cannot appear.
    make_rules(snapshot, PackFixture.unique().create(snapshot), "a", "b", "c")
    repository = rules(snapshot)
    everything = repository.find_enabled()
    assert len(everything) >= 3
    assert repository.find_enabled(limit=2) == everything[:2]


# -- update ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("label", "Renamed"),
        ("description", "does something else"),
        ("conditions", [{"operator": "exists", "pattern": "payload.id"}]),
        ("action_params", {"only": "this"}),
        ("trigger_params", {}),
        ("enabled", True),
    ],
)
def test_update_changes_only_that_field(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger, column: str, value: Any
) -> None:
    before = rules(conn).create(full_input(pack, action, trigger))
    updated = rules(conn).update(before.id, UpdateRuleInput(**{column: value}))
    assert updated == replace(before, **{column: value})
    assert rules(conn).get_by_id(before.id) == updated


def test_update_false_and_empty_values_are_changes(conn: Conn, pack: Pack) -> None:
    (before,) = make_rules(conn, pack, "r", conditions=CONDITIONS, action_params={"a": 1})
    updated = rules(conn).update(
        before.id, UpdateRuleInput(enabled=False, conditions=[], action_params={})
    )
    assert updated == replace(before, enabled=False, conditions=[], action_params={})


def test_update_refused_value_changes_nothing(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    before = rules(conn).create(full_input(pack, action, trigger))
    with pytest.raises(ValidationError), conn.transaction():
        # A NUL character is valid JSON but PostgreSQL's jsonb cannot hold it.
        rules(conn).update(before.id, UpdateRuleInput(label="new", action_params={"x": "\x00"}))
    assert rules(conn).get_by_id(before.id) == before


# -- delete ----------------------------------------------------------------------------


def test_delete_action_used_by_a_rule_is_refused(conn: Conn, pack: Pack, action: Action) -> None:
    (rule,) = make_rules(conn, pack, "uses", action=action)
    with pytest.raises(ReferenceViolation) as caught, conn.transaction():
        ActionRepository(conn).delete(action.id)
    assert caught.value.constraint == "rule_action_fkey"
    assert ActionRepository(conn).get_by_id(action.id) == action
    assert rules(conn).get_by_id(rule.id) == rule


def test_delete_trigger_used_by_a_rule_is_refused(conn: Conn, pack: Pack, trigger: Trigger) -> None:
    (rule,) = make_rules(conn, pack, "uses", trigger=trigger)
    with pytest.raises(ReferenceViolation) as caught, conn.transaction():
        TriggerRepository(conn).delete(trigger.id)
    assert caught.value.constraint == "rule_trigger_fkey"
    assert TriggerRepository(conn).get_by_id(trigger.id) == trigger
    assert rules(conn).get_by_id(rule.id) == rule


def test_delete_rule_first_frees_its_action_and_trigger(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    (rule,) = make_rules(conn, pack, "uses", action=action, trigger=trigger)
    assert rules(conn).delete(rule.id) is True
    assert ActionRepository(conn).delete(action.id) is True
    assert TriggerRepository(conn).delete(trigger.id) is True
    assert ActionRepository(conn).find_by_id(action.id) is None
    assert TriggerRepository(conn).find_by_id(trigger.id) is None


def test_delete_pack_cascades_through_rules_actions_and_policies(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    owned_rules = make_rules(conn, pack, "a", "b", action=action, trigger=trigger)
    policy = PolicyFixture.unique(pack, action).create(conn)
    elsewhere = RuleFixture.unique().create(conn)
    assert PackRepository(conn).delete(pack.id) is True
    assert all(rules(conn).find_by_id(rule.id) is None for rule in owned_rules)
    assert ActionRepository(conn).find_by_id(action.id) is None
    assert TriggerRepository(conn).find_by_id(trigger.id) is None
    assert PolicyRepository(conn).find_by_id(policy.id) is None
    assert rules(conn).get_by_id(elsewhere.id) == elsewhere


def test_delete_pack_whose_action_another_pack_uses_is_refused(
    conn: Conn, pack: Pack, action: Action
) -> None:
    other_pack = PackFixture.unique().create(conn)
    (foreign_rule,) = make_rules(conn, other_pack, "borrows", action=action)
    (own_rule,) = make_rules(conn, pack, "own")
    with pytest.raises(ReferenceViolation) as caught, conn.transaction():
        PackRepository(conn).delete(pack.id)
    assert caught.value.constraint == "rule_action_fkey"
    assert PackRepository(conn).get_by_id(pack.id) == pack
    assert ActionRepository(conn).get_by_id(action.id) == action
    assert rules(conn).get_by_id(own_rule.id) == own_rule
    assert rules(conn).get_by_id(foreign_rule.id) == foreign_rule


def test_delete_keeps_enforcements_with_their_rule_ref(conn: Conn, pack: Pack) -> None:
    (rule,) = make_rules(conn, pack, "fired")
    enforcement = EnforcementFixture.unique(rule).create(conn)
    assert rules(conn).delete(rule.id) is True
    kept = EnforcementRepository(conn).get_by_id(enforcement.id)
    assert (kept.rule, kept.rule_ref, kept.trigger_ref) == (None, rule.ref, rule.trigger_ref)
    assert replace(kept, rule=rule.id, updated=enforcement.updated) == enforcement
