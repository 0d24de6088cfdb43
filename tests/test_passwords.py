"""attune_common.passwords: Argon2id hashing and verification (no database needed)."""

from __future__ import annotations

from functools import cache

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from attune_common.errors import AttuneError, ValidationError
from attune_common.passwords import (
    hash_password,
    is_password_hash,
    needs_rehash,
    verify_password,
)

PASSWORD = "correct horse battery staple"


@cache
def stored() -> str:
    """One hash of PASSWORD shared by the tests that only read it (Argon2 is slow)."""
    return hash_password(PASSWORD)


# -- hash_password ---------------------------------------------------------------------


def test_hash_password_is_argon2id_phc_string() -> None:
    password_hash = stored()

    assert password_hash.startswith("$argon2id$v=19$")
    assert extract_parameters(password_hash).type is Type.ID


def test_hash_password_does_not_contain_the_plaintext() -> None:
    assert PASSWORD not in stored()
    assert PASSWORD.encode().hex() not in stored()


def test_hash_password_salts_each_hash() -> None:
    assert hash_password(PASSWORD) != stored()


def test_hash_password_empty_raises_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        hash_password("")

    assert caught.value.column == "password_hash"
    assert isinstance(caught.value, AttuneError)


def test_hash_password_unicode_verifies() -> None:
    password = "pässwörd 日本語 🚀"

    assert verify_password(hash_password(password), password)


# -- verify_password -------------------------------------------------------------------


def test_verify_password_right_password_is_true() -> None:
    assert verify_password(stored(), PASSWORD) is True


def test_verify_password_wrong_password_is_false() -> None:
    assert verify_password(stored(), PASSWORD + "!") is False


def test_verify_password_is_case_sensitive() -> None:
    assert verify_password(stored(), PASSWORD.upper()) is False


def test_verify_password_empty_plaintext_is_false() -> None:
    assert verify_password(stored(), "") is False


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=65536,t=3,p=4$AAAA",  # truncated
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt
    ],
    ids=["empty", "text", "truncated", "bcrypt"],
)
def test_verify_password_malformed_hash_is_false(malformed: str) -> None:
    assert verify_password(malformed, PASSWORD) is False


def test_verify_password_tampered_hash_is_false() -> None:
    prefix, digest = stored().rsplit("$", 1)
    flipped = ("B" if digest[0] == "A" else "A") + digest[1:]

    assert verify_password(f"{prefix}${flipped}", PASSWORD) is False


def test_verify_password_without_hash_is_false() -> None:
    assert verify_password(None, PASSWORD) is False
    assert verify_password(None, "") is False


# -- needs_rehash ----------------------------------------------------------------------


def test_needs_rehash_current_parameters_is_false() -> None:
    assert needs_rehash(stored()) is False


def test_needs_rehash_other_parameters_is_true() -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)

    assert verify_password(weaker, PASSWORD) is True
    assert needs_rehash(weaker) is True


def test_needs_rehash_malformed_hash_is_true() -> None:
    assert needs_rehash("not a hash") is True


# -- is_password_hash ------------------------------------------------------------------


def test_is_password_hash_accepts_argon2id() -> None:
    assert is_password_hash(stored()) is True


@pytest.mark.parametrize(
    "value",
    [
        PASSWORD,
        "",
        "$argon2id$",
        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.I).hash("x"),
    ],
    ids=["plaintext", "empty", "prefix_only", "argon2i"],
)
def test_is_password_hash_refuses_anything_else(value: str) -> None:
    assert is_password_hash(value) is False
