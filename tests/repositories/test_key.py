"""KeyRepository against the real database, beyond what every repository does
(test_common.py): the owner trigger, finders, cascades, and secrets.

Keys get unique names from the builders (and owners made for the test), so refs are
unique and assertions look only at rows the test made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from attune_common import crypto
from attune_common.errors import (
    AlreadyExists,
    DecryptionError,
    NotFound,
    ReferenceViolation,
    ValidationError,
)
from attune_common.models import Action, Identity, OwnerType, Pack, Sensor
from attune_common.repositories import (
    ActionRepository,
    CreateKeyInput,
    IdentityRepository,
    KeyRepository,
    PackRepository,
    SensorRepository,
    UpdateKeyInput,
)
from tests.apis import open_repository
from tests.builders import (
    ActionFixture,
    Conn,
    IdentityFixture,
    KeyFixture,
    PackFixture,
    SensorFixture,
    unique_name,
)
from tests.helpers import MISSING_ID, refused

SECRET = "db-password: hunter2 ✓"
ENCRYPTION_KEY = bytes(range(32))
OTHER_KEY = bytes(range(32, 64))

Owner = Identity | Pack | Action | Sensor

pytestmark = pytest.mark.usefixtures("api")  # for the sync and the asyncio API


def keys(conn: Conn) -> KeyRepository:
    return open_repository(KeyRepository, conn)


def stored_value(conn: Conn, key_id: int) -> str:
    """The value column as the database holds it, read without the library."""
    row = conn.execute("SELECT value FROM attune.key WHERE id = %s", (key_id,)).fetchone()
    assert row is not None
    return cast(str, row[0])


def set_stored_value(conn: Conn, key_id: int, value: str) -> None:
    conn.execute("UPDATE attune.key SET value = %s WHERE id = %s", (value, key_id))


def name() -> str:
    return unique_name("key_")


def make_owner(conn: Conn, owner_type: OwnerType) -> Owner:
    makers: dict[OwnerType, Callable[[], Owner]] = {
        OwnerType.IDENTITY: lambda: IdentityFixture.unique().create(conn),
        OwnerType.PACK: lambda: PackFixture.unique().create(conn),
        OwnerType.ACTION: lambda: ActionFixture.unique().create(conn),
        OwnerType.SENSOR: lambda: SensorFixture.unique(PackFixture.unique().create(conn)).create(
            conn
        ),
    }
    return makers[owner_type]()


def owner_columns(owner: Owner) -> dict[str, Any]:
    """The owner_type and owner_<type> fields of a key owned by `owner`."""
    owner_type = {
        Identity: OwnerType.IDENTITY,
        Pack: OwnerType.PACK,
        Action: OwnerType.ACTION,
        Sensor: OwnerType.SENSOR,
    }[type(owner)]
    return {"owner_type": owner_type, f"owner_{owner_type}": owner.id}


def owner_text(owner: Owner) -> str:
    """What the trigger stores in `owner`: the identity's id, else the owner's ref."""
    return str(owner.id) if isinstance(owner, Identity) else owner.ref


OWNED_TYPES = [OwnerType.IDENTITY, OwnerType.PACK, OwnerType.ACTION, OwnerType.SENSOR]


# -- create and the owner trigger ------------------------------------------------------


def test_create_system_key(conn: Conn) -> None:
    key_name = name()

    key = keys(conn).create(CreateKeyInput(name=key_name, value="plain value"))

    assert key.id > 0
    assert (key.ref, key.name, key.owner_type, key.owner) == (
        key_name,
        key_name,
        OwnerType.SYSTEM,
        "system",
    )
    assert (key.owner_identity, key.owner_pack, key.owner_action, key.owner_sensor) == (None,) * 4
    assert (key.encrypted, key.encryption_key_hash, key.value) == (False, None, "plain value")
    assert keys(conn).get_by_id(key.id) == key


@pytest.mark.parametrize("owner_type", OWNED_TYPES)
def test_create_owned_key_fills_owner_and_ref(conn: Conn, owner_type: OwnerType) -> None:
    owner = make_owner(conn, owner_type)

    key = KeyFixture.unique(owner).create(conn)

    assert key.owner_type == owner_type
    assert key.owner == owner_text(owner)
    assert key.ref == f"{owner_text(owner)}.{key.name}"
    assert getattr(key, f"owner_{owner_type}") == owner.id
    if owner_type != OwnerType.IDENTITY:
        assert getattr(key, f"owner_{owner_type}_ref") == owner_text(owner)
    assert keys(conn).get_by_ref(key.ref) == key


def test_create_pack_key_corrects_a_wrong_owner_pack_ref(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)

    key = KeyFixture.unique(pack).with_owner_pack_ref("not-the-pack").create(conn)

    assert (key.owner_pack_ref, key.owner) == (pack.ref, pack.ref)


def test_create_system_key_with_owner_column_raises_validation_error(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    data = CreateKeyInput(name=name(), value="v", owner_pack=pack.id)

    error = refused(conn, ValidationError, lambda: keys(conn).create(data))

    assert (error.constraint, error.sqlstate) == ("key_owner_matches_type", "23514")
    assert keys(conn).find_by_ref(data.name) is None


@pytest.mark.parametrize("owner_type", OWNED_TYPES)
def test_create_owned_key_without_owner_column_raises_validation_error(
    conn: Conn, owner_type: OwnerType
) -> None:
    data = CreateKeyInput(name=name(), value="v", owner_type=owner_type)

    error = refused(conn, ValidationError, lambda: keys(conn).create(data))

    assert error.constraint == "key_owner_matches_type"


def test_create_owner_column_of_another_type_raises_validation_error(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    data = CreateKeyInput(
        name=name(), value="v", owner_type=OwnerType.PACK, owner_identity=identity.id
    )

    error = refused(conn, ValidationError, lambda: keys(conn).create(data))

    assert error.constraint == "key_owner_matches_type"
    assert keys(conn).find_by_owner(OwnerType.IDENTITY, identity.id) == []


def test_create_two_owner_columns_raises_validation_error(conn: Conn) -> None:
    identity, pack = IdentityFixture.unique().create(conn), PackFixture.unique().create(conn)
    data = CreateKeyInput(
        name=name(),
        value="v",
        owner_type=OwnerType.PACK,
        owner_pack=pack.id,
        owner_identity=identity.id,
    )

    error = refused(conn, ValidationError, lambda: keys(conn).create(data))

    assert error.constraint == "key_owner_matches_type"
    assert keys(conn).find_by_owner(OwnerType.PACK, pack.ref) == []


def test_create_missing_owner_raises_reference_violation(conn: Conn) -> None:
    data = CreateKeyInput(name=name(), value="v", owner_type=OwnerType.PACK, owner_pack=MISSING_ID)

    error = refused(conn, ReferenceViolation, lambda: keys(conn).create(data))

    assert error.constraint == "key_owner_pack_fkey"


def test_create_duplicate_name_for_one_owner_raises_already_exists(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    key = KeyFixture.unique(pack).create(conn)
    data = CreateKeyInput(
        name=key.name, value="again", owner_type=OwnerType.PACK, owner_pack=pack.id
    )

    error = refused(conn, AlreadyExists, lambda: keys(conn).create(data))

    # Both unique constraints say the same thing here; which one PostgreSQL reports
    # first is its business.
    assert error.constraint in ("key_ref_key", "key_owner_name_key")
    assert keys(conn).find_by_owner(OwnerType.PACK, pack.ref) == [key]


def test_create_duplicate_system_key_raises_already_exists(conn: Conn) -> None:
    key = KeyFixture.unique().create(conn)

    error = refused(
        conn, AlreadyExists, lambda: keys(conn).create(CreateKeyInput(name=key.name, value="x"))
    )

    assert error.constraint in ("key_ref_key", "key_owner_name_key")


def test_create_same_name_under_different_owners(conn: Conn) -> None:
    key_name = name()
    owners: list[Owner | None] = [
        None,
        *(make_owner(conn, owner_type) for owner_type in OWNED_TYPES),
        PackFixture.unique().create(conn),
    ]

    made = [KeyFixture.unique(owner).with_name(key_name).create(conn) for owner in owners]

    assert {key.name for key in made} == {key_name}
    assert len({key.ref for key in made}) == len(owners)


def test_create_encrypted_without_hash_raises_validation_error(conn: Conn) -> None:
    data = CreateKeyInput(name=name(), value="ciphertext?", encrypted=True)

    error = refused(conn, ValidationError, lambda: keys(conn).create(data))

    assert error.constraint == "key_encryption_key_hash"
    assert keys(conn).find_by_ref(data.name) is None


def test_create_without_value_raises_validation_error(conn: Conn) -> None:
    data = CreateKeyInput(name=name(), value=cast(str, None))

    error = refused(conn, ValidationError, lambda: keys(conn).create(data))

    assert (error.sqlstate, error.column) == ("23502", "value")


# -- find_by_owner_type / find_by_owner ------------------------------------------------


@pytest.mark.parametrize("owner_type", [OwnerType.SYSTEM, *OWNED_TYPES])
def test_find_by_owner_type_returns_only_that_type(conn: Conn, owner_type: OwnerType) -> None:
    made = {
        made_type: KeyFixture.unique(
            None if made_type == OwnerType.SYSTEM else make_owner(conn, made_type)
        ).create(conn)
        for made_type in [OwnerType.SYSTEM, *OWNED_TYPES]
    }

    found = keys(conn).find_by_owner_type(owner_type)

    assert made[owner_type] in found
    assert {key.owner_type for key in found} == {owner_type}


def test_find_by_owner_type_orders_by_ref(conn: Conn) -> None:
    stem = name()
    made = [KeyFixture.unique().with_name(f"{stem}_{letter}").create(conn) for letter in "cab"]

    found = keys(conn).find_by_owner_type(OwnerType.SYSTEM)

    wanted = {key.id for key in made}
    assert [key.name for key in found if key.id in wanted] == [
        f"{stem}_a",
        f"{stem}_b",
        f"{stem}_c",
    ]


def test_find_by_owner_returns_the_owners_keys_ordered_by_ref(conn: Conn) -> None:
    pack, other = PackFixture.unique().create(conn), PackFixture.unique().create(conn)
    made = [KeyFixture.unique(pack).with_name(f"k{letter}").create(conn) for letter in "cab"]
    KeyFixture.unique(other).with_name("ka").create(conn)
    action_key = KeyFixture.unique(ActionFixture.unique(pack).create(conn)).create(conn)

    found = keys(conn).find_by_owner(OwnerType.PACK, pack.ref)

    assert [key.name for key in found] == ["ka", "kb", "kc"]
    assert {key.id for key in found} == {key.id for key in made}
    assert action_key not in found


def test_find_by_owner_identity_by_id(conn: Conn) -> None:
    identity = IdentityFixture.unique().create(conn)
    key = KeyFixture.unique(identity).create(conn)

    assert keys(conn).find_by_owner(OwnerType.IDENTITY, identity.id) == [key]
    assert keys(conn).find_by_owner(OwnerType.IDENTITY, str(identity.id)) == [key]


def test_find_by_owner_unknown_returns_empty(conn: Conn) -> None:
    assert keys(conn).find_by_owner(OwnerType.PACK, unique_name("pack")) == []
    assert keys(conn).find_by_owner(OwnerType.IDENTITY, MISSING_ID) == []


# -- update ----------------------------------------------------------------------------


def test_update_value_keeps_owner_and_ref(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    key = KeyFixture.unique(pack).create(conn)

    updated = keys(conn).update(key.id, UpdateKeyInput(value="new value"))

    assert updated.value == "new value"
    assert (updated.ref, updated.owner, updated.owner_pack, updated.owner_pack_ref) == (
        key.ref,
        pack.ref,
        pack.id,
        pack.ref,
    )
    assert keys(conn).get_by_id(key.id) == updated


def test_update_encrypted_and_hash(conn: Conn) -> None:
    key = KeyFixture.unique().create(conn)

    updated = keys(conn).update(
        key.id, UpdateKeyInput(encrypted=True, encryption_key_hash="ab" * 32)
    )

    assert (updated.encrypted, updated.encryption_key_hash) == (True, "ab" * 32)
    assert updated.value == key.value


def test_update_encrypted_without_hash_raises_validation_error(conn: Conn) -> None:
    key = KeyFixture.unique().create(conn)

    error = refused(
        conn, ValidationError, lambda: keys(conn).update(key.id, UpdateKeyInput(encrypted=True))
    )

    assert error.constraint == "key_encryption_key_hash"
    assert keys(conn).get_by_id(key.id) == key


# -- delete ----------------------------------------------------------------------------


@pytest.mark.parametrize("owner_type", OWNED_TYPES)
def test_delete_owner_cascades_to_its_keys(conn: Conn, owner_type: OwnerType) -> None:
    owner, other = make_owner(conn, owner_type), make_owner(conn, owner_type)
    owned, kept = KeyFixture.unique(owner).create(conn), KeyFixture.unique(other).create(conn)
    repositories: dict[OwnerType, Callable[[Conn], Any]] = {
        OwnerType.IDENTITY: IdentityRepository,
        OwnerType.PACK: PackRepository,
        OwnerType.ACTION: ActionRepository,
        OwnerType.SENSOR: SensorRepository,
    }

    assert repositories[owner_type](conn).delete(owner.id) is True

    assert keys(conn).find_by_id(owned.id) is None
    assert keys(conn).find_by_id(kept.id) == kept


def test_delete_pack_cascades_to_keys_of_its_actions_and_sensors(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    made = [
        KeyFixture.unique(owner).create(conn)
        for owner in (
            pack,
            ActionFixture.unique(pack).create(conn),
            SensorFixture.unique(pack).create(conn),
        )
    ]

    open_repository(PackRepository, conn).delete(pack.id)

    assert [keys(conn).find_by_id(key.id) for key in made] == [None, None, None]


# -- secrets ---------------------------------------------------------------------------


def test_create_secret_stores_ciphertext_never_the_plaintext(conn: Conn) -> None:
    key = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY)

    stored = stored_value(conn, key.id)
    assert stored == key.value
    assert SECRET not in stored and stored != SECRET
    assert key.encrypted is True
    assert key.encryption_key_hash == crypto.key_hash(ENCRYPTION_KEY)
    assert (key.owner_type, key.ref) == (OwnerType.SYSTEM, key.name)


def test_create_secret_same_plaintext_twice_stores_different_values(conn: Conn) -> None:
    first = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY)
    second = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY)

    assert stored_value(conn, first.id) != stored_value(conn, second.id)
    assert keys(conn).reveal(first, ENCRYPTION_KEY) == keys(conn).reveal(second, ENCRYPTION_KEY)


@pytest.mark.parametrize("owner_type", OWNED_TYPES)
def test_create_secret_for_an_owner_reveals(conn: Conn, owner_type: OwnerType) -> None:
    owner = make_owner(conn, owner_type)

    key = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY, **owner_columns(owner))

    assert key.ref == f"{owner_text(owner)}.{key.name}"
    assert keys(conn).reveal(keys(conn).get_by_ref(key.ref), ENCRYPTION_KEY) == SECRET


def test_create_secret_bad_owner_raises_validation_error(conn: Conn) -> None:
    key_name = name()

    error = refused(
        conn,
        ValidationError,
        lambda: keys(conn).create_secret(
            key_name, SECRET, ENCRYPTION_KEY, owner_type=OwnerType.PACK
        ),
    )

    assert error.constraint == "key_owner_matches_type"


def test_create_secret_wrong_size_key_raises_validation_error(conn: Conn) -> None:
    key_name = name()

    with pytest.raises(ValidationError, match="32 raw bytes"):
        keys(conn).create_secret(key_name, SECRET, ENCRYPTION_KEY[:16])

    assert keys(conn).find_by_ref(key_name) is None


def test_reveal_plain_key_returns_its_value(conn: Conn) -> None:
    key = KeyFixture.unique().with_value("not secret").create(conn)

    assert keys(conn).reveal(key, ENCRYPTION_KEY) == "not secret"
    assert keys(conn).reveal(key, OTHER_KEY) == "not secret"


def test_reveal_with_the_right_key_returns_the_plaintext(conn: Conn) -> None:
    key = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY)

    assert keys(conn).reveal(keys(conn).get_by_id(key.id), ENCRYPTION_KEY) == SECRET


def test_reveal_with_another_key_raises_decryption_error(conn: Conn) -> None:
    key = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY)

    with pytest.raises(DecryptionError, match="another encryption key") as caught:
        keys(conn).reveal(key, OTHER_KEY)

    assert SECRET not in str(caught.value)


def test_reveal_tampered_value_raises_decryption_error(conn: Conn) -> None:
    key = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY)
    stored = stored_value(conn, key.id)
    # One base64 character of the ciphertext changed: still base64, no longer authentic.
    changed = "B" if stored[20] == "A" else "A"
    set_stored_value(conn, key.id, stored[:20] + changed + stored[21:])

    with pytest.raises(DecryptionError):
        keys(conn).reveal(keys(conn).get_by_id(key.id), ENCRYPTION_KEY)


def test_reveal_value_that_is_not_a_ciphertext_raises_decryption_error(conn: Conn) -> None:
    key = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY)
    set_stored_value(conn, key.id, SECRET)

    with pytest.raises(DecryptionError):
        keys(conn).reveal(keys(conn).get_by_id(key.id), ENCRYPTION_KEY)


def test_reveal_ciphertext_copied_to_another_key_raises_decryption_error(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    source = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY, **owner_columns(pack))
    target = keys(conn).create_secret(name(), "other", ENCRYPTION_KEY, **owner_columns(pack))
    set_stored_value(conn, target.id, stored_value(conn, source.id))

    with pytest.raises(DecryptionError):
        keys(conn).reveal(keys(conn).get_by_id(target.id), ENCRYPTION_KEY)


def test_update_secret_turns_a_plain_key_into_a_secret(conn: Conn) -> None:
    key = KeyFixture.unique().with_value(SECRET).create(conn)

    updated = keys(conn).update_secret(key.id, SECRET, ENCRYPTION_KEY)

    assert updated.encrypted is True
    assert updated.encryption_key_hash == crypto.key_hash(ENCRYPTION_KEY)
    assert SECRET not in stored_value(conn, key.id)
    assert keys(conn).reveal(updated, ENCRYPTION_KEY) == SECRET


def test_update_secret_moves_to_another_encryption_key(conn: Conn) -> None:
    key = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY)

    rotated = keys(conn).update_secret(key.id, "rotated", OTHER_KEY)

    assert keys(conn).reveal(rotated, OTHER_KEY) == "rotated"
    with pytest.raises(DecryptionError):
        keys(conn).reveal(rotated, ENCRYPTION_KEY)
    assert (rotated.ref, rotated.owner) == (key.ref, key.owner)


def test_update_secret_missing_raises_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound):
        keys(conn).update_secret(MISSING_ID, SECRET, ENCRYPTION_KEY)


# -- secrets stay out of repr ----------------------------------------------------------


def test_repr_hides_key_values(conn: Conn) -> None:
    key = KeyFixture.unique().with_value(SECRET).create(conn)

    for shown in (key, CreateKeyInput(name="k", value=SECRET), UpdateKeyInput(value=SECRET)):
        assert SECRET not in repr(shown)
        assert "value=" not in repr(shown)
    assert key.ref in repr(key)


def test_repr_of_secret_shows_neither_plaintext_nor_ciphertext(conn: Conn) -> None:
    key = keys(conn).create_secret(name(), SECRET, ENCRYPTION_KEY)

    assert SECRET not in repr(key)
    assert key.value not in repr(key)
