"""Keys: configuration values and secrets, owned by the system or by one identity,
pack, action or sensor. A trigger fills `owner` and `ref` ([owner.]name)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Key, OwnerType
from ..statements import Table
from .base import RefRepository


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
    encryption_key_hash: str | None = None


KEYS = Table("key", Key, order_by="ref")


class KeyRepository(RefRepository[Key, CreateKeyInput, UpdateKeyInput]):
    table = KEYS
