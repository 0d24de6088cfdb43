# WARNING: generated from artifact_async.py by tools/async_to_sync.py - edit that file, then run make generate.
# ruff: noqa: E501
"""Artifacts: outputs kept under a retention policy. Several versions share a ref."""

from __future__ import annotations

from ..models import Artifact
from ..models import ArtifactRetention
from ..models import ArtifactType
from ..models import OwnerType
from ..queries.artifact import ARTIFACTS
from ..queries.artifact import ARTIFACTS_BY_OWNER
from ..queries.artifact import ARTIFACTS_BY_REF
from ..queries.artifact import ARTIFACTS_BY_RETENTION_POLICY
from ..queries.artifact import ARTIFACTS_BY_SCOPE
from ..queries.artifact import ARTIFACTS_BY_TYPE
from ..queries.artifact import CreateArtifactInput
from ..queries.artifact import UpdateArtifactInput
from ..statements import DEFAULT_LIMIT
from .base import Repository


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
