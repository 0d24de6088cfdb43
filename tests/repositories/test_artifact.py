"""ArtifactRepository against the real database, beyond what every repository does
(test_common.py): defaults and round trips, versions sharing a ref, the finders, and
the retention_limit rule."""

from __future__ import annotations

from typing import Any, cast

import pytest

from attune_common.errors import ValidationError
from attune_common.models import ArtifactRetention, ArtifactType, OwnerType
from attune_common.repositories import (
    ArtifactRepository,
    CreateArtifactInput,
    UpdateArtifactInput,
)
from tests.builders import ArtifactFixture, Conn, unique_name, unique_ref
from tests.helpers import ids, newest_first, only, transaction_now

# -- create ----------------------------------------------------------------------------


def test_create_minimal_applies_schema_defaults(conn: Conn) -> None:
    ref = unique_ref("artifact")

    artifact = ArtifactRepository(conn).create(CreateArtifactInput(ref=ref, type=ArtifactType.URL))

    assert (artifact.ref, artifact.type) == (ref, ArtifactType.URL)
    assert artifact.scope is OwnerType.SYSTEM
    assert artifact.owner == ""
    assert artifact.retention_policy is ArtifactRetention.VERSIONS
    assert artifact.retention_limit == 1
    assert artifact.created == artifact.updated == transaction_now(conn)


def test_create_full_round_trips_every_column(conn: Conn) -> None:
    data = CreateArtifactInput(
        ref=unique_ref("artifact"),
        type=ArtifactType.FILE_IMAGE,
        scope=OwnerType.PACK,
        owner=unique_name("pack"),
        retention_policy=ArtifactRetention.DAYS,
        retention_limit=30,
    )

    artifact = ArtifactRepository(conn).create(data)

    assert (
        artifact.ref,
        artifact.type,
        artifact.scope,
        artifact.owner,
        artifact.retention_policy,
        artifact.retention_limit,
    ) == (
        data.ref,
        ArtifactType.FILE_IMAGE,
        OwnerType.PACK,
        data.owner,
        ArtifactRetention.DAYS,
        30,
    )
    assert ArtifactRepository(conn).get_by_id(artifact.id) == artifact


@pytest.mark.parametrize("artifact_type", list(ArtifactType))
def test_create_stores_each_type_as_enum_member(conn: Conn, artifact_type: ArtifactType) -> None:
    artifact = ArtifactFixture.unique().with_type(artifact_type).create(conn)

    stored = ArtifactRepository(conn).get_by_id(artifact.id)
    assert stored.type is artifact_type
    assert type(stored.type) is ArtifactType


@pytest.mark.parametrize("policy", list(ArtifactRetention))
def test_create_stores_each_retention_policy_as_enum_member(
    conn: Conn, policy: ArtifactRetention
) -> None:
    artifact = ArtifactFixture.unique().with_retention_policy(policy).create(conn)

    assert ArtifactRepository(conn).get_by_id(artifact.id).retention_policy is policy


@pytest.mark.parametrize("scope", list(OwnerType))
def test_create_stores_each_scope_as_enum_member(conn: Conn, scope: OwnerType) -> None:
    artifact = ArtifactFixture.unique().with_(scope=scope, owner="someone").create(conn)

    assert ArtifactRepository(conn).get_by_id(artifact.id).scope is scope


def test_create_same_ref_twice_stores_two_versions(conn: Conn) -> None:
    ref = unique_ref("artifact")

    first, second = (ArtifactFixture.unique().with_ref(ref).create(conn) for _ in range(2))

    assert first.id != second.id
    assert first.ref == second.ref == ref


@pytest.mark.parametrize("limit", [0, -1])
def test_create_with_retention_limit_below_one_raises_validation_error(
    conn: Conn, limit: int
) -> None:
    ref = unique_ref("artifact")
    repository = ArtifactRepository(conn)

    with pytest.raises(ValidationError) as raised, conn.transaction():
        repository.create(
            CreateArtifactInput(ref=ref, type=ArtifactType.OTHER, retention_limit=limit)
        )

    assert raised.value.constraint == "artifact_retention_limit_positive"
    assert repository.find_by_ref(ref) == []


def test_create_with_unknown_type_raises_and_stores_nothing(conn: Conn) -> None:
    ref = unique_ref("artifact")
    repository = ArtifactRepository(conn)

    with pytest.raises(ValidationError), conn.transaction():
        repository.create(CreateArtifactInput(ref=ref, type=cast(ArtifactType, "file_video")))

    assert repository.find_by_ref(ref) == []


# -- update ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ref", "renamed.artifact"),
        ("type", ArtifactType.PROGRESS),
        ("scope", OwnerType.IDENTITY),
        ("owner", "alice"),
        ("retention_policy", ArtifactRetention.HOURS),
        ("retention_limit", 12),
    ],
)
def test_update_changes_only_that_field(conn: Conn, field: str, value: Any) -> None:
    artifact = ArtifactFixture.unique().create(conn)

    updated = ArtifactRepository(conn).update(artifact.id, UpdateArtifactInput(**{field: value}))

    assert getattr(updated, field) == value
    unchanged = ("ref", "type", "scope", "owner", "retention_policy", "retention_limit")
    for other in unchanged:
        if other != field:
            assert getattr(updated, other) == getattr(artifact, other), other
    assert ArtifactRepository(conn).get_by_id(artifact.id) == updated


