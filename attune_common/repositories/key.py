# WARNING: generated from key_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
"""Keys: configuration values and secrets (see `attune_common.queries.key`)."""

from __future__ import annotations

from typing import Unpack

from ..models import Key
from ..models import OwnerType
from ..queries.key import KEYS
from ..queries.key import KEYS_BY_OWNER
from ..queries.key import KEYS_BY_OWNER_TYPE
from ..queries.key import CreateKeyInput
from ..queries.key import SecretOwner
from ..queries.key import UpdateKeyInput
from ..queries.key import revealed
from ..queries.key import sealed_input
from ..queries.key import sealed_update
from ..statements import DEFAULT_LIMIT
from .base import RefRepository


class KeyRepository(RefRepository[Key, CreateKeyInput, UpdateKeyInput]):
    table = KEYS

    def find_by_owner_type(self, owner_type: OwnerType, limit: int = DEFAULT_LIMIT) -> list[Key]:
        return self._all(KEYS_BY_OWNER_TYPE, (owner_type, limit))

    def find_by_owner(
        self, owner_type: OwnerType, owner: str | int, limit: int = DEFAULT_LIMIT
    ) -> list[Key]:
        """The keys of one owner: `owner` is what the trigger stores, the owner's ref
        (pack, action, sensor), the identity's id, or "system"."""
        return self._all(KEYS_BY_OWNER, (owner_type, str(owner), limit))

    def create_secret(
        self, name: str, plaintext: str, encryption_key: bytes, **owner: Unpack[SecretOwner]
    ) -> Key:
        """Store `plaintext` encrypted under `encryption_key` (32 bytes, see `crypto`)."""
        data = CreateKeyInput(name, "", **owner)
        return self.create(sealed_input(data, plaintext, encryption_key))

    def update_secret(self, id: int, plaintext: str, encryption_key: bytes) -> Key:
        """Replace a key's value by `plaintext` encrypted under `encryption_key` (a plain
        key becomes a secret; a secret may move to another encryption key)."""
        change = sealed_update(self.get_by_id(id), plaintext, encryption_key)
        return self.update(id, change)

    def reveal(self, key: Key, encryption_key: bytes) -> str:
        """The plain value of a key (see `queries.key.revealed`)."""
        return revealed(key, encryption_key)
