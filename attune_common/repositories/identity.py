"""Identities and RBAC: permission sets, and the assignments that grant them.

Passwords are stored only as Argon2id hashes (see `attune_common.passwords`): a
`password_hash` handed to create/update that is not one is refused, so a plaintext
passed by mistake never reaches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from ..models import Identity, Json, JsonArray, JsonObject, PermissionAssignment, PermissionSet
from ..passwords import hash_password, is_password_hash, verify_password
from ..statements import CLEAR, DEFAULT_LIMIT, NEWEST_FIRST, Clear, Table
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
    display_name: str | Clear | None = None
    password_hash: str | Clear | None = field(default=None, repr=False)
    attributes: JsonObject | None = None


IDENTITIES = Table("identity", Identity, order_by="login", json_columns=("attributes",))


def _check_password_hash(data: CreateIdentityInput | UpdateIdentityInput) -> None:
    if isinstance(data.password_hash, str) and not is_password_hash(data.password_hash):
        raise ValidationError(
            "password_hash must be an Argon2id hash (use set_password for a plaintext)",
            table="identity",
            column="password_hash",
        )


class IdentityRepository(Repository[Identity, CreateIdentityInput, UpdateIdentityInput]):
    table = IDENTITIES

    def create(self, data: CreateIdentityInput) -> Identity:
        _check_password_hash(data)
        return super().create(data)

    def update(self, id: int, data: UpdateIdentityInput) -> Identity:
        _check_password_hash(data)
        return super().update(id, data)

    def find_by_login(self, login: str) -> Identity | None:
        return self._find_by("login", login)

    def get_by_login(self, login: str) -> Identity:
        return self._get_by("login", login)

    def set_password(self, id: int, plaintext: str) -> Identity:
        """Store the hash of a new password (an empty one is a ValidationError)."""
        return self.update(id, UpdateIdentityInput(password_hash=hash_password(plaintext)))

    def clear_password(self, id: int) -> Identity:
        """Remove the identity's password: it can no longer authenticate with one."""
        return self.update(id, UpdateIdentityInput(password_hash=CLEAR))

    def authenticate(self, login: str, plaintext: str) -> Identity | None:
        """The identity if `plaintext` is its password; None for a wrong password, an
        unknown login or an identity without a password, all after one Argon2
        verification, so timing does not tell which logins exist."""
        identity = self.find_by_login(login)
        stored = identity.password_hash if identity is not None else None
        return identity if verify_password(stored, plaintext) else None


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
    label: str | Clear | None = None
    description: str | Clear | None = None
    grants: JsonArray | None = None


PERMISSION_SETS = Table("permission_set", PermissionSet, order_by="ref", json_columns=("grants",))

PERMISSION_SETS_BY_PACK = PERMISSION_SETS.statement(
    "SELECT {columns} FROM attune.permission_set WHERE pack = %s ORDER BY ref LIMIT %s"
)


def _check_grants(grants: Any) -> None:
    # grants_for_identity unnests the array of every set an identity holds: one set
    # whose grants were an object or a scalar would make that query fail for everyone.
    if grants is not None and not isinstance(grants, list):
        raise ValidationError(
            f"grants must be a JSON array, not {type(grants).__name__}",
            table="permission_set",
            column="grants",
        )


class PermissionSetRepository(
    RefRepository[PermissionSet, CreatePermissionSetInput, UpdatePermissionSetInput]
):
    table = PERMISSION_SETS

    def create(self, data: CreatePermissionSetInput) -> PermissionSet:
        _check_grants(data.grants)
        return super().create(data)

    def update(self, id: int, data: UpdatePermissionSetInput) -> PermissionSet:
        _check_grants(data.grants)
        return super().update(id, data)

    def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[PermissionSet]:
        return self._all(PERMISSION_SETS_BY_PACK, (pack_id, limit))


# -- permission assignments ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatePermissionAssignmentInput:
    identity: int
    permset: int


PERMISSION_ASSIGNMENTS = Table("permission_assignment", PermissionAssignment, order_by=NEWEST_FIRST)

ASSIGNMENTS_BY_IDENTITY = PERMISSION_ASSIGNMENTS.statement(
    "SELECT {columns} FROM attune.permission_assignment WHERE identity = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
ASSIGNMENTS_BY_PERMSET = PERMISSION_ASSIGNMENTS.statement(
    "SELECT {columns} FROM attune.permission_assignment WHERE permset = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
# Every grant of every set the identity holds, each once: ordered by set ref, then by
# place in the set's array; a grant found in several sets (JSONB equality, so key order
# does not matter) keeps its first place.
GRANTS_FOR_IDENTITY = PERMISSION_ASSIGNMENTS.command(
    "SELECT value FROM ("
    " SELECT DISTINCT ON (element.value) element.value, permset.ref, element.position"
    " FROM attune.permission_assignment assignment"
    " JOIN attune.permission_set permset ON permset.id = assignment.permset"
    " CROSS JOIN LATERAL jsonb_array_elements(permset.grants)"
    " WITH ORDINALITY AS element(value, position)"
    " WHERE assignment.identity = %s"
    " ORDER BY element.value, permset.ref, element.position"
    ") first_places ORDER BY ref, position"
)


class PermissionAssignmentRepository(
    BaseRepository[PermissionAssignment, CreatePermissionAssignmentInput]
):
    """Which identity holds which permission set. Assignments are created and deleted,
    never updated."""

    table = PERMISSION_ASSIGNMENTS

    def find_by_identity(
        self, identity_id: int, limit: int = DEFAULT_LIMIT
    ) -> list[PermissionAssignment]:
        return self._all(ASSIGNMENTS_BY_IDENTITY, (identity_id, limit))

    def find_by_permset(
        self, permset_id: int, limit: int = DEFAULT_LIMIT
    ) -> list[PermissionAssignment]:
        return self._all(ASSIGNMENTS_BY_PERMSET, (permset_id, limit))

    def grants_for_identity(self, identity_id: int) -> list[Json]:
        """The grants of all the identity's permission sets, without duplicates, in
        permission set ref order and then array order ([] if it holds none)."""
        return [row[0] for row in self._all(GRANTS_FOR_IDENTITY, (identity_id,))]
