"""How things are stored: one repository per entity, one module per domain.

`XRepository(conn)` takes a `psycopg.Connection`; `AsyncXRepository(conn)` takes a
`psycopg.AsyncConnection` and has the same methods as coroutines. The async modules
(`<domain>_async.py`) are the source, the sync ones are generated from them
(`make generate`); inputs and statements live in `attune_common.queries`.
"""

from ..queries.action import (
    CreateActionInput,
    CreatePolicyInput,
    UpdateActionInput,
    UpdatePolicyInput,
)
from ..queries.artifact import CreateArtifactInput, UpdateArtifactInput
from ..queries.event import (
    CreateEnforcementInput,
    CreateEventInput,
    UpdateEnforcementInput,
    UpdateEventInput,
)
from ..queries.execution import (
    CreateExecutionInput,
    CreateInquiryInput,
    UpdateExecutionInput,
    UpdateInquiryInput,
)
from ..queries.identity import (
    CreateIdentityInput,
    CreatePermissionAssignmentInput,
    CreatePermissionSetInput,
    UpdateIdentityInput,
    UpdatePermissionSetInput,
)
from ..queries.key import CreateKeyInput, UpdateKeyInput
from ..queries.notification import CreateNotificationInput, UpdateNotificationInput
from ..queries.pack import CreatePackInput, UpdatePackInput
from ..queries.queue_stats import UpsertQueueStatsInput
from ..queries.rule import CreateRuleInput, UpdateRuleInput
from ..queries.runtime import (
    CreateRuntimeInput,
    CreateWorkerInput,
    UpdateRuntimeInput,
    UpdateWorkerInput,
)
from ..queries.trigger import (
    CreateSensorInput,
    CreateTriggerInput,
    UpdateSensorInput,
    UpdateTriggerInput,
)
from ..statements import CLEAR
from .action import ActionRepository, PolicyRepository
from .action_async import AsyncActionRepository, AsyncPolicyRepository
from .artifact import ArtifactRepository
from .artifact_async import AsyncArtifactRepository
from .event import EnforcementRepository, EventRepository
from .event_async import AsyncEnforcementRepository, AsyncEventRepository
from .execution import ExecutionRepository, InquiryRepository
from .execution_async import AsyncExecutionRepository, AsyncInquiryRepository
from .identity import IdentityRepository, PermissionAssignmentRepository, PermissionSetRepository
from .identity_async import (
    AsyncIdentityRepository,
    AsyncPermissionAssignmentRepository,
    AsyncPermissionSetRepository,
)
from .key import KeyRepository
from .key_async import AsyncKeyRepository
from .notification import NotificationRepository
from .notification_async import AsyncNotificationRepository
from .pack import PackRepository
from .pack_async import AsyncPackRepository
from .queue_stats import QueueStatsRepository
from .queue_stats_async import AsyncQueueStatsRepository
from .rule import RuleRepository
from .rule_async import AsyncRuleRepository
from .runtime import RuntimeRepository, WorkerRepository
from .runtime_async import AsyncRuntimeRepository, AsyncWorkerRepository
from .trigger import SensorRepository, TriggerRepository
from .trigger_async import AsyncSensorRepository, AsyncTriggerRepository

__all__ = [
    "CLEAR",
    "ActionRepository",
    "ArtifactRepository",
    "AsyncActionRepository",
    "AsyncArtifactRepository",
    "AsyncEnforcementRepository",
    "AsyncEventRepository",
    "AsyncExecutionRepository",
    "AsyncIdentityRepository",
    "AsyncInquiryRepository",
    "AsyncKeyRepository",
    "AsyncNotificationRepository",
    "AsyncPackRepository",
    "AsyncPermissionAssignmentRepository",
    "AsyncPermissionSetRepository",
    "AsyncPolicyRepository",
    "AsyncQueueStatsRepository",
    "AsyncRuleRepository",
    "AsyncRuntimeRepository",
    "AsyncSensorRepository",
    "AsyncTriggerRepository",
    "AsyncWorkerRepository",
    "CreateActionInput",
    "CreateArtifactInput",
    "CreateEnforcementInput",
    "CreateEventInput",
    "CreateExecutionInput",
    "CreateIdentityInput",
    "CreateInquiryInput",
    "CreateKeyInput",
    "CreateNotificationInput",
    "CreatePackInput",
    "CreatePermissionAssignmentInput",
    "CreatePermissionSetInput",
    "CreatePolicyInput",
    "CreateRuleInput",
    "CreateRuntimeInput",
    "CreateSensorInput",
    "CreateTriggerInput",
    "CreateWorkerInput",
    "EnforcementRepository",
    "EventRepository",
    "ExecutionRepository",
    "IdentityRepository",
    "InquiryRepository",
    "KeyRepository",
    "NotificationRepository",
    "PackRepository",
    "PermissionAssignmentRepository",
    "PermissionSetRepository",
    "PolicyRepository",
    "QueueStatsRepository",
    "RuleRepository",
    "RuntimeRepository",
    "SensorRepository",
    "TriggerRepository",
    "UpdateActionInput",
    "UpdateArtifactInput",
    "UpdateEnforcementInput",
    "UpdateEventInput",
    "UpdateExecutionInput",
    "UpdateIdentityInput",
    "UpdateInquiryInput",
    "UpdateKeyInput",
    "UpdateNotificationInput",
    "UpdatePackInput",
    "UpdatePermissionSetInput",
    "UpdatePolicyInput",
    "UpdateRuleInput",
    "UpdateRuntimeInput",
    "UpdateSensorInput",
    "UpdateTriggerInput",
    "UpdateWorkerInput",
    "UpsertQueueStatsInput",
    "WorkerRepository",
]
