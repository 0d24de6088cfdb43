"""IdentityRepository against the real database, beyond what every repository does
(test_common.py): logins, round trips, cascades, and passwords.

Every identity has a unique login from the builders, so assertions look only at rows
the test made. Argon2 is deliberately slow: tests that only need some valid hash share
one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, cast

import pytest

from attune_common.errors import AlreadyExists, NotFound, ValidationError
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
from tests.helpers import MISSING_ID, refused

PASSWORD = "correct horse battery staple"


@cache
def some_hash() -> str:
    return hash_password(PASSWORD)


def identities(conn: Conn) -> IdentityRepository:
    return IdentityRepository(conn)


def stored_password_hash(conn: Conn, identity_id: int) -> str | None:
    """The password_hash column as the database holds it, read without the library."""
    row = conn.execute(
        "SELECT password_hash FROM attune.identity WHERE id = %s", (identity_id,)
    ).fetchone()
    assert row is not None
    return cast(str | None, row[0])


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


# -- delete ----------------------------------------------------------------------------


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
