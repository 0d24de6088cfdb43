"""Keys: configuration values and secrets, owned by the system or by one identity,
pack, action or sensor. A trigger fills `owner` and `ref` ([owner.]name).

A secret is stored encrypted (`attune_common.crypto`, AES-256-GCM): `value` holds the
ciphertext, `encryption_key_hash` which key made it. The plaintext never reaches the
database. Each ciphertext is bound, as associated data, to the key row it belongs to
(owner type, owner id, name: what the row's ref stands for, known before the trigger
computes the ref), so a value copied onto another key row does not decrypt; `reveal`
therefore reads only values made by `create_secret` / `update_secret`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field, replace
from typing import TypedDict

from .. import crypto
from ..errors import DecryptionError
from ..models import Key, OwnerType
from ..statements import Clear, Table


@dataclass(frozen=True, slots=True)
class CreateKeyInput:
    name: str
    value: str = field(repr=False)
    owner_type: OwnerType = OwnerType.SYSTEM
    owner_identity: int | None = None
    owner_pack: int | None = None
    owner_pack_ref: str | None = None
    owner_action: int | None = None
    owner_action_ref: str | None = None
    owner_sensor: int | None = None
    owner_sensor_ref: str | None = None
    encrypted: bool = False
    encryption_key_hash: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateKeyInput:
    value: str | None = field(default=None, repr=False)
    encrypted: bool | None = None
    encryption_key_hash: str | Clear | None = None


class SecretOwner(TypedDict, total=False):
    """Who owns a secret (`create_secret`'s keyword arguments): the system unless told."""

    owner_type: OwnerType
    owner_identity: int | None
    owner_pack: int | None
    owner_action: int | None
    owner_sensor: int | None


KEYS = Table("key", Key, order_by="ref")

KEYS_BY_OWNER_TYPE = KEYS.statement(
    "SELECT {columns} FROM attune.key WHERE owner_type = %s ORDER BY ref LIMIT %s"
)
KEYS_BY_OWNER = KEYS.statement(
    "SELECT {columns} FROM attune.key WHERE owner_type = %s AND owner = %s ORDER BY ref LIMIT %s"
)


def binding(key: CreateKeyInput | Key) -> bytes:
    """The associated data that ties a ciphertext to its key row."""
    owner_id = {
        OwnerType.SYSTEM: None,
        OwnerType.IDENTITY: key.owner_identity,
        OwnerType.PACK: key.owner_pack,
        OwnerType.ACTION: key.owner_action,
        OwnerType.SENSOR: key.owner_sensor,
    }[key.owner_type]
    return f"attune.key/{key.owner_type}/{owner_id or ''}/{key.name}".encode()


def sealed_input(data: CreateKeyInput, plaintext: str, encryption_key: bytes) -> CreateKeyInput:
    """`data` as a secret: `plaintext` encrypted under `encryption_key` (32 bytes, see
    `crypto`), bound to the key row `data` makes."""
    data = replace(data, encrypted=True, encryption_key_hash=crypto.key_hash(encryption_key))
    return replace(data, value=crypto.encrypt(plaintext, encryption_key, binding(data)))


def sealed_update(key: Key, plaintext: str, encryption_key: bytes) -> UpdateKeyInput:
    """The update that makes `key`'s value `plaintext` encrypted under `encryption_key`."""
    return UpdateKeyInput(
        value=crypto.encrypt(plaintext, encryption_key, binding(key)),
        encrypted=True,
        encryption_key_hash=crypto.key_hash(encryption_key),
    )


def revealed(key: Key, encryption_key: bytes) -> str:
    """The plain value of a key: as stored if it is not encrypted, else decrypted.
    DecryptionError if it was encrypted under another key or does not decrypt."""
    if not key.encrypted:
        return key.value
    expected = crypto.key_hash(encryption_key)
    if not hmac.compare_digest(expected, key.encryption_key_hash or ""):
        raise DecryptionError(
            f"key {key.ref!r} was encrypted under another encryption key",
            table="key",
            column="value",
        )
    return crypto.decrypt(key.value, encryption_key, binding(key))
