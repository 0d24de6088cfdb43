"""PolicyRepository against the real database, beyond what every repository does
(test_common.py): ref and threshold rules, round trips, finders and delete rules.

Policies here belong to a pack the test made (refs `<unique pack>.<name>`) and carry
unique tags, so assertions look only at the test's rows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from attune_common.errors import AlreadyExists, ReferenceViolation, ValidationError
from attune_common.models import Action, Pack, Policy, PolicyMethod
from attune_common.repositories import (
    ActionRepository,
    CreatePolicyInput,
    PackRepository,
    PolicyRepository,
    UpdatePolicyInput,
)
from tests.builders import ActionFixture, Conn, PackFixture, PolicyFixture, unique_name
from tests.helpers import MISSING_ID, ids, only

# -- helpers ---------------------------------------------------------------------------


def policies(conn: Conn) -> PolicyRepository:
    return PolicyRepository(conn)


def make_policies(
    conn: Conn, pack: Pack, *names: str, action: Action | None = None, **fields: Any
) -> list[Policy]:
    """Policies `<pack>.<name>` of `pack` (and of `action`), created in the order given."""
    return [
        PolicyFixture.unique(pack, action).with_(ref=f"{pack.ref}.{name}", **fields).create(conn)
        for name in names
    ]


def full_input(pack: Pack, action: Action) -> CreatePolicyInput:
    return CreatePolicyInput(
        ref=f"{pack.ref}.concurrency",
        method=PolicyMethod.CANCEL,
        threshold=5,
        name="at most five at once",
        pack=pack.id,
        pack_ref=pack.ref,
        action=action.id,
        action_ref=action.ref,
        parameters=["host", "port"],
        description="cancels runs beyond five",
        tags=["limits", "ops"],
    )


@pytest.fixture
def pack(conn: Conn) -> Pack:
    return PackFixture.unique().create(conn)


@pytest.fixture
def action(conn: Conn, pack: Pack) -> Action:
    return ActionFixture.unique(pack).create(conn)


# -- create ----------------------------------------------------------------------------


def test_create_minimal_applies_schema_defaults(conn: Conn) -> None:
    ref = f"{unique_name('p')}.minimal"
    policy = policies(conn).create(
        CreatePolicyInput(ref=ref, method=PolicyMethod.ENQUEUE, threshold=1, name="minimal")
    )
    assert policy.id > 0
    assert (policy.ref, policy.method, policy.threshold, policy.name) == (
        ref,
        PolicyMethod.ENQUEUE,
        1,
        "minimal",
    )
    assert (policy.pack, policy.pack_ref, policy.action, policy.action_ref) == (None,) * 4
    assert (policy.parameters, policy.tags, policy.description) == ([], [], None)
    assert policy.created == policy.updated


def test_create_full_round_trips_every_field(conn: Conn, pack: Pack, action: Action) -> None:
    data = full_input(pack, action)
    created = policies(conn).create(data)
    stored = policies(conn).get_by_id(created.id)
    assert stored == created
    for column in (
        "ref",
        "method",
        "threshold",
        "name",
        "pack",
        "pack_ref",
        "action",
        "action_ref",
        "parameters",
        "description",
        "tags",
    ):
        assert getattr(stored, column) == getattr(data, column), column


@pytest.mark.parametrize("method", list(PolicyMethod))
def test_create_reads_back_method_as_enum(conn: Conn, pack: Pack, method: PolicyMethod) -> None:
    (policy,) = make_policies(conn, pack, "m", method=method)
    stored = policies(conn).get_by_id(policy.id)
    assert stored.method is method


def test_create_duplicate_ref_raises_already_exists(conn: Conn, pack: Pack, action: Action) -> None:
    (original,) = make_policies(conn, pack, "dup")
    data = replace(full_input(pack, action), ref=original.ref)
    with pytest.raises(AlreadyExists) as caught, conn.transaction():
        policies(conn).create(data)
    assert caught.value.constraint == "policy_ref_key"
    assert policies(conn).get_by_ref(original.ref) == original
    assert policies(conn).find_by_action(action.id) == []


@pytest.mark.parametrize(
    "name", ["Upper", "", "two.dots"], ids=["uppercase", "empty_name", "two_dots"]
)
def test_create_malformed_ref_raises_validation_error(
    conn: Conn, pack: Pack, action: Action, name: str
) -> None:
    data = replace(full_input(pack, action), ref=f"{pack.ref}.{name}")
    with pytest.raises(ValidationError) as caught, conn.transaction():
        policies(conn).create(data)
    assert caught.value.constraint == "policy_ref_format"
    assert policies(conn).find_by_action(action.id) == []


@pytest.mark.parametrize("threshold", [0, -1])
def test_create_threshold_not_positive_raises_validation_error(
    conn: Conn, pack: Pack, action: Action, threshold: int
) -> None:
    data = replace(full_input(pack, action), threshold=threshold)
    with pytest.raises(ValidationError) as caught, conn.transaction():
        policies(conn).create(data)
    assert caught.value.constraint == "policy_threshold_positive"
    assert policies(conn).find_by_ref(data.ref) is None


def test_create_threshold_beyond_integer_raises_validation_error(
    conn: Conn, pack: Pack, action: Action
) -> None:
    data = replace(full_input(pack, action), threshold=2**31)
    with pytest.raises(ValidationError), conn.transaction():
        policies(conn).create(data)
    assert policies(conn).find_by_ref(data.ref) is None


def test_create_unknown_method_raises_validation_error(
    conn: Conn, pack: Pack, action: Action
) -> None:
    data = replace(full_input(pack, action), method="throttle")  # type: ignore[arg-type]
    with pytest.raises(ValidationError), conn.transaction():
        policies(conn).create(data)
    assert policies(conn).find_by_ref(data.ref) is None


@pytest.mark.parametrize(
    ("column", "constraint"),
    [("pack", "policy_pack_fkey"), ("action", "policy_action_fkey")],
)
def test_create_missing_reference_raises_reference_violation(
    conn: Conn, pack: Pack, action: Action, column: str, constraint: str
) -> None:
    missing: dict[str, Any] = {column: MISSING_ID}
    data = replace(full_input(pack, action), **missing)
    with pytest.raises(ReferenceViolation) as caught, conn.transaction():
        policies(conn).create(data)
    assert caught.value.constraint == constraint
    assert policies(conn).find_by_ref(data.ref) is None


# -- finders ---------------------------------------------------------------------------


def test_find_by_action_returns_its_policies_in_ref_order(
    conn: Conn, pack: Pack, action: Action
) -> None:
    c, a, b = make_policies(conn, pack, "c", "a", "b", action=action)
    other = make_policies(conn, pack, "d", action=ActionFixture.unique(pack).create(conn))
    unbound = make_policies(conn, pack, "e")
    found = policies(conn).find_by_action(action.id)
    assert ids(found) == [a.id, b.id, c.id]
    assert not set(ids(other + unbound)) & set(ids(found))
    assert all(policy.action == action.id for policy in found)


def test_find_by_action_respects_limit(conn: Conn, pack: Pack, action: Action) -> None:
    _, a, b = make_policies(conn, pack, "c", "a", "b", action=action)
    assert policies(conn).find_by_action(action.id, limit=2) == [a, b]


def test_find_by_action_without_policies_returns_empty(
    conn: Conn, pack: Pack, action: Action
) -> None:
    make_policies(conn, pack, "a", action=ActionFixture.unique(pack).create(conn))
    assert policies(conn).find_by_action(action.id) == []


def test_find_by_tag_returns_tagged_policies_in_ref_order(conn: Conn, pack: Pack) -> None:
    tag = unique_name("tag")
    b, a = make_policies(conn, pack, "b", "a", tags=["ops", tag])
    (untagged,) = make_policies(conn, pack, "c", tags=["ops"])
    found = policies(conn).find_by_tag(tag)
    assert ids(found) == [a.id, b.id]
    assert untagged.id not in ids(found)


def test_find_by_tag_shared_tag_returns_only_tagged_rows(conn: Conn, pack: Pack) -> None:
    b, a = make_policies(conn, pack, "b", "a", tags=["shared-by-tests", "x"])
    (untagged,) = make_policies(conn, pack, "c", tags=["x"])
    found = policies(conn).find_by_tag("shared-by-tests")
    assert only(found, [a, b, untagged]) == [a.id, b.id]
    assert all("shared-by-tests" in policy.tags for policy in found)


def test_find_by_tag_matches_whole_tags_only(conn: Conn, pack: Pack) -> None:
    tag = unique_name("tag")
    (policy,) = make_policies(conn, pack, "a", tags=[tag])
    assert policies(conn).find_by_tag(tag[:-1]) == []
    assert policies(conn).find_by_tag(f"{tag}x") == []
    assert policies(conn).find_by_tag(tag.upper()) == []
    assert policies(conn).find_by_tag(tag) == [policy]


def test_find_by_tag_takes_array_syntax_literally(conn: Conn, pack: Pack) -> None:
    token = unique_name("tag")
    tricky = f'{token},"b"}}{{c'
    (policy,) = make_policies(conn, pack, "a", tags=[tricky])
    (split,) = make_policies(conn, pack, "b", tags=[token])
    assert policies(conn).find_by_tag(tricky) == [policy]
    assert policies(conn).find_by_tag(token) == [split]


def test_find_by_tag_respects_limit(conn: Conn, pack: Pack) -> None:
    tag = unique_name("tag")
    _, a = make_policies(conn, pack, "b", "a", tags=[tag])
    assert policies(conn).find_by_tag(tag, limit=1) == [a]


# -- update ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("parameters", ["region"]),
        ("method", PolicyMethod.ENQUEUE),
        ("threshold", 42),
        ("name", "renamed"),
        ("description", "now described differently"),
        ("tags", ["new-tag"]),
    ],
)
def test_update_changes_only_that_field(
    conn: Conn, pack: Pack, action: Action, column: str, value: Any
) -> None:
    before = policies(conn).create(full_input(pack, action))
    updated = policies(conn).update(before.id, UpdatePolicyInput(**{column: value}))
    assert updated == replace(before, **{column: value})
    assert policies(conn).get_by_id(before.id) == updated


def test_update_empty_lists_clear_parameters_and_tags(
    conn: Conn, pack: Pack, action: Action
) -> None:
    before = policies(conn).create(full_input(pack, action))
    updated = policies(conn).update(before.id, UpdatePolicyInput(parameters=[], tags=[]))
    assert updated == replace(before, parameters=[], tags=[])
    assert before.id not in ids(policies(conn).find_by_tag("limits"))


@pytest.mark.parametrize(
    "data",
    [
        UpdatePolicyInput(name="kept?", threshold=0),
        UpdatePolicyInput(name="kept?", method="throttle"),  # type: ignore[arg-type]
    ],
    ids=["threshold", "method"],
)
def test_update_refused_value_changes_nothing(
    conn: Conn, pack: Pack, action: Action, data: UpdatePolicyInput
) -> None:
    before = policies(conn).create(full_input(pack, action))
    with pytest.raises(ValidationError), conn.transaction():
        policies(conn).update(before.id, data)
    assert policies(conn).get_by_id(before.id) == before


# -- delete ----------------------------------------------------------------------------


def test_delete_action_removes_its_policies_only(conn: Conn, pack: Pack, action: Action) -> None:
    owned = make_policies(conn, pack, "a", "b", action=action)
    other_action = ActionFixture.unique(pack).create(conn)
    (other,) = make_policies(conn, pack, "c", action=other_action)
    assert ActionRepository(conn).delete(action.id) is True
    assert all(policies(conn).find_by_id(policy.id) is None for policy in owned)
    assert policies(conn).find_by_action(other_action.id) == [other]


def test_delete_pack_removes_its_policies(conn: Conn, pack: Pack, action: Action) -> None:
    owned = [
        *make_policies(conn, pack, "a"),
        *make_policies(conn, pack, "b", action=action),
    ]
    elsewhere = PolicyFixture.unique().create(conn)
    assert PackRepository(conn).delete(pack.id) is True
    assert all(policies(conn).find_by_id(policy.id) is None for policy in owned)
    assert policies(conn).get_by_id(elsewhere.id) == elsewhere
