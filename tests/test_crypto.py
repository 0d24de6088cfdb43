"""attune_common.crypto: AES-256-GCM values for secret keys (no database needed)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from attune_common.crypto import (
    KEY_SIZE,
    NONCE_SIZE,
    decrypt,
    encrypt,
    generate_key,
    key_hash,
)
from attune_common.errors import DecryptionError, ValidationError

SECRET = "s3cr3t: pässwörd 🚀"
KEY = bytes(range(KEY_SIZE))


def flip_byte(value: str, position: int) -> str:
    """`value` (base64) with one bit of its raw byte at `position` changed."""
    raw = bytearray(base64.b64decode(value))
    raw[position] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# -- keys ------------------------------------------------------------------------------


def test_generate_key_is_32_random_bytes() -> None:
    first, second = generate_key(), generate_key()

    assert (len(first), len(second)) == (KEY_SIZE, KEY_SIZE)
    assert first != second


def test_key_hash_is_hex_sha256_of_the_key() -> None:
    assert key_hash(KEY) == hashlib.sha256(KEY).hexdigest()
    assert len(key_hash(KEY)) == 64
    assert key_hash(KEY) != key_hash(generate_key())


@pytest.mark.parametrize(
    "bad_key",
    [b"", b"short", bytes(16), bytes(31), bytes(33), "a" * 32, bytes(64).hex(), None],
    ids=["empty", "short", "aes128", "31", "33", "str32", "hex_str", "none"],
)
def test_wrong_key_type_or_size_raises_validation_error(bad_key: Any) -> None:
    calls: list[Callable[[], object]] = [
        lambda: key_hash(bad_key),
        lambda: encrypt(SECRET, bad_key),
        lambda: decrypt(encrypt(SECRET, KEY), bad_key),
    ]
    for call in calls:
        with pytest.raises(ValidationError, match="32 raw bytes"):
            call()


# -- encrypt ---------------------------------------------------------------------------


def test_encrypt_decrypt_round_trip() -> None:
    assert decrypt(encrypt(SECRET, KEY), KEY) == SECRET


@pytest.mark.parametrize("plaintext", ["", "x", "a\x00b", "line\nbreak", "ü" * 10_000])
def test_encrypt_decrypt_round_trips_any_text(plaintext: str) -> None:
    assert decrypt(encrypt(plaintext, KEY), KEY) == plaintext


def test_encrypt_is_base64_of_nonce_ciphertext_and_tag() -> None:
    value = encrypt(SECRET, KEY)

    raw = base64.b64decode(value, validate=True)
    assert len(raw) == NONCE_SIZE + len(SECRET.encode()) + 16
    assert value.isascii()


def test_encrypt_does_not_contain_the_plaintext() -> None:
    value = encrypt(SECRET, KEY)

    assert SECRET not in value
    assert SECRET.encode() not in base64.b64decode(value)


def test_encrypt_same_plaintext_twice_differs() -> None:
    first, second = encrypt(SECRET, KEY), encrypt(SECRET, KEY)

    assert first != second
    assert base64.b64decode(first)[:NONCE_SIZE] != base64.b64decode(second)[:NONCE_SIZE]


# -- decrypt ---------------------------------------------------------------------------


def test_decrypt_with_wrong_key_raises_decryption_error() -> None:
    with pytest.raises(DecryptionError, match="wrong key"):
        decrypt(encrypt(SECRET, KEY), generate_key())


@pytest.mark.parametrize("position", [0, NONCE_SIZE, -1], ids=["nonce", "ciphertext", "tag"])
def test_decrypt_tampered_value_raises_decryption_error(position: int) -> None:
    tampered = flip_byte(encrypt(SECRET, KEY), position)

    with pytest.raises(DecryptionError):
        decrypt(tampered, KEY)


def test_decrypt_truncated_value_raises_decryption_error() -> None:
    raw = base64.b64decode(encrypt(SECRET, KEY))

    for length in (0, NONCE_SIZE, NONCE_SIZE + 15, len(raw) - 1):
        with pytest.raises(DecryptionError):
            decrypt(base64.b64encode(raw[:length]).decode(), KEY)


@pytest.mark.parametrize("value", ["not base64!", "abc", SECRET], ids=["symbols", "pad", "plain"])
def test_decrypt_not_base64_raises_decryption_error(value: str) -> None:
    with pytest.raises(DecryptionError):
        decrypt(value, KEY)


def test_decrypt_with_same_associated_data() -> None:
    value = encrypt(SECRET, KEY, b"attune.key/system//db_password")

    assert decrypt(value, KEY, b"attune.key/system//db_password") == SECRET


def test_decrypt_with_other_or_missing_associated_data_raises_decryption_error() -> None:
    value = encrypt(SECRET, KEY, b"attune.key/system//db_password")

    for other in (b"attune.key/system//other", None):
        with pytest.raises(DecryptionError):
            decrypt(value, KEY, other)
    with pytest.raises(DecryptionError):
        decrypt(encrypt(SECRET, KEY), KEY, b"attune.key/system//db_password")


def test_decrypt_authentic_but_not_utf8_raises_decryption_error() -> None:
    nonce = bytes(NONCE_SIZE)
    value = base64.b64encode(nonce + AESGCM(KEY).encrypt(nonce, b"\xff\xfe", None)).decode()

    with pytest.raises(DecryptionError, match="UTF-8"):
        decrypt(value, KEY)
