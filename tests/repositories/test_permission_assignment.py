"""PermissionAssignmentRepository against the real database, beyond what every repository
does (test_common.py): uniqueness, finders, cascades and grants_for_identity.

Every assignment links a fresh identity to a fresh permission set, so the finders and
grants are asserted exactly.
"""

from __future__ import annotations

from typing import Any

from attune_common.errors import AlreadyExists, ReferenceViolation
from attune_common.models import Identity, PermissionAssignment, PermissionSet
from attune_common.repositories import (
    CreatePermissionAssignmentInput,
    IdentityRepository,
    PackRepository,
    PermissionAssignmentRepository,
    PermissionSetRepository,
    UpdatePermissionSetInput,
)
from tests.builders import (
    Conn,
    IdentityFixture,
    PackFixture,
    PermissionAssignmentFixture,
    PermissionSetFixture,
    unique_name,
)
from tests.helpers import MISSING_ID, ids, refused


def assignments(conn: Conn) -> PermissionAssignmentRepository:
    return PermissionAssignmentRepository(conn)


def assign(conn: Conn, identity: Identity, permset: PermissionSet) -> PermissionAssignment:
    return PermissionAssignmentFixture.unique(identity, permset).create(conn)


def granting(conn: Conn, identity: Identity, sets: dict[str, list[Any]]) -> dict[str, int]:
    """Permission sets named `<stem>.<name>` (one stem for the test, so their refs sort
    by name) with the given grants, all assigned to `identity`, created in dict order.
    Returns each name's set id."""
    stem = unique_name("p")
    made = {}
    for name, grants in sets.items():
        permset = PermissionSetFixture.unique().with_(ref=f"{stem}.{name}", grants=grants)
        made[name] = assign(conn, identity, permset.create(conn)).permset
    return made


# -- create ----------------------------------------------------------------------------


