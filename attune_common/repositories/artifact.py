"""Artifacts: outputs kept under a retention policy. Several versions share a ref."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Artifact, ArtifactRetention, ArtifactType, OwnerType
from ..statements import DEFAULT_LIMIT, NEWEST_FIRST, Table
from .base import Repository


@dataclass(frozen=True, slots=True)
class CreateArtifactInput:
    ref: str
    type: ArtifactType
    scope: OwnerType = OwnerType.SYSTEM
    owner: str = ""
    retention_policy: ArtifactRetention = ArtifactRetention.VERSIONS
    retention_limit: int = 1


@dataclass(frozen=True, slots=True)
class UpdateArtifactInput:
    type: ArtifactType | None = None
    scope: OwnerType | None = None
    owner: str | None = None
    retention_policy: ArtifactRetention | None = None
    retention_limit: int | None = None


ARTIFACTS = Table("artifact", Artifact, order_by=NEWEST_FIRST)

ARTIFACTS_BY_REF = ARTIFACTS.statement(
    "SELECT {columns} FROM attune.artifact WHERE ref = %s ORDER BY created DESC, id DESC LIMIT %s"
)
ARTIFACTS_BY_SCOPE = ARTIFACTS.statement(
    "SELECT {columns} FROM attune.artifact WHERE scope = %s ORDER BY created DESC, id DESC LIMIT %s"
)
ARTIFACTS_BY_OWNER = ARTIFACTS.statement(
    "SELECT {columns} FROM attune.artifact WHERE scope = %s AND owner = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)
ARTIFACTS_BY_TYPE = ARTIFACTS.statement(
    "SELECT {columns} FROM attune.artifact WHERE type = %s ORDER BY created DESC, id DESC LIMIT %s"
)
ARTIFACTS_BY_RETENTION_POLICY = ARTIFACTS.statement(
    "SELECT {columns} FROM attune.artifact WHERE retention_policy = %s"
    " ORDER BY created DESC, id DESC LIMIT %s"
)


class ArtifactRepository(Repository[Artifact, CreateArtifactInput, UpdateArtifactInput]):
    """Artifacts, newest first. `ref` is not unique: each row is one version."""

    table = ARTIFACTS

    def find_by_ref(self, ref: str, limit: int = DEFAULT_LIMIT) -> list[Artifact]:
        """Every version stored under `ref`, the newest first."""
        return self._all(ARTIFACTS_BY_REF, (ref, limit))

    def find_by_scope(self, scope: OwnerType, limit: int = DEFAULT_LIMIT) -> list[Artifact]:
        return self._all(ARTIFACTS_BY_SCOPE, (scope, limit))

    def find_by_owner(
        self, scope: OwnerType, owner: str, limit: int = DEFAULT_LIMIT
    ) -> list[Artifact]:
        """Artifacts of one owner. An owner is named within its scope (a pack ref, an
        identity login, ...), so the scope is part of the question."""
        return self._all(ARTIFACTS_BY_OWNER, (scope, owner, limit))

    def find_by_type(self, type: ArtifactType, limit: int = DEFAULT_LIMIT) -> list[Artifact]:
        return self._all(ARTIFACTS_BY_TYPE, (type, limit))

    def find_by_retention_policy(
        self, policy: ArtifactRetention, limit: int = DEFAULT_LIMIT
    ) -> list[Artifact]:
        return self._all(ARTIFACTS_BY_RETENTION_POLICY, (policy, limit))
