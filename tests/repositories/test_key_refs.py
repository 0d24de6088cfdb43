"""Key refs cannot collide: a key's name has no dot and its ref is lowercase (SPEC §2),
checked by the schema, so a system key and a pack's key never share a ref by accident."""

from __future__ import annotations

from typing import Any

import psycopg

from attune_common.errors import ValidationError
from attune_common.models import OwnerType
from attune_common.repositories import CreateKeyInput, KeyRepository
from tests.builders import KeyFixture, PackFixture
from tests.helpers import refused

Conn = psycopg.Connection[Any]


def test_a_name_with_a_dot_is_refused_so_refs_cannot_collide(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)
    keys = KeyRepository(conn)
    owned = keys.create(
        CreateKeyInput(name="token", value="v", owner_type=OwnerType.PACK, owner_pack=pack.id)
    )

    error = refused(
        conn,
        ValidationError,
        lambda: keys.create(CreateKeyInput(name=f"{pack.ref}.token", value="system")),
    )

    assert error.constraint == "key_name_no_dot"
    assert owned.ref == f"{pack.ref}.token"
    assert [
        key.id for key in keys.find_by_owner_type(OwnerType.SYSTEM) if key.ref == owned.ref
    ] == []


def test_an_uppercase_name_is_refused(conn: Conn) -> None:
    keys = KeyRepository(conn)
    name = KeyFixture.unique().create(conn).name

    error = refused(
        conn, ValidationError, lambda: keys.create(CreateKeyInput(name=f"UPPER_{name}", value="v"))
    )

    assert error.constraint == "key_ref_lowercase"
    assert keys.find_by_ref(f"UPPER_{name}") is None
    assert keys.find_by_ref(f"upper_{name}") is None


def test_lowercase_names_without_dots_are_stored_as_refs(conn: Conn) -> None:
    pack = PackFixture.unique().create(conn)

    key = KeyFixture.unique(owner=pack).create(conn)

    assert key.ref == f"{pack.ref}.{key.name}"
    assert "." not in key.name
    assert key.ref == key.ref.lower()
