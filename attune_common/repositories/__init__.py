"""How things are stored: one repository per entity, one module per domain.

`XRepository(conn)` takes a `psycopg.Connection`; `AsyncXRepository(conn)` takes a
`psycopg.AsyncConnection` and has the same methods as coroutines. The async modules
(`<domain>_async.py`) are the source, the sync ones are generated from them
(`make generate`); inputs and statements live in `attune_common.queries`.

A repository wraps a connection that the caller owns: it runs statements on it and
never commits or rolls back, so several repositories can share one transaction.
Each concrete repository names its `Table` and adds its own finders; `find_by_id`,
`get_by_id`, `list`, `count`, `create`, `delete` (BaseRepository) and partial
`update` (Repository) are written once in `base_async.py`.
"""

from ..queries.action import CreateActionInput
from ..queries.action import CreatePolicyInput
from ..queries.action import UpdateActionInput
from ..queries.action import UpdatePolicyInput
from ..queries.artifact import CreateArtifactInput
from ..queries.artifact import UpdateArtifactInput
from ..queries.event import CreateEnforcementInput
from ..queries.event import CreateEventInput
from ..queries.event import UpdateEnforcementInput
from ..queries.event import UpdateEventInput
from ..queries.execution import CreateExecutionInput
from ..queries.execution import CreateInquiryInput
from ..queries.execution import UpdateExecutionInput
from ..queries.execution import UpdateInquiryInput
from ..queries.identity import CreateIdentityInput
from ..queries.identity import CreatePermissionAssignmentInput
from ..queries.identity import CreatePermissionSetInput
from ..queries.identity import UpdateIdentityInput
from ..queries.identity import UpdatePermissionSetInput
from ..queries.key import CreateKeyInput
from ..queries.key import UpdateKeyInput
from ..queries.notification import CreateNotificationInput
from ..queries.notification import UpdateNotificationInput
from ..queries.pack import CreatePackInput
from ..queries.pack import UpdatePackInput
from ..queries.queue_stats import UpsertQueueStatsInput
from ..queries.rule import CreateRuleInput
from ..queries.rule import UpdateRuleInput
from ..queries.runtime import CreateRuntimeInput
from ..queries.runtime import CreateWorkerInput
from ..queries.runtime import UpdateRuntimeInput
from ..queries.runtime import UpdateWorkerInput
from ..queries.trigger import CreateSensorInput
from ..queries.trigger import CreateTriggerInput
from ..queries.trigger import UpdateSensorInput
from ..queries.trigger import UpdateTriggerInput
from ..statements import CLEAR
from .action import ActionRepository
from .action import PolicyRepository
from .action_async import AsyncActionRepository
from .action_async import AsyncPolicyRepository
from .artifact import ArtifactRepository
from .artifact_async import AsyncArtifactRepository
from .event import EnforcementRepository
from .event import EventRepository
from .event_async import AsyncEnforcementRepository
from .event_async import AsyncEventRepository
from .execution import ExecutionRepository
from .execution import InquiryRepository
from .execution_async import AsyncExecutionRepository
from .execution_async import AsyncInquiryRepository
from .identity import IdentityRepository
from .identity import PermissionAssignmentRepository
from .identity import PermissionSetRepository
from .identity_async import AsyncIdentityRepository
from .identity_async import AsyncPermissionAssignmentRepository
from .identity_async import AsyncPermissionSetRepository
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
from .runtime import RuntimeRepository
from .runtime import WorkerRepository
from .runtime_async import AsyncRuntimeRepository
from .runtime_async import AsyncWorkerRepository
from .trigger import SensorRepository
from .trigger import TriggerRepository
from .trigger_async import AsyncSensorRepository
from .trigger_async import AsyncTriggerRepository

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
