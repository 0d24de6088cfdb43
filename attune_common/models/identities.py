"""Identities, their RBAC, and keys (configuration values and secrets).

One frozen dataclass per table, one field per column, in the table's column order.
Password hashes and key values are left out of `repr` so they do not end up in logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .enums import OwnerType
from .json import JsonArray, JsonObject


@dataclass(frozen=True, slots=True)
class Identity:
    id: int
    login: str
    display_name: str | None
    password_hash: str | None = field(repr=False)
    attributes: JsonObject
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class PermissionSet:
    id: int
    ref: str
    pack: int | None
    pack_ref: str | None
    label: str | None
    description: str | None
    grants: JsonArray
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class PermissionAssignment:
    id: int
    identity: int
    permset: int
    created: datetime


@dataclass(frozen=True, slots=True)
class Key:
    id: int
    ref: str
    owner_type: OwnerType
    owner: str | None
    owner_identity: int | None
    owner_pack: int | None
    owner_pack_ref: str | None
    owner_action: int | None
    owner_action_ref: str | None
    owner_sensor: int | None
    owner_sensor_ref: str | None
    name: str
    encrypted: bool
    encryption_key_hash: str | None
    value: str = field(repr=False)
    created: datetime
    updated: datetime
