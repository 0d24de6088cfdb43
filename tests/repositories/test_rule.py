"""RuleRepository against the real database, and the delete rules around a rule.

Rules here belong to a pack the test made (refs `<unique pack>.<name>`), so
assertions look only at the test's rows. A rule blocks the deletion of its action
and trigger (NO ACTION foreign keys), yet deleting its pack cascades through it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import psycopg
import pytest

from attune_common.errors import AlreadyExists, NotFound, ReferenceViolation, ValidationError
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

MISSING_ID = 2**63 - 1
"""The largest BIGINT: no sequence in a test run gets there."""

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


def ids(rows: Sequence[Rule]) -> list[int]:
    return [row.id for row in rows]


def only(rows: Sequence[Rule], *made: Rule) -> list[int]:
    """The ids of `rows` that are among `made`, in the order `rows` has them."""
    wanted = {rule.id for rule in made}
    return [row.id for row in rows if row.id in wanted]


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


@pytest.fixture
def committed_pack(conn: Conn) -> Iterator[Pack]:
    """A pack other transactions see; deleting it afterwards removes what it owns."""
    pack = PackFixture.unique().create(conn)
    conn.commit()
    yield pack
    conn.rollback()
    PackRepository(conn).delete(pack.id)
    conn.commit()


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


# -- read ------------------------------------------------------------------------------


def test_find_by_id_returns_the_rule(conn: Conn, pack: Pack) -> None:
    (rule,) = make_rules(conn, pack, "one")
    assert rules(conn).find_by_id(rule.id) == rule
    assert rules(conn).get_by_id(rule.id) == rule


def test_find_by_id_missing_returns_none(conn: Conn) -> None:
    assert rules(conn).find_by_id(MISSING_ID) is None


def test_get_by_id_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound) as caught:
        rules(conn).get_by_id(MISSING_ID)
    assert (caught.value.entity, caught.value.field, caught.value.value) == (
        "Rule",
        "id",
        MISSING_ID,
    )


def test_find_by_ref_returns_the_rule(conn: Conn, pack: Pack) -> None:
    (rule,) = make_rules(conn, pack, "byref")
    assert rules(conn).find_by_ref(rule.ref) == rule
    assert rules(conn).get_by_ref(rule.ref) == rule


def test_find_by_ref_missing_returns_none_and_get_raises(conn: Conn, pack: Pack) -> None:
    ref = f"{pack.ref}.absent"
    assert rules(conn).find_by_ref(ref) is None
    with pytest.raises(NotFound) as caught:
        rules(conn).get_by_ref(ref)
    assert (caught.value.entity, caught.value.field, caught.value.value) == ("Rule", "ref", ref)


def test_list_contains_mine_in_ref_order(conn: Conn, pack: Pack) -> None:
    c, a, b = make_rules(conn, pack, "c", "a", "b")
    assert only(rules(conn).list(), a, b, c) == [a.id, b.id, c.id]


def test_list_pages_with_limit_and_offset(conn: Conn) -> None:
    # One snapshot for every statement (set before the transaction starts): rows other
    # workers commit meanwhile cannot shift the offsets between the calls.
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    pack = PackFixture.unique().create(conn)
    c, a, b = make_rules(conn, pack, "c", "a", "b")
    repository = rules(conn)
    start = ids(repository.list(limit=repository.count())).index(a.id)
    assert repository.list(limit=1, offset=start) == [a]
    assert repository.list(limit=2, offset=start + 1) == [b, c]


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
    assert only(found, a, c, disabled) == [a.id, c.id]
    assert all(rule.enabled for rule in found)


def test_find_enabled_follows_updates(conn: Conn, pack: Pack) -> None:
    on, off = make_rules(conn, pack, "on", "off")
    repository = rules(conn)
    repository.update(on.id, UpdateRuleInput(enabled=False))
    repository.update(off.id, UpdateRuleInput(enabled=False))
    repository.update(off.id, UpdateRuleInput(enabled=True))
    assert only(repository.find_enabled(), on, off) == [off.id]


def test_find_enabled_respects_limit(conn: Conn) -> None:
    # The limit cuts the whole table's list: compare pages of one snapshot, in which
    # rows other workers commit meanwhile cannot appear.
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    make_rules(conn, PackFixture.unique().create(conn), "a", "b", "c")
    repository = rules(conn)
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


def test_update_with_nothing_returns_row_unchanged(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    before = rules(conn).create(full_input(pack, action, trigger))
    assert rules(conn).update(before.id, UpdateRuleInput()) == before
    assert rules(conn).get_by_id(before.id) == before


@pytest.mark.parametrize(
    "data", [UpdateRuleInput(enabled=False), UpdateRuleInput()], ids=["change", "empty"]
)
def test_update_missing_id_raises_not_found(conn: Conn, data: UpdateRuleInput) -> None:
    with pytest.raises(NotFound) as caught:
        rules(conn).update(MISSING_ID, data)
    assert (caught.value.entity, caught.value.value) == ("Rule", MISSING_ID)


def test_update_refused_value_changes_nothing(
    conn: Conn, pack: Pack, action: Action, trigger: Trigger
) -> None:
    before = rules(conn).create(full_input(pack, action, trigger))
    with pytest.raises(ValidationError), conn.transaction():
        # A NUL character is valid JSON but PostgreSQL's jsonb cannot hold it.
        rules(conn).update(before.id, UpdateRuleInput(label="new", action_params={"x": "\x00"}))
    assert rules(conn).get_by_id(before.id) == before


def test_update_moves_updated_in_a_later_transaction(conn: Conn, committed_pack: Pack) -> None:
    (before,) = make_rules(conn, committed_pack, "stamped")
    conn.commit()
    updated = rules(conn).update(before.id, UpdateRuleInput(enabled=False))
    assert updated.updated > before.updated
    assert updated.created == before.created


# -- delete ----------------------------------------------------------------------------


def test_delete_removes_the_rule(conn: Conn, pack: Pack) -> None:
    rule, kept = make_rules(conn, pack, "gone", "kept")
    assert rules(conn).delete(rule.id) is True
    assert rules(conn).find_by_id(rule.id) is None
    assert rules(conn).find_by_pack(pack.id) == [kept]


def test_delete_missing_returns_false(conn: Conn) -> None:
    assert rules(conn).delete(MISSING_ID) is False


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
