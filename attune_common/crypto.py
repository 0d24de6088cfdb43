"""Encryption of secret key values: AES-256-GCM with cryptography's AESGCM.

An encryption key is exactly 32 raw bytes (`generate_key()` makes one; a service that
keeps it as hex text passes `bytes.fromhex(text)`). A passphrase is not accepted: a key
derived from one needs a salted, slow KDF and somewhere to keep the salt, which is the
service's business, not the storage layer's.

A stored value is `base64(nonce || ciphertext || tag)` with a fresh random 12-byte nonce
per encryption, so the same plaintext never gives the same value twice. The optional
`associated_data` is authenticated but not stored: a value decrypts only with the same
associated data (KeyRepository binds each value to its key row this way).
`key_hash` (hex SHA-256 of the key) is stored beside the value so that a wrong key is
told apart from tampered data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionError, ValidationError

KEY_SIZE = 32
"""Bytes in an encryption key (AES-256)."""

NONCE_SIZE = 12
"""Bytes of the random nonce that starts every stored value (GCM's standard size)."""

_TAG_SIZE = 16


def generate_key() -> bytes:
    """A new random encryption key."""
    return os.urandom(KEY_SIZE)


def key_hash(key: bytes) -> str:
    """The hex SHA-256 of an encryption key: which key a value was encrypted under."""
    return hashlib.sha256(_checked(key)).hexdigest()


def encrypt(plaintext: str, key: bytes, associated_data: bytes | None = None) -> str:
    """`plaintext` encrypted under `key`, as base64 text for a TEXT column."""
    nonce = os.urandom(NONCE_SIZE)
    sealed = AESGCM(_checked(key)).encrypt(nonce, plaintext.encode(), associated_data)
    return base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(value: str, key: bytes, associated_data: bytes | None = None) -> str:
    """The plaintext of a value `encrypt` made. A wrong key, other associated data, or a
    value that was altered, truncated or is not ours raises DecryptionError: never
    garbage."""
    cipher = AESGCM(_checked(key))
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("the encrypted value is not valid base64") from exc
    if len(raw) < NONCE_SIZE + _TAG_SIZE:
        raise DecryptionError("the encrypted value is too short to hold a nonce and a tag")
    try:
        plain = cipher.decrypt(raw[:NONCE_SIZE], raw[NONCE_SIZE:], associated_data)
    except InvalidTag as exc:
        raise DecryptionError(
            "the encrypted value does not authenticate: wrong key, or altered data"
        ) from exc
    try:
        return plain.decode()
    except UnicodeDecodeError as exc:  # authentic, but not text `encrypt` made
        raise DecryptionError("the decrypted value is not UTF-8 text") from exc


def _checked(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        size = f"{len(key)} bytes" if isinstance(key, bytes) else type(key).__name__
        raise ValidationError(f"an encryption key is {KEY_SIZE} raw bytes, not {size}")
    return key
