"""Identities (Argon2id passwords: see `queries.identity`), permission sets, grants."""

from __future__ import annotations

import asyncio

from ..models import Identity
from ..models import Json
from ..models import PermissionAssignment
from ..models import PermissionSet
from ..passwords import hash_password
from ..passwords import verify_password
from ..queries.identity import ASSIGNMENTS_BY_IDENTITY
from ..queries.identity import ASSIGNMENTS_BY_PERMSET
from ..queries.identity import GRANTS_FOR_IDENTITY
from ..queries.identity import IDENTITIES
from ..queries.identity import PERMISSION_ASSIGNMENTS
from ..queries.identity import PERMISSION_SETS
from ..queries.identity import PERMISSION_SETS_BY_PACK
from ..queries.identity import CreateIdentityInput
from ..queries.identity import CreatePermissionAssignmentInput
from ..queries.identity import CreatePermissionSetInput
from ..queries.identity import UpdateIdentityInput
from ..queries.identity import UpdatePermissionSetInput
from ..queries.identity import check_grants
from ..queries.identity import check_password_hash
from ..statements import CLEAR
from ..statements import DEFAULT_LIMIT
from .base_async import AsyncBaseRepository
from .base_async import AsyncRefRepository
from .base_async import AsyncRepository


class AsyncIdentityRepository(AsyncRepository[Identity, CreateIdentityInput, UpdateIdentityInput]):
    table = IDENTITIES

    async def create(self, data: CreateIdentityInput) -> Identity:
        check_password_hash(data)
        return await super().create(data)

    async def update(self, id: int, data: UpdateIdentityInput) -> Identity:
        check_password_hash(data)
        return await super().update(id, data)

    async def find_by_login(self, login: str) -> Identity | None:
        return await self._find_by("login", login)

    async def get_by_login(self, login: str) -> Identity:
        return await self._get_by("login", login)

    async def set_password(self, id: int, plaintext: str) -> Identity:
        """Store the hash of a new password (an empty one is a ValidationError)."""
        hashed = await asyncio.to_thread(hash_password, plaintext)  # Argon2: CPU-bound
        return await self.update(id, UpdateIdentityInput(password_hash=hashed))

    async def clear_password(self, id: int) -> Identity:
        """Remove the identity's password: it can no longer authenticate with one."""
        return await self.update(id, UpdateIdentityInput(password_hash=CLEAR))

    async def authenticate(self, login: str, plaintext: str) -> Identity | None:
        """The identity if `plaintext` is its password; None for a wrong password, an
        unknown login or an identity without a password, all after one Argon2
        verification, so timing does not tell which logins exist."""
        identity = await self.find_by_login(login)
        stored = identity.password_hash if identity is not None else None
        verified = await asyncio.to_thread(verify_password, stored, plaintext)
        return identity if verified else None


class AsyncPermissionSetRepository(
    AsyncRefRepository[PermissionSet, CreatePermissionSetInput, UpdatePermissionSetInput]
):
    table = PERMISSION_SETS

    async def create(self, data: CreatePermissionSetInput) -> PermissionSet:
        check_grants(data.grants)
        return await super().create(data)

    async def update(self, id: int, data: UpdatePermissionSetInput) -> PermissionSet:
        check_grants(data.grants)
        return await super().update(id, data)

    async def find_by_pack(self, pack_id: int, limit: int = DEFAULT_LIMIT) -> list[PermissionSet]:
        return await self._all(PERMISSION_SETS_BY_PACK, (pack_id, limit))


class AsyncPermissionAssignmentRepository(
    AsyncBaseRepository[PermissionAssignment, CreatePermissionAssignmentInput]
):
    """Which identity holds which permission set. Assignments are created and deleted,
    never updated."""

    table = PERMISSION_ASSIGNMENTS

    async def find_by_identity(
        self, identity_id: int, limit: int = DEFAULT_LIMIT
    ) -> list[PermissionAssignment]:
        return await self._all(ASSIGNMENTS_BY_IDENTITY, (identity_id, limit))

    async def find_by_permset(
        self, permset_id: int, limit: int = DEFAULT_LIMIT
    ) -> list[PermissionAssignment]:
        return await self._all(ASSIGNMENTS_BY_PERMSET, (permset_id, limit))

    async def grants_for_identity(self, identity_id: int) -> list[Json]:
        """The grants of all the identity's permission sets, without duplicates, in
        permission set ref order and then array order ([] if it holds none)."""
        return [row[0] for row in await self._all(GRANTS_FOR_IDENTITY, (identity_id,))]
