"""Artifacts: outputs kept under a retention policy. Several versions share a ref."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Artifact, ArtifactRetention, ArtifactType, OwnerType
from ..statements import NEWEST_FIRST, Table
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


class ArtifactRepository(Repository[Artifact, CreateArtifactInput, UpdateArtifactInput]):
    table = ARTIFACTS