def test_update_ref_moves_the_version_to_the_new_ref(conn: Conn) -> None:
    old_ref, new_ref = unique_ref("artifact"), unique_ref("artifact")
    moved = ArtifactFixture.unique().with_ref(old_ref).create(conn)
    stays = ArtifactFixture.unique().with_ref(old_ref).create(conn)
    repository = ArtifactRepository(conn)

    updated = repository.update(moved.id, UpdateArtifactInput(ref=new_ref))

    assert updated.ref == new_ref
    assert ids(repository.find_by_ref(new_ref)) == [moved.id]
    assert ids(repository.find_by_ref(old_ref)) == [stays.id]


def test_update_retention_limit_to_zero_raises_and_leaves_row(conn: Conn) -> None:
    artifact = ArtifactFixture.unique().with_retention_limit(3).create(conn)
    repository = ArtifactRepository(conn)

    with pytest.raises(ValidationError) as raised, conn.transaction():
        repository.update(artifact.id, UpdateArtifactInput(owner="bob", retention_limit=0))

    assert raised.value.constraint == "artifact_retention_limit_positive"
    assert repository.get_by_id(artifact.id) == artifact


# -- delete ----------------------------------------------------------------------------


def test_delete_one_version_keeps_the_others(conn: Conn) -> None:
    ref = unique_ref("artifact")
    versions = [ArtifactFixture.unique().with_ref(ref).create(conn) for _ in range(3)]
    repository = ArtifactRepository(conn)

    assert repository.delete(versions[1].id)

    assert ids(repository.find_by_ref(ref)) == newest_first([versions[0], versions[2]])


# -- finders ---------------------------------------------------------------------------


def test_find_by_ref_returns_every_version_newest_first(conn: Conn) -> None:
    ref = unique_ref("artifact")
    versions = [ArtifactFixture.unique().with_ref(ref).create(conn) for _ in range(3)]
    ArtifactFixture.unique().create(conn)
    repository = ArtifactRepository(conn)

    assert ids(repository.find_by_ref(ref)) == newest_first(versions)
    assert ids(repository.find_by_ref(ref, limit=1)) == newest_first(versions)[:1]


def test_find_by_ref_puts_the_latest_created_first(conn: Conn) -> None:
    ref = unique_ref("artifact")
    older, newer = (ArtifactFixture.unique().with_ref(ref).create(conn) for _ in range(2))
    conn.execute(
        "UPDATE attune.artifact SET created = created - interval '1 day' WHERE id = %s",
        (newer.id,),
    )

    assert ids(ArtifactRepository(conn).find_by_ref(ref)) == [older.id, newer.id]


def test_find_by_ref_unknown_is_empty(conn: Conn) -> None:
    assert ArtifactRepository(conn).find_by_ref(unique_ref("artifact")) == []


def test_find_by_scope_returns_mine_in_that_scope_newest_first(conn: Conn) -> None:
    owner = unique_name("sensor")
    in_scope = [
        ArtifactFixture.unique().with_(scope=OwnerType.SENSOR, owner=owner).create(conn)
        for _ in range(2)
    ]
    system = ArtifactFixture.unique().create(conn)

    found = ArtifactRepository(conn).find_by_scope(OwnerType.SENSOR)

    assert all(row.scope is OwnerType.SENSOR for row in found)
    assert only(found, [*in_scope, system]) == newest_first(in_scope)


def test_find_by_owner_matches_scope_and_owner(conn: Conn) -> None:
    owner = unique_name("pack")
    mine = [
        ArtifactFixture.unique().with_(scope=OwnerType.PACK, owner=owner).create(conn)
        for _ in range(2)
    ]
    # The same name in another scope is another owner.
    ArtifactFixture.unique().with_(scope=OwnerType.ACTION, owner=owner).create(conn)
    ArtifactFixture.unique().with_(scope=OwnerType.PACK, owner=unique_name("pack")).create(conn)
    repository = ArtifactRepository(conn)

    assert ids(repository.find_by_owner(OwnerType.PACK, owner)) == newest_first(mine)
    assert ids(repository.find_by_owner(OwnerType.PACK, owner, limit=1)) == [max(ids(mine))]


def test_find_by_owner_unknown_is_empty(conn: Conn) -> None:
    ArtifactFixture.unique().create(conn)

    assert ArtifactRepository(conn).find_by_owner(OwnerType.IDENTITY, unique_name("u")) == []


def test_find_by_type_returns_mine_of_that_type_newest_first(conn: Conn) -> None:
    tables = [
        ArtifactFixture.unique().with_type(ArtifactType.FILE_DATATABLE).create(conn)
        for _ in range(2)
    ]
    text = ArtifactFixture.unique().create(conn)
    repository = ArtifactRepository(conn)

    found = repository.find_by_type(ArtifactType.FILE_DATATABLE)

    assert all(row.type is ArtifactType.FILE_DATATABLE for row in found)
    assert only(found, [*tables, text]) == newest_first(tables)
    assert len(repository.find_by_type(ArtifactType.FILE_DATATABLE, limit=1)) == 1


def test_find_by_retention_policy_returns_mine_with_that_policy_newest_first(
    conn: Conn,
) -> None:
    by_minutes = [
        ArtifactFixture.unique().with_retention_policy(ArtifactRetention.MINUTES).create(conn)
        for _ in range(2)
    ]
    by_versions = ArtifactFixture.unique().create(conn)
    repository = ArtifactRepository(conn)

    found = repository.find_by_retention_policy(ArtifactRetention.MINUTES)

    assert all(row.retention_policy is ArtifactRetention.MINUTES for row in found)
    assert only(found, [*by_minutes, by_versions]) == newest_first(by_minutes)
    assert len(repository.find_by_retention_policy(ArtifactRetention.MINUTES, limit=1)) == 1
