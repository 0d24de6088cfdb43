"""ActionRepository against the real database, beyond what every repository does
(test_common.py): ref rules, round trips, finders, search and delete rules.

Every action here belongs to a pack the test made (refs `<unique pack>.<name>`), so
assertions look only at the test's rows; other workers' committed rows may appear in
any list.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from attune_common.errors import AlreadyExists, ReferenceViolation, ValidationError
from attune_common.models import Action, Pack
from attune_common.repositories import (
    ActionRepository,
    CreateActionInput,
    ExecutionRepository,
    PackRepository,
    PolicyRepository,
    QueueStatsRepository,
    RuntimeRepository,
    UpdateActionInput,
)
from tests.builders import (
    ActionFixture,
    Conn,
    ExecutionFixture,
    PackFixture,
    PolicyFixture,
    QueueStatsFixture,
    RuntimeFixture,
    unique_name,
)
from tests.helpers import MISSING_ID, ids

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"host": {"type": "string"}, "port": {"type": "integer", "maximum": 65535}},
    "required": ["host"],
    "note": "héllo, 日本語 🚀",
    "flags": [True, False, None, 1.5],
}


# -- helpers ---------------------------------------------------------------------------


def actions(conn: Conn) -> ActionRepository:
    return ActionRepository(conn)


def make_actions(conn: Conn, pack: Pack, *names: str, **fields: Any) -> list[Action]:
    """Actions `<pack>.<name>` of `pack`, created in the order given."""
    return [
        ActionFixture.unique(pack).with_(ref=f"{pack.ref}.{name}", **fields).create(conn)
        for name in names
    ]


def full_input(conn: Conn, pack: Pack) -> CreateActionInput:
    runtime = RuntimeFixture.unique(pack).create(conn)
    return CreateActionInput(
        ref=f"{pack.ref}.deploy",
        pack=pack.id,
        pack_ref=pack.ref,
        label="Deploy",
        description="deploys the service",
        entrypoint="actions/deploy.py",
        runtime=runtime.id,
        param_schema=SCHEMA,
        out_schema={"type": "array", "items": {"type": "string"}},
    )


@pytest.fixture
def pack(conn: Conn) -> Pack:
    return PackFixture.unique().create(conn)


# -- create ----------------------------------------------------------------------------


def test_create_minimal_applies_schema_defaults(conn: Conn, pack: Pack) -> None:
    data = CreateActionInput(
        ref=f"{pack.ref}.minimal",
        pack=pack.id,
        pack_ref=pack.ref,
        label="Minimal",
        description="the least an action needs",
        entrypoint="actions/minimal.sh",
    )
    action = actions(conn).create(data)
    assert action.id > 0
    assert (action.ref, action.pack, action.pack_ref) == (data.ref, pack.id, pack.ref)
    assert (action.label, action.description, action.entrypoint) == (
        "Minimal",
        "the least an action needs",
        "actions/minimal.sh",
    )
    assert (action.runtime, action.param_schema, action.out_schema) == (None, None, None)
    assert action.created == action.updated
    assert action.created.tzinfo is not None


def test_create_full_round_trips_every_field(conn: Conn, pack: Pack) -> None:
    data = full_input(conn, pack)
    created = actions(conn).create(data)
    stored = actions(conn).get_by_id(created.id)
    assert stored == created
    for column in (
        "ref",
        "pack",
        "pack_ref",
        "label",
        "description",
        "entrypoint",
        "runtime",
        "param_schema",
        "out_schema",
    ):
        assert getattr(stored, column) == getattr(data, column), column


def test_create_duplicate_ref_raises_already_exists(conn: Conn, pack: Pack) -> None:
    (original,) = make_actions(conn, pack, "dup")
    data = replace(full_input(conn, pack), ref=original.ref)
    with pytest.raises(AlreadyExists) as caught, conn.transaction():
        actions(conn).create(data)
    assert caught.value.constraint == "action_ref_key"
    assert actions(conn).find_by_pack(pack.id) == [original]


@pytest.mark.parametrize(
    "name", ["Upper", "", "two.dots"], ids=["uppercase", "empty_name", "two_dots"]
)
def test_create_malformed_ref_raises_validation_error(conn: Conn, pack: Pack, name: str) -> None:
    ref = f"{pack.ref}.{name}"
    data = replace(full_input(conn, pack), ref=ref)
    with pytest.raises(ValidationError) as caught, conn.transaction():
        actions(conn).create(data)
    assert caught.value.constraint == "action_ref_format"
    assert actions(conn).find_by_ref(ref) is None


def test_create_ref_without_dot_raises_validation_error(conn: Conn, pack: Pack) -> None:
    data = replace(full_input(conn, pack), ref=f"{pack.ref}deploy")
    with pytest.raises(ValidationError) as caught, conn.transaction():
        actions(conn).create(data)
    assert caught.value.constraint == "action_ref_format"
    assert actions(conn).find_by_pack(pack.id) == []


@pytest.mark.parametrize(
    ("column", "constraint"),
    [("pack", "action_pack_fkey"), ("runtime", "action_runtime_fkey")],
)
def test_create_missing_reference_raises_reference_violation(
    conn: Conn, pack: Pack, column: str, constraint: str
) -> None:
    missing: dict[str, Any] = {column: MISSING_ID}
    data = replace(full_input(conn, pack), **missing)
    with pytest.raises(ReferenceViolation) as caught, conn.transaction():
        actions(conn).create(data)
    assert caught.value.constraint == constraint
    assert actions(conn).find_by_ref(data.ref) is None


def test_create_non_json_schema_raises_validation_error(conn: Conn, pack: Pack) -> None:
    data = replace(full_input(conn, pack), param_schema={"default": object()})
    with pytest.raises(ValidationError) as caught:
        actions(conn).create(data)
    assert caught.value.column == "param_schema"
    assert actions(conn).find_by_ref(data.ref) is None


# -- finders ---------------------------------------------------------------------------


def test_find_by_pack_returns_its_actions_in_ref_order(conn: Conn, pack: Pack) -> None:
    c, a, b = make_actions(conn, pack, "c", "a", "b")
    other = ActionFixture.unique().create(conn)
    found = actions(conn).find_by_pack(pack.id)
    assert ids(found) == [a.id, b.id, c.id]
    assert other.id not in ids(found)
    assert all(action.pack == pack.id for action in found)


def test_find_by_pack_respects_limit(conn: Conn, pack: Pack) -> None:
    _, a, b = make_actions(conn, pack, "c", "a", "b")
    assert actions(conn).find_by_pack(pack.id, limit=2) == [a, b]


def test_find_by_pack_without_actions_returns_empty(conn: Conn, pack: Pack) -> None:
    ActionFixture.unique().create(conn)
    assert actions(conn).find_by_pack(pack.id) == []


def test_find_by_runtime_returns_its_actions_in_ref_order(conn: Conn, pack: Pack) -> None:
    runtime = RuntimeFixture.unique(pack).create(conn)
    other_runtime = RuntimeFixture.unique(pack).create(conn)
    b, a = make_actions(conn, pack, "b", "a", runtime=runtime.id)
    (elsewhere,) = make_actions(conn, pack, "c", runtime=other_runtime.id)
    (nowhere,) = make_actions(conn, pack, "d")
    found = actions(conn).find_by_runtime(runtime.id)
    assert ids(found) == [a.id, b.id]
    assert not {elsewhere.id, nowhere.id} & set(ids(found))
    assert all(action.runtime == runtime.id for action in found)


def test_find_by_runtime_respects_limit(conn: Conn, pack: Pack) -> None:
    runtime = RuntimeFixture.unique(pack).create(conn)
    _, a = make_actions(conn, pack, "b", "a", runtime=runtime.id)
    assert actions(conn).find_by_runtime(runtime.id, limit=1) == [a]


def test_search_matches_ref_label_and_description(conn: Conn, pack: Pack) -> None:
    token = unique_name("s")
    (by_ref,) = make_actions(conn, pack, f"b{token}")
    (by_label,) = make_actions(conn, pack, "a", label=f"Label with {token} inside")
    (by_description,) = make_actions(conn, pack, "c", description=f"mentions {token}")
    (unrelated,) = make_actions(conn, pack, "d")
    found = actions(conn).search(token)
    assert ids(found) == [by_label.id, by_ref.id, by_description.id]
    assert unrelated.id not in ids(found)


def test_search_is_case_insensitive(conn: Conn, pack: Pack) -> None:
    token = unique_name("s")
    (in_ref,) = make_actions(conn, pack, f"a{token}")
    (in_label,) = make_actions(conn, pack, "b", label=f"Deploy {token.upper()}")
    (in_description,) = make_actions(conn, pack, "c", description=f"x{token.title()}y")
    found = actions(conn).search(token.upper())
    assert ids(found) == [in_ref.id, in_label.id, in_description.id]
    assert actions(conn).search(token.title()) == found


@pytest.mark.parametrize(
    ("wanted", "lookalike"),
    [("50% off", "50x off"), ("a_b", "axb"), ("c:\\dir", "c:dir")],
    ids=["percent", "underscore", "backslash"],
)
def test_search_matches_special_characters_literally(
    conn: Conn, pack: Pack, wanted: str, lookalike: str
) -> None:
    token = unique_name("s")
    (hit,) = make_actions(conn, pack, "hit", label=f"{token} {wanted}")
    (miss,) = make_actions(conn, pack, "miss", label=f"{token} {lookalike}")
    found = actions(conn).search(f"{token} {wanted}")
    assert hit.id in ids(found)
    assert miss.id not in ids(found)
    text = f"{token} {wanted}".lower()
    for action in found:
        assert text in f"{action.ref}\n{action.label}\n{action.description}".lower()


def test_search_respects_limit(conn: Conn, pack: Pack) -> None:
    token = unique_name("s")
    _, a = make_actions(conn, pack, "b", "a", description=f"about {token}")
    assert actions(conn).search(token, limit=1) == [a]


def test_search_without_match_returns_empty(conn: Conn, pack: Pack) -> None:
    make_actions(conn, pack, "a")
    assert actions(conn).search(unique_name("nothing")) == []


# -- update ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("label", "Renamed"),
        ("description", "does something else"),
        ("entrypoint", "actions/other.py"),
        ("param_schema", {"type": "object", "properties": {"n": {"type": "integer"}}}),
        ("out_schema", ["a", {"b": None}]),
    ],
)
def test_update_changes_only_that_field(conn: Conn, pack: Pack, column: str, value: Any) -> None:
    before = actions(conn).create(full_input(conn, pack))
    updated = actions(conn).update(before.id, UpdateActionInput(**{column: value}))
    assert updated == replace(before, **{column: value})
    assert actions(conn).get_by_id(before.id) == updated


def test_update_runtime_links_another_runtime(conn: Conn, pack: Pack) -> None:
    before = actions(conn).create(full_input(conn, pack))
    runtime = RuntimeFixture.unique(pack).create(conn)
    updated = actions(conn).update(before.id, UpdateActionInput(runtime=runtime.id))
    assert updated == replace(before, runtime=runtime.id)
    assert actions(conn).find_by_runtime(runtime.id) == [updated]


def test_update_missing_runtime_is_refused_and_changes_nothing(conn: Conn, pack: Pack) -> None:
    before = actions(conn).create(full_input(conn, pack))
    with pytest.raises(ReferenceViolation) as caught, conn.transaction():
        actions(conn).update(before.id, UpdateActionInput(label="new", runtime=MISSING_ID))
    assert caught.value.constraint == "action_runtime_fkey"
    assert actions(conn).get_by_id(before.id) == before


# -- delete ----------------------------------------------------------------------------


def test_delete_removes_its_policies_and_queue_stats(conn: Conn, pack: Pack) -> None:
    action, other = make_actions(conn, pack, "limited", "other")
    policy = PolicyFixture.unique(pack, action).create(conn)
    other_policy = PolicyFixture.unique(pack, other).create(conn)
    QueueStatsFixture.unique(action).create(conn)
    QueueStatsFixture.unique(other).create(conn)
    assert actions(conn).delete(action.id) is True
    assert PolicyRepository(conn).find_by_id(policy.id) is None
    assert QueueStatsRepository(conn).find_by_id(action.id) is None
    assert PolicyRepository(conn).find_by_id(other_policy.id) == other_policy
    assert QueueStatsRepository(conn).find_by_id(other.id) is not None


def test_delete_keeps_executions_with_their_action_ref(conn: Conn, pack: Pack) -> None:
    (action,) = make_actions(conn, pack, "ran")
    execution = ExecutionFixture.unique(action).create(conn)
    assert actions(conn).delete(action.id) is True
    kept = ExecutionRepository(conn).get_by_id(execution.id)
    assert kept.action is None
    assert kept.action_ref == action.ref
    assert replace(kept, action=execution.action, updated=execution.updated) == execution


def test_delete_runtime_unlinks_its_actions(conn: Conn, pack: Pack) -> None:
    runtime = RuntimeFixture.unique(pack).create(conn)
    (action,) = make_actions(conn, pack, "hosted", runtime=runtime.id)
    assert RuntimeRepository(conn).delete(runtime.id) is True
    assert actions(conn).get_by_id(action.id) == replace(action, runtime=None)
    assert actions(conn).find_by_runtime(runtime.id) == []


def test_delete_pack_removes_its_actions(conn: Conn, pack: Pack) -> None:
    owned = make_actions(conn, pack, "a", "b")
    other = ActionFixture.unique().create(conn)
    assert PackRepository(conn).delete(pack.id) is True
    assert all(actions(conn).find_by_id(action.id) is None for action in owned)
    assert actions(conn).get_by_id(other.id) == other
