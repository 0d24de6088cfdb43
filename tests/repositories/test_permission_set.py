"""PermissionSetRepository against the real database, beyond what every repository does
(test_common.py): the ref rule, grants, find_by_pack and cascades.

Permission sets get unique refs from the builders (under a unique pack when one is
given), so assertions look only at rows the test made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from attune_common.errors import AlreadyExists, ReferenceViolation, ValidationError
from attune_common.models import Pack, PermissionSet
from attune_common.repositories import (
    CreatePermissionSetInput,
    IdentityRepository,
    PackRepository,
    PermissionAssignmentRepository,
    PermissionSetRepository,
    UpdatePermissionSetInput,
)
from tests.builders import (
    Conn,
    PackFixture,
    PermissionAssignmentFixture,
    PermissionSetFixture,
    unique_name,
    unique_ref,
)
from tests.helpers import MISSING_ID, refused

GRANTS: list[Any] = [
    {"resource": "action", "permission": "execute", "scope": "core.*"},
    {"resource": "pack", "permission": "view"},
    "executions:read",
]


def permission_sets(conn: Conn) -> PermissionSetRepository:
    return PermissionSetRepository(conn)


def sets_named(conn: Conn, pack: Pack, names: str) -> list[PermissionSet]:
    """One set of `pack` per letter of `names`, created in that order (ref `pack.<letter>`)."""
    fixture = PermissionSetFixture.unique(pack)
    return [fixture.with_ref(f"{pack.ref}.{name}").create(conn) for name in names]


# -- create ----------------------------------------------------------------------------


def test_create_minimal_permission_set(conn: Conn) -> None:
    ref = unique_ref("permset")

    permset = permission_sets(conn).create(CreatePermissionSetInput(ref=ref))

    assert permset.id > 0
    assert permset.ref == ref
    assert (permset.pack, permset.pack_ref, permset.label, permset.description) == (None,) * 4
    assert permset.grants == []
    assert permset.updated == permset.created
    assert permission_sets(conn).get_by_id(permset.id) == permset


def test_create_with_all_fields(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    data = CreatePermissionSetInput(
        ref=f"{pack.ref}.operators",
        pack=pack.id,
        pack_ref=pack.ref,
        label="Operators",
        description="run and watch actions",
        grants=GRANTS,
    )

    permset = permission_sets(conn).create(data)

    assert (permset.ref, permset.pack, permset.pack_ref) == (data.ref, pack.id, pack.ref)
    assert (permset.label, permset.description) == ("Operators", "run and watch actions")
    assert permset.grants == GRANTS
    assert permission_sets(conn).get_by_id(permset.id) == permset


def test_create_duplicate_ref_raises_already_exists(conn: Conn) -> None:
    permset = PermissionSetFixture.unique().create(conn)

    error = refused(
        conn,
        AlreadyExists,
        lambda: permission_sets(conn).create(CreatePermissionSetInput(ref=permset.ref)),
    )

    assert error.constraint == "permission_set_ref_key"
    assert permission_sets(conn).get_by_ref(permset.ref) == permset


@pytest.mark.parametrize(
    "make_ref",
    [
        lambda: unique_name("nodot"),
        lambda: f"{unique_name('p')}.{unique_name('a')}.{unique_name('b')}",
        lambda: f"{unique_name('p')}.Admins",
        lambda: f".{unique_name('admins')}",
        lambda: f"{unique_name('p')}.",
    ],
    ids=["no_dot", "two_dots", "uppercase", "empty_pack", "empty_name"],
)
def test_create_badly_formed_ref_raises_validation_error(
    conn: Conn, make_ref: Callable[[], str]
) -> None:
    ref = make_ref()

    error = refused(
        conn,
        ValidationError,
        lambda: permission_sets(conn).create(CreatePermissionSetInput(ref=ref)),
    )

    assert error.constraint == "permission_set_ref_format"
    assert permission_sets(conn).find_by_ref(ref) is None


def test_create_without_ref_raises_validation_error(conn: Conn) -> None:
    data = CreatePermissionSetInput(ref=cast(str, None))

    error = refused(conn, ValidationError, lambda: permission_sets(conn).create(data))

    assert (error.sqlstate, error.column) == ("23502", "ref")


def test_create_missing_pack_raises_reference_violation(conn: Conn) -> None:
    ref = unique_ref("permset")
    data = CreatePermissionSetInput(ref=ref, pack=MISSING_ID)

    error = refused(conn, ReferenceViolation, lambda: permission_sets(conn).create(data))

    assert error.constraint == "permission_set_pack_fkey"
    assert permission_sets(conn).find_by_ref(ref) is None


@pytest.mark.parametrize(
    "grants", [{"resource": "pack"}, "pack:view", 7], ids=["object", "string", "number"]
)
def test_create_grants_not_an_array_raises_validation_error(conn: Conn, grants: Any) -> None:
    ref = unique_ref("permset")

    # Refused before anything is sent: no savepoint needed.
    with pytest.raises(ValidationError) as caught:
        permission_sets(conn).create(CreatePermissionSetInput(ref=ref, grants=grants))

    assert caught.value.column == "grants"
    assert permission_sets(conn).find_by_ref(ref) is None


def test_create_grants_not_json_raises_validation_error(conn: Conn) -> None:
    ref = unique_ref("permset")

    with pytest.raises(ValidationError) as caught:
        permission_sets(conn).create(CreatePermissionSetInput(ref=ref, grants=[float("nan")]))

    assert caught.value.column == "grants"
    assert permission_sets(conn).find_by_ref(ref) is None


def test_create_grants_round_trip_nested_and_unicode(conn: Conn) -> None:
    grants = [{"scope": {"packs": ["core", "ops"], "tags": []}}, "näme:日本", None, 1.5, True]

    permset = PermissionSetFixture.unique().with_grants(grants).create(conn)

    assert permission_sets(conn).get_by_id(permset.id).grants == grants


# -- find_by_pack ----------------------------------------------------------------------


def test_find_by_pack_returns_the_packs_sets_ordered_by_ref(conn: Conn) -> None:
    pack, other = PackFixture.unique().create(conn), PackFixture.unique().create(conn)
    made = sets_named(conn, pack, "cab")
    PermissionSetFixture.unique(other).create(conn)
    PermissionSetFixture.unique().create(conn)

    found = permission_sets(conn).find_by_pack(pack.id)

    assert [row.ref for row in found] == [f"{pack.ref}.a", f"{pack.ref}.b", f"{pack.ref}.c"]
    assert {row.id for row in found} == {row.id for row in made}


def test_find_by_pack_without_sets_returns_empty(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)

    assert permission_sets(conn).find_by_pack(pack.id) == []
    assert permission_sets(conn).find_by_pack(MISSING_ID) == []


def test_find_by_pack_limit(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    sets_named(conn, pack, "abc")

    found = permission_sets(conn).find_by_pack(pack.id, limit=2)

    assert [row.ref for row in found] == [f"{pack.ref}.a", f"{pack.ref}.b"]


# -- update ----------------------------------------------------------------------------


def test_update_label(conn: Conn) -> None:
    permset = PermissionSetFixture.unique().with_(description="d", grants=GRANTS).create(conn)

    updated = permission_sets(conn).update(permset.id, UpdatePermissionSetInput(label="Ops"))

    assert updated.label == "Ops"
    assert (updated.ref, updated.description, updated.grants) == (permset.ref, "d", GRANTS)
    assert permission_sets(conn).get_by_id(permset.id) == updated


def test_update_description(conn: Conn) -> None:
    permset = PermissionSetFixture.unique().with_label("L").create(conn)

    updated = permission_sets(conn).update(
        permset.id, UpdatePermissionSetInput(description="now described")
    )

    assert (updated.description, updated.label) == ("now described", "L")


def test_update_grants_replaces_the_array(conn: Conn) -> None:
    permset = PermissionSetFixture.unique().with_grants(GRANTS).create(conn)

    updated = permission_sets(conn).update(permset.id, UpdatePermissionSetInput(grants=["x"]))

    assert updated.grants == ["x"]
    assert permission_sets(conn).get_by_id(permset.id).grants == ["x"]


def test_update_grants_to_empty(conn: Conn) -> None:
    permset = PermissionSetFixture.unique().with_grants(GRANTS).create(conn)

    updated = permission_sets(conn).update(permset.id, UpdatePermissionSetInput(grants=[]))

    assert updated.grants == []


def test_update_grants_not_an_array_raises_validation_error_and_keeps_row(conn: Conn) -> None:
    permset = PermissionSetFixture.unique().with_grants(GRANTS).create(conn)

    with pytest.raises(ValidationError) as caught:
        permission_sets(conn).update(
            permset.id, UpdatePermissionSetInput(grants=cast(Any, {"a": 1}))
        )

    assert caught.value.column == "grants"
    assert permission_sets(conn).get_by_id(permset.id) == permset


# -- delete ----------------------------------------------------------------------------


def test_delete_cascades_to_assignments_but_keeps_identities(conn: Conn) -> None:
    assignment = PermissionAssignmentFixture.unique().create(conn)
    assignments = PermissionAssignmentRepository(conn)

    permission_sets(conn).delete(assignment.permset)

    assert assignments.find_by_id(assignment.id) is None
    assert assignments.find_by_identity(assignment.identity) == []
    assert IdentityRepository(conn).find_by_id(assignment.identity) is not None


def test_delete_pack_cascades_to_its_permission_sets(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    owned = PermissionSetFixture.unique(pack).create(conn)
    packless = PermissionSetFixture.unique().create(conn)
    assignment = PermissionAssignmentFixture.unique(permset=owned).create(conn)

    assert PackRepository(conn).delete(pack.id) is True

    assert permission_sets(conn).find_by_id(owned.id) is None
    assert PermissionAssignmentRepository(conn).find_by_id(assignment.id) is None
    assert permission_sets(conn).find_by_id(packless.id) == packless
