"""Identities and RBAC: permission sets, and the assignments that grant them."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Identity, JsonArray, JsonObject, PermissionAssignment, PermissionSet
from ..statements import NEWEST_FIRST, Table
from .base import BaseRepository, RefRepository, Repository

# -- identities ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateIdentityInput:
    login: str
    display_name: str | None = None
    password_hash: str | None = field(default=None, repr=False)
    attributes: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpdateIdentityInput:
    display_name: str | None = None
    password_hash: str | None = field(default=None, repr=False)
    attributes: JsonObject | None = None


IDENTITIES = Table("identity", Identity, order_by="login", json_columns=("attributes",))


class IdentityRepository(Repository[Identity, CreateIdentityInput, UpdateIdentityInput]):
    table = IDENTITIES

    def find_by_login(self, login: str) -> Identity | None:
        return self._find_by("login", login)

    def get_by_login(self, login: str) -> Identity:
        return self._get_by("login", login)


# -- permission sets -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatePermissionSetInput:
    ref: str
    pack: int | None = None
    pack_ref: str | None = None
    label: str | None = None
    description: str | None = None
    grants: JsonArray = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UpdatePermissionSetInput:
    label: str | None = None
    description: str | None = None
    grants: JsonArray | None = None


PERMISSION_SETS = Table("permission_set", PermissionSet, order_by="ref", json_columns=("grants",))


class PermissionSetRepository(
    RefRepository[PermissionSet, CreatePermissionSetInput, UpdatePermissionSetInput]
):
    table = PERMISSION_SETS


# -- permission assignments ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatePermissionAssignmentInput:
    identity: int
    permset: int


PERMISSION_ASSIGNMENTS = Table("permission_assignment", PermissionAssignment, order_by=NEWEST_FIRST)


class PermissionAssignmentRepository(
    BaseRepository[PermissionAssignment, CreatePermissionAssignmentInput]
):
    """Which identity holds which permission set. Assignments are created and deleted,
    never updated."""

    table = PERMISSION_ASSIGNMENTS
