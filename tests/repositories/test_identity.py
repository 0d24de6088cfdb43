"""IdentityRepository against the real database, passwords included.

Every identity has a unique login from the builders, so assertions look only at rows
the test made. Argon2 is deliberately slow: tests that only need some valid hash share
one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, TypeVar, cast

import pytest

from attune_common.errors import AlreadyExists, AttuneError, NotFound, ValidationError
from attune_common.models import Identity
from attune_common.passwords import hash_password, verify_password
from attune_common.repositories import (
    CreateIdentityInput,
    IdentityRepository,
    KeyRepository,
    PermissionAssignmentRepository,
    UpdateIdentityInput,
)
from tests.builders import (
    Conn,
    IdentityFixture,
    KeyFixture,
    PermissionAssignmentFixture,
    unique_name,
)

MISSING_ID = 2**63 - 1
"""The largest BIGINT: no sequence in a test run gets there."""

PASSWORD = "correct horse battery staple"

E = TypeVar("E", bound=AttuneError)


@cache
def some_hash() -> str:
    return hash_password(PASSWORD)


def identities(conn: Conn) -> IdentityRepository:
    return IdentityRepository(conn)


def refused(conn: Conn, error: type[E], call: Callable[[], object]) -> E:
    """Run `call` in a savepoint it must fail with `error`; the transaction stays usable."""
    with pytest.raises(error) as caught, conn.transaction():
        call()
    return caught.value


def stored_password_hash(conn: Conn, identity_id: int) -> str | None:
    """The password_hash column as the database holds it, read without the library."""
    row = conn.execute(
        "SELECT password_hash FROM attune.identity WHERE id = %s", (identity_id,)
    ).fetchone()
    assert row is not None
    return cast(str | None, row[0])


def mine(listed: list[Identity], made: list[Identity]) -> list[str]:
    wanted = {row.id for row in made}
    return [row.login for row in listed if row.id in wanted]


# -- create ----------------------------------------------------------------------------


def test_create_minimal_identity(conn: Conn) -> None:
    login = f"user-{unique_name()}"

    identity = identities(conn).create(CreateIdentityInput(login=login))

    assert identity.id > 0
    assert identity.login == login
    assert (identity.display_name, identity.password_hash, identity.attributes) == (None, None, {})
    assert isinstance(identity.created, datetime) and identity.created.tzinfo is not None
    assert identity.updated == identity.created
    assert identities(conn).get_by_id(identity.id) == identity


def test_create_with_all_fields(conn: Conn) -> None:
    attributes = {"email": "ada@example.com", "teams": ["ops", "dev"], "meta": {"admin": True}}
    data = CreateIdentityInput(
        login=f"user-{unique_name()}",
        display_name="Ada Lovelace",
        password_hash=some_hash(),
        attributes=attributes,
    )

    identity = identities(conn).create(data)

    assert (identity.login, identity.display_name) == (data.login, "Ada Lovelace")
    assert identity.password_hash == some_hash()
    assert identity.attributes == attributes
    assert identities(conn).get_by_id(identity.id) == identity


def test_create_duplicate_login_raises_already_exists(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)

    error = refused(
        conn,
        AlreadyExists,
        lambda: identities(conn).create(CreateIdentityInput(login=identity.login)),
    )

    assert error.constraint == "identity_login_key"
    assert identities(conn).get_by_login(identity.login) == identity


def test_create_login_differing_in_case_is_another_identity(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)

    other = identities(conn).create(CreateIdentityInput(login=identity.login.upper()))

    assert other.id != identity.id
    assert identities(conn).get_by_login(identity.login) == identity


def test_create_without_login_raises_validation_error(conn: Conn) -> None:
    data = CreateIdentityInput(login=cast(str, None))

    error = refused(conn, ValidationError, lambda: identities(conn).create(data))

    assert (error.sqlstate, error.column) == ("23502", "login")


def test_create_plaintext_password_hash_raises_validation_error(conn: Conn) -> None:
    login = f"user-{unique_name()}"

    # Refused before anything is sent: the transaction stays usable without a savepoint.
    with pytest.raises(ValidationError) as caught:
        identities(conn).create(CreateIdentityInput(login=login, password_hash=PASSWORD))

    assert caught.value.column == "password_hash"
    assert PASSWORD not in str(caught.value)
    assert identities(conn).find_by_login(login) is None


def test_create_attributes_not_json_raises_validation_error(conn: Conn) -> None:
    login = f"user-{unique_name()}"

    with pytest.raises(ValidationError) as caught:
        identities(conn).create(CreateIdentityInput(login=login, attributes={"x": object()}))

    assert caught.value.column == "attributes"
    assert identities(conn).find_by_login(login) is None


# -- read ------------------------------------------------------------------------------


def test_find_by_id_existing(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)

    assert identities(conn).find_by_id(identity.id) == identity


def test_find_by_id_missing_returns_none(conn: Conn) -> None:
    assert identities(conn).find_by_id(MISSING_ID) is None


def test_get_by_id_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound) as caught:
        identities(conn).get_by_id(MISSING_ID)

    assert (caught.value.entity, caught.value.field, caught.value.value) == (
        "Identity",
        "id",
        MISSING_ID,
    )


def test_find_by_login_existing(conn: Conn) -> None:
    identity, other = IdentityFixture.unique().create(conn), IdentityFixture.unique().create(conn)

    assert identities(conn).find_by_login(identity.login) == identity
    assert identities(conn).find_by_login(other.login) == other


def test_find_by_login_missing_returns_none(conn: Conn) -> None:
    assert identities(conn).find_by_login(f"user-{unique_name()}") is None


def test_get_by_login_missing_raises_not_found(conn: Conn) -> None:
    login = f"user-{unique_name()}"

    with pytest.raises(NotFound) as caught:
        identities(conn).get_by_login(login)

    assert (caught.value.entity, caught.value.field, caught.value.value) == (
        "Identity",
        "login",
        login,
    )


# -- list ------------------------------------------------------------------------------


def test_list_contains_created_identities_ordered_by_login(conn: Conn) -> None:
    stem = unique_name("user-")
    made = [IdentityFixture.unique().with_login(f"{stem}-{x}").create(conn) for x in "bca"]

    listed = identities(conn).list()

    # Only our own rows' order is asserted: others' logins sort by the database collation.
    assert mine(listed, made) == [f"{stem}-a", f"{stem}-b", f"{stem}-c"]


def test_list_limit(conn: Conn) -> None:
    IdentityFixture.unique().create(conn)
    IdentityFixture.unique().create(conn)

    assert len(identities(conn).list(limit=2)) == 2
    assert identities(conn).list(limit=0) == []


def test_list_offset_past_the_end_returns_empty(conn: Conn) -> None:
    IdentityFixture.unique().create(conn)

    assert identities(conn).list(offset=10**12) == []


# -- update ----------------------------------------------------------------------------


def test_update_display_name(conn: Conn) -> None:
    identity = IdentityFixture.unique().with_attributes({"a": 1}).create(conn)

    updated = identities(conn).update(identity.id, UpdateIdentityInput(display_name="Renamed"))

    assert updated.display_name == "Renamed"
    assert (updated.login, updated.attributes, updated.password_hash) == (
        identity.login,
        {"a": 1},
        None,
    )
    assert identities(conn).get_by_id(identity.id) == updated


def test_update_attributes_replaces_the_whole_document(conn: Conn) -> None:
    identity = IdentityFixture.unique().with_attributes({"a": 1, "b": {"c": 2}}).create(conn)

    updated = identities(conn).update(identity.id, UpdateIdentityInput(attributes={"b": [3]}))

    assert updated.attributes == {"b": [3]}
    assert updated.display_name == identity.display_name


def test_update_password_hash_with_a_hash(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)

    updated = identities(conn).update(identity.id, UpdateIdentityInput(password_hash=some_hash()))

    assert updated.password_hash == some_hash()
    assert stored_password_hash(conn, identity.id) == some_hash()


def test_update_plaintext_password_hash_raises_validation_error_and_keeps_row(
    conn: Conn,
) -> None:
    identity = IdentityFixture.unique().with_password_hash(some_hash()).create(conn)

    with pytest.raises(ValidationError) as caught:
        identities(conn).update(identity.id, UpdateIdentityInput(password_hash=PASSWORD))

    assert caught.value.column == "password_hash"
    assert identities(conn).get_by_id(identity.id) == identity


def test_update_nothing_returns_row_unchanged(conn: Conn) -> None:
    identity = IdentityFixture.unique().with_attributes({"k": "v"}).create(conn)

    assert identities(conn).update(identity.id, UpdateIdentityInput()) == identity
    assert identities(conn).get_by_id(identity.id) == identity


def test_update_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound) as caught:
        identities(conn).update(MISSING_ID, UpdateIdentityInput(display_name="x"))

    assert (caught.value.entity, caught.value.value) == ("Identity", MISSING_ID)


def test_update_touches_updated_across_commit(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    conn.commit()
    try:
        updated = identities(conn).update(identity.id, UpdateIdentityInput(display_name="later"))

        assert updated.updated > identity.updated
        assert updated.created == identity.created
    finally:
        conn.rollback()
        identities(conn).delete(identity.id)
        conn.commit()


# -- delete ----------------------------------------------------------------------------


def test_delete_existing_returns_true(conn: Conn) -> None:
    identity, other = IdentityFixture.unique().create(conn), IdentityFixture.unique().create(conn)

    assert identities(conn).delete(identity.id) is True
    assert identities(conn).find_by_id(identity.id) is None
    assert identities(conn).find_by_id(other.id) == other


def test_delete_missing_returns_false(conn: Conn) -> None:
    assert identities(conn).delete(MISSING_ID) is False


def test_delete_cascades_to_permission_assignments(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    assignment = PermissionAssignmentFixture.unique(identity).create(conn)
    assignments = PermissionAssignmentRepository(conn)

    identities(conn).delete(identity.id)

    assert assignments.find_by_id(assignment.id) is None
    assert assignments.find_by_permset(assignment.permset) == []


def test_delete_cascades_to_identity_owned_keys(conn: Conn) -> None:
    identity, other = IdentityFixture.unique().create(conn), IdentityFixture.unique().create(conn)
    owned, kept = KeyFixture.unique(identity).create(conn), KeyFixture.unique(other).create(conn)

    identities(conn).delete(identity.id)

    assert KeyRepository(conn).find_by_id(owned.id) is None
    assert KeyRepository(conn).find_by_id(kept.id) == kept


# -- passwords -------------------------------------------------------------------------


def test_set_password_stores_an_argon2id_hash_never_the_plaintext(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)

    updated = identities(conn).set_password(identity.id, PASSWORD)

    stored = stored_password_hash(conn, identity.id)
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert updated.password_hash == stored
    assert verify_password(stored, PASSWORD)


def test_set_password_replaces_the_previous_one(conn: Conn) -> None:
    identity = IdentityFixture.unique().with_password_hash(some_hash()).create(conn)

    identities(conn).set_password(identity.id, "a new password")

    assert identities(conn).authenticate(identity.login, PASSWORD) is None
    assert identities(conn).authenticate(identity.login, "a new password") is not None


def test_set_password_empty_raises_validation_error_and_keeps_hash(conn: Conn) -> None:
    identity = IdentityFixture.unique().with_password_hash(some_hash()).create(conn)

    with pytest.raises(ValidationError):
        identities(conn).set_password(identity.id, "")

    assert stored_password_hash(conn, identity.id) == some_hash()


def test_set_password_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound) as caught:
        identities(conn).set_password(MISSING_ID, PASSWORD)

    assert (caught.value.entity, caught.value.value) == ("Identity", MISSING_ID)


def test_clear_password_removes_the_hash(conn: Conn) -> None:
    identity = IdentityFixture.unique().with_password_hash(some_hash()).create(conn)

    cleared = identities(conn).clear_password(identity.id)

    assert cleared.password_hash is None
    assert stored_password_hash(conn, identity.id) is None
    assert identities(conn).authenticate(identity.login, PASSWORD) is None


def test_clear_password_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound):
        identities(conn).clear_password(MISSING_ID)


def test_authenticate_right_password_returns_the_identity(conn: Conn) -> None:
    identity = IdentityFixture.unique().with_password_hash(some_hash()).create(conn)

    assert identities(conn).authenticate(identity.login, PASSWORD) == identity


@pytest.mark.parametrize(
    "attempt", [PASSWORD + " ", PASSWORD.upper(), ""], ids=["suffix", "upper", "empty"]
)
def test_authenticate_wrong_password_returns_none(conn: Conn, attempt: str) -> None:
    identity = IdentityFixture.unique().with_password_hash(some_hash()).create(conn)

    assert identities(conn).authenticate(identity.login, attempt) is None


def test_authenticate_unknown_login_returns_none(conn: Conn) -> None:
    assert identities(conn).authenticate(f"user-{unique_name()}", PASSWORD) is None


def test_authenticate_identity_without_password_returns_none(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)

    assert identities(conn).authenticate(identity.login, PASSWORD) is None
    assert identities(conn).authenticate(identity.login, "") is None


def test_authenticate_login_is_exact(conn: Conn) -> None:
    identity = IdentityFixture.unique().with_password_hash(some_hash()).create(conn)

    assert identities(conn).authenticate(identity.login.upper(), PASSWORD) is None
    assert identities(conn).authenticate(f" {identity.login}", PASSWORD) is None


def test_authenticate_corrupt_stored_hash_returns_none(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    conn.execute(
        "UPDATE attune.identity SET password_hash = %s WHERE id = %s", (PASSWORD, identity.id)
    )

    assert identities(conn).authenticate(identity.login, PASSWORD) is None


# -- secrets stay out of repr ----------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda h: CreateIdentityInput(login="someone", password_hash=h),
        lambda h: UpdateIdentityInput(password_hash=h),
    ],
    ids=["create_input", "update_input"],
)
def test_repr_of_inputs_hides_password_hash(make: Callable[[str], Any]) -> None:
    data = make(some_hash())

    assert some_hash() not in repr(data)
    assert "password_hash" not in repr(data)


def test_repr_of_identity_hides_password_hash(conn: Conn) -> None:
    identity = IdentityFixture.unique().with_password_hash(some_hash()).create(conn)

    assert identity.password_hash == some_hash()
    assert some_hash() not in repr(identity)
    assert "password_hash" not in repr(identity)
    assert identity.login in repr(identity)
