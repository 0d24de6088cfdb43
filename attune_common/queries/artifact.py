"""Artifacts: outputs kept under a retention policy. Several versions share a ref."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Artifact, ArtifactRetention, ArtifactType, OwnerType
from ..statements import NEWEST_FIRST, Table


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
    ref: str | None = None
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
