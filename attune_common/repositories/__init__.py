"""How things are stored: one repository per entity, one module per domain."""

from ..statements import CLEAR
from .action import (
    ActionRepository,
    CreateActionInput,
    CreatePolicyInput,
    PolicyRepository,
    UpdateActionInput,
    UpdatePolicyInput,
)
from .artifact import ArtifactRepository, CreateArtifactInput, UpdateArtifactInput
from .event import (
    CreateEnforcementInput,
    CreateEventInput,
    EnforcementRepository,
    EventRepository,
    UpdateEnforcementInput,
    UpdateEventInput,
)
from .execution import (
    CreateExecutionInput,
    CreateInquiryInput,
    ExecutionRepository,
    InquiryRepository,
    UpdateExecutionInput,
    UpdateInquiryInput,
)
from .identity import (
    CreateIdentityInput,
    CreatePermissionAssignmentInput,
    CreatePermissionSetInput,
    IdentityRepository,
    PermissionAssignmentRepository,
    PermissionSetRepository,
    UpdateIdentityInput,
    UpdatePermissionSetInput,
)
from .key import CreateKeyInput, KeyRepository, UpdateKeyInput
from .notification import CreateNotificationInput, NotificationRepository, UpdateNotificationInput
from .pack import CreatePackInput, PackRepository, UpdatePackInput
from .queue_stats import QueueStatsRepository, UpsertQueueStatsInput
from .rule import CreateRuleInput, RuleRepository, UpdateRuleInput
from .runtime import (
    CreateRuntimeInput,
    CreateWorkerInput,
    RuntimeRepository,
    UpdateRuntimeInput,
    UpdateWorkerInput,
    WorkerRepository,
)
from .trigger import (
    CreateSensorInput,
    CreateTriggerInput,
    SensorRepository,
    TriggerRepository,
    UpdateSensorInput,
    UpdateTriggerInput,
)

__all__ = [
    "CLEAR",
    "ActionRepository",
    "ArtifactRepository",
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