def test_create_assignment(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    permset = PermissionSetFixture.unique().create(conn)

    assignment = assignments(conn).create(
        CreatePermissionAssignmentInput(identity=identity.id, permset=permset.id)
    )

    assert assignment.id > 0
    assert (assignment.identity, assignment.permset) == (identity.id, permset.id)
    assert assignment.created.tzinfo is not None
    assert assignments(conn).get_by_id(assignment.id) == assignment


def test_create_duplicate_raises_already_exists(conn: Conn) -> None:
    assignment = PermissionAssignmentFixture.unique().create(conn)
    data = CreatePermissionAssignmentInput(identity=assignment.identity, permset=assignment.permset)

    error = refused(conn, AlreadyExists, lambda: assignments(conn).create(data))

    assert error.constraint == "permission_assignment_identity_permset_key"
    assert assignments(conn).find_by_identity(assignment.identity) == [assignment]


def test_create_same_set_for_two_identities(conn: Conn) -> None:
    permset = PermissionSetFixture.unique().create(conn)
    first, second = (IdentityFixture.unique().create(conn) for _ in "ab")

    made = [assign(conn, first, permset), assign(conn, second, permset)]

    assert {row.identity for row in assignments(conn).find_by_permset(permset.id)} == {
        first.id,
        second.id,
    }
    assert len(set(ids(made))) == 2


def test_create_two_sets_for_one_identity(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    first, second = (PermissionSetFixture.unique().create(conn) for _ in "ab")

    assign(conn, identity, first)
    assign(conn, identity, second)

    found = assignments(conn).find_by_identity(identity.id)
    assert {row.permset for row in found} == {first.id, second.id}


def test_create_missing_identity_raises_reference_violation(conn: Conn) -> None:
    permset = PermissionSetFixture.unique().create(conn)
    data = CreatePermissionAssignmentInput(identity=MISSING_ID, permset=permset.id)

    error = refused(conn, ReferenceViolation, lambda: assignments(conn).create(data))

    assert error.constraint == "permission_assignment_identity_fkey"
    assert assignments(conn).find_by_permset(permset.id) == []


def test_create_missing_permset_raises_reference_violation(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    data = CreatePermissionAssignmentInput(identity=identity.id, permset=MISSING_ID)

    error = refused(conn, ReferenceViolation, lambda: assignments(conn).create(data))

    assert error.constraint == "permission_assignment_permset_fkey"
    assert assignments(conn).find_by_identity(identity.id) == []


def test_repository_has_no_update() -> None:
    assert not hasattr(PermissionAssignmentRepository, "update")


# -- find_by_identity / find_by_permset ------------------------------------------------


def test_find_by_identity_returns_its_assignments_newest_first(conn: Conn) -> None:
    identity, other = (IdentityFixture.unique().create(conn) for _ in "ab")
    made = [assign(conn, identity, PermissionSetFixture.unique().create(conn)) for _ in "abc"]
    shared = PermissionSetRepository(conn).get_by_id(made[0].permset)
    assign(conn, other, shared)
    assign(conn, other, PermissionSetFixture.unique().create(conn))

    found = assignments(conn).find_by_identity(identity.id)

    assert ids(found) == ids(made[::-1])


def test_find_by_identity_without_assignments_returns_empty(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)

    assert assignments(conn).find_by_identity(identity.id) == []
    assert assignments(conn).find_by_identity(MISSING_ID) == []


def test_find_by_identity_limit(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    made = [assign(conn, identity, PermissionSetFixture.unique().create(conn)) for _ in "abc"]

    assert ids(assignments(conn).find_by_identity(identity.id, limit=2)) == [
        made[2].id,
        made[1].id,
    ]


def test_find_by_permset_returns_its_assignments_newest_first(conn: Conn) -> None:
    permset, other = (PermissionSetFixture.unique().create(conn) for _ in "ab")
    made = [assign(conn, IdentityFixture.unique().create(conn), permset) for _ in "abc"]
    assign(conn, IdentityFixture.unique().create(conn), other)

    found = assignments(conn).find_by_permset(permset.id)

    assert ids(found) == ids(made[::-1])


def test_find_by_permset_without_assignments_returns_empty(conn: Conn) -> None:
    permset = PermissionSetFixture.unique().create(conn)

    assert assignments(conn).find_by_permset(permset.id) == []


# -- delete ----------------------------------------------------------------------------


def test_delete_existing_keeps_identity_and_permset(conn: Conn) -> None:
    assignment = PermissionAssignmentFixture.unique().create(conn)

    assert assignments(conn).delete(assignment.id) is True

    assert assignments(conn).find_by_id(assignment.id) is None
    assert IdentityRepository(conn).find_by_id(assignment.identity) is not None
    assert PermissionSetRepository(conn).find_by_id(assignment.permset) is not None


def test_delete_then_assign_again(conn: Conn) -> None:
    assignment = PermissionAssignmentFixture.unique().create(conn)
    assignments(conn).delete(assignment.id)

    again = assignments(conn).create(
        CreatePermissionAssignmentInput(identity=assignment.identity, permset=assignment.permset)
    )

    assert again.id != assignment.id
    assert assignments(conn).find_by_identity(assignment.identity) == [again]


def test_delete_identity_cascades(conn: Conn) -> None:
    assignment = PermissionAssignmentFixture.unique().create(conn)

    IdentityRepository(conn).delete(assignment.identity)

    assert assignments(conn).find_by_id(assignment.id) is None


def test_delete_permset_cascades(conn: Conn) -> None:
    assignment = PermissionAssignmentFixture.unique().create(conn)

    PermissionSetRepository(conn).delete(assignment.permset)

    assert assignments(conn).find_by_id(assignment.id) is None


def test_delete_pack_cascades_through_its_permission_sets(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    identity = IdentityFixture.unique().create(conn)
    assignment = assign(conn, identity, PermissionSetFixture.unique(pack).create(conn))
    kept = assign(conn, identity, PermissionSetFixture.unique().create(conn))

    PackRepository(conn).delete(pack.id)

    assert assignments(conn).find_by_id(assignment.id) is None
    assert assignments(conn).find_by_identity(identity.id) == [kept]


# -- grants_for_identity ---------------------------------------------------------------


def test_grants_for_identity_orders_by_set_ref_then_position(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    granting(
        conn,
        identity,
        {
            "c": ["c1", {"resource": "pack"}],
            "a": [{"resource": "action", "permission": "execute"}, "a2", "a3"],
            "b": ["b1"],
        },
    )

    assert assignments(conn).grants_for_identity(identity.id) == [
        {"resource": "action", "permission": "execute"},
        "a2",
        "a3",
        "b1",
        "c1",
        {"resource": "pack"},
    ]


def test_grants_for_identity_without_assignments_is_empty(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    PermissionSetFixture.unique().with_grants(["unassigned"]).create(conn)

    assert assignments(conn).grants_for_identity(identity.id) == []
    assert assignments(conn).grants_for_identity(MISSING_ID) == []


def test_grants_for_identity_sets_without_grants_add_nothing(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    granting(conn, identity, {"a": [], "b": ["only"], "c": []})

    assert assignments(conn).grants_for_identity(identity.id) == ["only"]


def test_grants_for_identity_only_its_own_sets(conn: Conn) -> None:
    identity, other = (IdentityFixture.unique().create(conn) for _ in "ab")
    granting(conn, identity, {"mine": ["mine"]})
    granting(conn, other, {"theirs": ["theirs"]})

    assert assignments(conn).grants_for_identity(identity.id) == ["mine"]
    assert assignments(conn).grants_for_identity(other.id) == ["theirs"]


def test_grants_for_identity_deduplicates_keeping_first_place(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    granting(
        conn,
        identity,
        {
            "b": ["shared", {"x": 1, "y": 2}, "b-only", "b-only"],
            "a": ["a-only", "shared"],
            "c": [{"y": 2, "x": 1}, "c-only"],  # equal JSON objects, keys in another order
        },
    )

    assert assignments(conn).grants_for_identity(identity.id) == [
        "a-only",
        "shared",
        {"x": 1, "y": 2},
        "b-only",
        "c-only",
    ]


def test_grants_for_identity_deleted_assignment_no_longer_counts(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    sets = granting(conn, identity, {"a": ["kept"], "b": ["revoked"]})
    revoked = assignments(conn).find_by_permset(sets["b"])[0]

    assignments(conn).delete(revoked.id)

    assert assignments(conn).grants_for_identity(identity.id) == ["kept"]


def test_grants_for_identity_deleted_set_no_longer_counts(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    sets = granting(conn, identity, {"a": ["kept"], "b": ["gone"]})

    PermissionSetRepository(conn).delete(sets["b"])

    assert assignments(conn).grants_for_identity(identity.id) == ["kept"]


def test_grants_for_identity_sees_updated_grants(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    sets = granting(conn, identity, {"a": ["old"]})

    PermissionSetRepository(conn).update(sets["a"], UpdatePermissionSetInput(grants=["new", 2]))

    assert assignments(conn).grants_for_identity(identity.id) == ["new", 2]


def test_grants_for_identity_keeps_json_types(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    grants = [{"scope": {"packs": ["core"], "all": False}}, ["nested", 1], 1.5, True, None, "s"]
    granting(conn, identity, {"a": grants})

    assert assignments(conn).grants_for_identity(identity.id) == grants
