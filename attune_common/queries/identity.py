"""Identities and RBAC: permission sets, and the assignments that grant them.

Passwords are stored only as Argon2id hashes (see `attune_common.passwords`): a
`password_hash` handed to create/update that is not one is refused, so a plaintext
passed by mistake never reaches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from ..models import Identity, JsonArray, JsonObject, PermissionAssignment, PermissionSet
from ..passwords import is_password_hash
from ..statements import NEWEST_FIRST, Clear, Table

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


def check_password_hash(data: CreateIdentityInput | UpdateIdentityInput) -> None:
    if isinstance(data.password_hash, str) and not is_password_hash(data.password_hash):
        raise ValidationError(
            "password_hash must be an Argon2id hash (use set_password for a plaintext)",
            table="identity",
            column="password_hash",
        )


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


def check_grants(grants: Any) -> None:
    # grants_for_identity unnests the array of every set an identity holds: one set
    # whose grants were an object or a scalar would make that query fail for everyone.
    if grants is not None and not isinstance(grants, list):
        raise ValidationError(
            f"grants must be a JSON array, not {type(grants).__name__}",
            table="permission_set",
            column="grants",
        )


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
