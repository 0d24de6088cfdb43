"""Fixture builders: one per entity, each making rows no other test can collide with.

    pack = PackFixture.unique().create(conn)
    event = EventFixture.unique(trigger).with_payload({"a": 1}).create(conn)

`unique(...)` takes the parents a test cares about; `create(conn)` makes any required
parent that was not given (a rule without an action gets a fresh one), then stores
the row through the library's own repository. `with_<field>(value)` sets any field
of the create input; `with_(**fields)` sets several. Every ref and name holds a
random part, so tests pass in parallel against one shared database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Self

import psycopg

from attune_common.models import (
    Action,
    Artifact,
    ArtifactType,
    Enforcement,
    Event,
    Execution,
    Identity,
    Inquiry,
    Key,
    Notification,
    OwnerType,
    Pack,
    PermissionAssignment,
    PermissionSet,
    Policy,
    PolicyMethod,
    QueueStats,
    Rule,
    Runtime,
    RuntimeType,
    Sensor,
    Trigger,
    Worker,
    WorkerType,
)
from attune_common.repositories import (
    ActionRepository,
    ArtifactRepository,
    CreateActionInput,
    CreateArtifactInput,
    CreateEnforcementInput,
    CreateEventInput,
    CreateExecutionInput,
    CreateIdentityInput,
    CreateInquiryInput,
    CreateKeyInput,
    CreateNotificationInput,
    CreatePackInput,
    CreatePermissionAssignmentInput,
    CreatePermissionSetInput,
    CreatePolicyInput,
    CreateRuleInput,
    CreateRuntimeInput,
    CreateSensorInput,
    CreateTriggerInput,
    CreateWorkerInput,
    EnforcementRepository,
    EventRepository,
    ExecutionRepository,
    IdentityRepository,
    InquiryRepository,
    KeyRepository,
    NotificationRepository,
    PackRepository,
    PermissionAssignmentRepository,
    PermissionSetRepository,
    PolicyRepository,
    QueueStatsRepository,
    RuleRepository,
    RuntimeRepository,
    SensorRepository,
    TriggerRepository,
    UpsertQueueStatsInput,
    WorkerRepository,
)

Conn = psycopg.Connection[Any]


def unique_name(prefix: str = "t") -> str:
    """A lowercase name no other test, worker or run will make."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def unique_ref(kind: str = "x") -> str:
    """A unique `pack.name` shaped ref for a pack that need not exist."""
    return f"{unique_name('p')}.{unique_name(kind)}"


@dataclass(frozen=True, kw_only=True)
class Fixture:
    """What every builder shares: a unique name and the fields a test set."""

    name: str = field(default_factory=unique_name)
    fields: dict[str, Any] = field(default_factory=dict)

    def with_(self, **fields: Any) -> Self:
        return replace(self, fields={**self.fields, **fields})

    def __getattr__(self, attribute: str) -> Any:
        # with_payload(x), with_status(s), ...: any field of the create input.
        if attribute.startswith("with_") and attribute != "with_":
            column = attribute.removeprefix("with_")
            return lambda value: self.with_(**{column: value})
        raise AttributeError(attribute)


# -- definitions -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PackFixture(Fixture):
    @classmethod
    def unique(cls) -> PackFixture:
        return cls(name=unique_name("pack"))

    def create(self, conn: Conn) -> Pack:
        data = {"ref": self.name, "label": f"Pack {self.name}", "version": "1.0.0"}
        return PackRepository(conn).create(CreatePackInput(**{**data, **self.fields}))


def _pack_or_none(pack: Pack | None) -> dict[str, Any]:
    return {"pack": pack.id, "pack_ref": pack.ref} if pack else {}


def _prefix(pack: Pack | None) -> str:
    return pack.ref if pack else unique_name("p")


@dataclass(frozen=True, kw_only=True)
class RuntimeFixture(Fixture):
    pack: Pack | None = None

    @classmethod
    def unique(cls, pack: Pack | None = None) -> RuntimeFixture:
        return cls(pack=pack)

    def create(self, conn: Conn) -> Runtime:
        runtime_type = self.fields.get("runtime_type", RuntimeType.ACTION)
        data = {
            "ref": f"{_prefix(self.pack)}.{runtime_type}.{self.name}",
            "runtime_type": runtime_type,
            "name": f"Runtime {self.name}",
            "distributions": {"python": ">=3.11"},
            **_pack_or_none(self.pack),
        }
        return RuntimeRepository(conn).create(CreateRuntimeInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class WorkerFixture(Fixture):
    runtime: Runtime | None = None

    @classmethod
    def unique(cls, runtime: Runtime | None = None) -> WorkerFixture:
        return cls(runtime=runtime)

    def create(self, conn: Conn) -> Worker:
        data = {
            "name": f"worker-{self.name}",
            "worker_type": WorkerType.LOCAL,
            "runtime": self.runtime.id if self.runtime else None,
        }
        return WorkerRepository(conn).create(CreateWorkerInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class TriggerFixture(Fixture):
    pack: Pack | None = None

    @classmethod
    def unique(cls, pack: Pack | None = None) -> TriggerFixture:
        return cls(pack=pack)

    def create(self, conn: Conn) -> Trigger:
        data = {
            "ref": f"{_prefix(self.pack)}.{self.name}",
            "label": f"Trigger {self.name}",
            **_pack_or_none(self.pack),
        }
        return TriggerRepository(conn).create(CreateTriggerInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class SensorFixture(Fixture):
    pack: Pack | None = None
    runtime: Runtime | None = None
    trigger: Trigger | None = None

    @classmethod
    def unique(
        cls,
        pack: Pack | None = None,
        runtime: Runtime | None = None,
        trigger: Trigger | None = None,
    ) -> SensorFixture:
        return cls(pack=pack, runtime=runtime, trigger=trigger)

    def create(self, conn: Conn) -> Sensor:
        runtime = self.runtime or RuntimeFixture.unique(self.pack).with_(
            runtime_type=RuntimeType.SENSOR
        ).create(conn)
        trigger = self.trigger or TriggerFixture.unique(self.pack).create(conn)
        data = {
            "ref": f"{_prefix(self.pack)}.{self.name}",
            "label": f"Sensor {self.name}",
            "description": "watches for test events",
            "entrypoint": "sensors/watch.py",
            "runtime": runtime.id,
            "runtime_ref": runtime.ref,
            "trigger": trigger.id,
            "trigger_ref": trigger.ref,
            **_pack_or_none(self.pack),
        }
        return SensorRepository(conn).create(CreateSensorInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class ActionFixture(Fixture):
    pack: Pack | None = None
    runtime: Runtime | None = None

    @classmethod
    def unique(cls, pack: Pack | None = None, runtime: Runtime | None = None) -> ActionFixture:
        return cls(pack=pack, runtime=runtime)

    def create(self, conn: Conn) -> Action:
        pack = self.pack or PackFixture.unique().create(conn)
        data = {
            "ref": f"{pack.ref}.{self.name}",
            "pack": pack.id,
            "pack_ref": pack.ref,
            "label": f"Action {self.name}",
            "description": "does a test thing",
            "entrypoint": "actions/run.py",
            "runtime": self.runtime.id if self.runtime else None,
        }
        return ActionRepository(conn).create(CreateActionInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class RuleFixture(Fixture):
    pack: Pack | None = None
    action: Action | None = None
    trigger: Trigger | None = None

    @classmethod
    def unique(
        cls,
        pack: Pack | None = None,
        action: Action | None = None,
        trigger: Trigger | None = None,
    ) -> RuleFixture:
        return cls(pack=pack, action=action, trigger=trigger)

    def create(self, conn: Conn) -> Rule:
        pack = self.pack or PackFixture.unique().create(conn)
        action = self.action or ActionFixture.unique(pack).create(conn)
        trigger = self.trigger or TriggerFixture.unique(pack).create(conn)
        data = {
            "ref": f"{pack.ref}.{self.name}",
            "pack": pack.id,
            "pack_ref": pack.ref,
            "label": f"Rule {self.name}",
            "description": "enforces a test action",
            "action": action.id,
            "action_ref": action.ref,
            "trigger": trigger.id,
            "trigger_ref": trigger.ref,
        }
        return RuleRepository(conn).create(CreateRuleInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class PolicyFixture(Fixture):
    pack: Pack | None = None
    action: Action | None = None

    @classmethod
    def unique(cls, pack: Pack | None = None, action: Action | None = None) -> PolicyFixture:
        return cls(pack=pack, action=action)

    def create(self, conn: Conn) -> Policy:
        data = {
            "ref": f"{_prefix(self.pack)}.{self.name}",
            "method": PolicyMethod.ENQUEUE,
            "threshold": 1,
            "name": f"policy {self.name}",
            **_pack_or_none(self.pack),
            **({"action": self.action.id, "action_ref": self.action.ref} if self.action else {}),
        }
        return PolicyRepository(conn).create(CreatePolicyInput(**{**data, **self.fields}))


# -- identities and keys ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IdentityFixture(Fixture):
    @classmethod
    def unique(cls) -> IdentityFixture:
        return cls()

    def create(self, conn: Conn) -> Identity:
        data = {"login": f"user-{self.name}", "display_name": f"User {self.name}"}
        return IdentityRepository(conn).create(CreateIdentityInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class PermissionSetFixture(Fixture):
    pack: Pack | None = None

    @classmethod
    def unique(cls, pack: Pack | None = None) -> PermissionSetFixture:
        return cls(pack=pack)

    def create(self, conn: Conn) -> PermissionSet:
        data = {"ref": f"{_prefix(self.pack)}.{self.name}", **_pack_or_none(self.pack)}
        repository = PermissionSetRepository(conn)
        return repository.create(CreatePermissionSetInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class PermissionAssignmentFixture(Fixture):
    identity: Identity | None = None
    permset: PermissionSet | None = None

    @classmethod
    def unique(
        cls, identity: Identity | None = None, permset: PermissionSet | None = None
    ) -> PermissionAssignmentFixture:
        return cls(identity=identity, permset=permset)

    def create(self, conn: Conn) -> PermissionAssignment:
        identity = self.identity or IdentityFixture.unique().create(conn)
        permset = self.permset or PermissionSetFixture.unique().create(conn)
        data = {"identity": identity.id, "permset": permset.id}
        repository = PermissionAssignmentRepository(conn)
        return repository.create(CreatePermissionAssignmentInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class KeyFixture(Fixture):
    """A system key unless an owner is given: `KeyFixture.unique(owner=pack)`."""

    owner: Identity | Pack | Action | Sensor | None = None

    @classmethod
    def unique(cls, owner: Identity | Pack | Action | Sensor | None = None) -> KeyFixture:
        return cls(owner=owner)

    def create(self, conn: Conn) -> Key:
        data: dict[str, Any] = {"name": f"key_{self.name}", "value": f"value of {self.name}"}
        match self.owner:
            case Identity(id=owner_id):
                data |= {"owner_type": OwnerType.IDENTITY, "owner_identity": owner_id}
            case Pack(id=owner_id):
                data |= {"owner_type": OwnerType.PACK, "owner_pack": owner_id}
            case Action(id=owner_id):
                data |= {"owner_type": OwnerType.ACTION, "owner_action": owner_id}
            case Sensor(id=owner_id):
                data |= {"owner_type": OwnerType.SENSOR, "owner_sensor": owner_id}
        return KeyRepository(conn).create(CreateKeyInput(**{**data, **self.fields}))


# -- history ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EventFixture(Fixture):
    """An event of `trigger`; without one, of a unique trigger_ref no trigger has."""

    trigger: Trigger | None = None

    @classmethod
    def unique(cls, trigger: Trigger | None = None) -> EventFixture:
        return cls(trigger=trigger)

    def create(self, conn: Conn) -> Event:
        data: dict[str, Any] = (
            {"trigger": self.trigger.id, "trigger_ref": self.trigger.ref}
            if self.trigger
            else {"trigger_ref": unique_ref("trigger")}
        )
        return EventRepository(conn).create(CreateEventInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class EnforcementFixture(Fixture):
    """An enforcement of `rule` for `event`; without a rule, of a unique rule_ref."""

    rule: Rule | None = None
    event: Event | None = None

    @classmethod
    def unique(cls, rule: Rule | None = None, event: Event | None = None) -> EnforcementFixture:
        return cls(rule=rule, event=event)

    def create(self, conn: Conn) -> Enforcement:
        trigger_ref = (
            self.rule.trigger_ref
            if self.rule
            else self.event.trigger_ref
            if self.event
            else unique_ref("trigger")
        )
        data = {
            "rule": self.rule.id if self.rule else None,
            "rule_ref": self.rule.ref if self.rule else unique_ref("rule"),
            "trigger_ref": trigger_ref,
            "event": self.event.id if self.event else None,
            "payload": {},
        }
        repository = EnforcementRepository(conn)
        return repository.create(CreateEnforcementInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class ExecutionFixture(Fixture):
    """An execution of `action`; without one, of a unique action_ref."""

    action: Action | None = None
    parent: Execution | None = None
    enforcement: Enforcement | None = None

    @classmethod
    def unique(
        cls,
        action: Action | None = None,
        parent: Execution | None = None,
        enforcement: Enforcement | None = None,
    ) -> ExecutionFixture:
        return cls(action=action, parent=parent, enforcement=enforcement)

    def create(self, conn: Conn) -> Execution:
        data = {
            "action": self.action.id if self.action else None,
            "action_ref": self.action.ref if self.action else unique_ref("action"),
            "parent": self.parent.id if self.parent else None,
            "enforcement": self.enforcement.id if self.enforcement else None,
        }
        repository = ExecutionRepository(conn)
        return repository.create(CreateExecutionInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class InquiryFixture(Fixture):
    execution: Execution | None = None

    @classmethod
    def unique(cls, execution: Execution | None = None) -> InquiryFixture:
        return cls(execution=execution)

    def create(self, conn: Conn) -> Inquiry:
        execution = self.execution or ExecutionFixture.unique().create(conn)
        data = {"execution": execution.id, "prompt": f"Approve {self.name}?"}
        return InquiryRepository(conn).create(CreateInquiryInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class NotificationFixture(Fixture):
    @classmethod
    def unique(cls) -> NotificationFixture:
        return cls()

    def create(self, conn: Conn) -> Notification:
        data = {
            "channel": f"channel_{self.name}",
            "entity_type": "execution",
            "entity": self.name,
            "activity": "created",
        }
        repository = NotificationRepository(conn)
        return repository.create(CreateNotificationInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class ArtifactFixture(Fixture):
    @classmethod
    def unique(cls) -> ArtifactFixture:
        return cls()

    def create(self, conn: Conn) -> Artifact:
        data = {"ref": unique_ref("artifact"), "type": ArtifactType.FILE_TEXT}
        return ArtifactRepository(conn).create(CreateArtifactInput(**{**data, **self.fields}))


@dataclass(frozen=True, kw_only=True)
class QueueStatsFixture(Fixture):
    action: Action | None = None

    @classmethod
    def unique(cls, action: Action | None = None) -> QueueStatsFixture:
        return cls(action=action)

    def create(self, conn: Conn) -> QueueStats:
        action = self.action or ActionFixture.unique().create(conn)
        data = {"action_id": action.id}
        return QueueStatsRepository(conn).upsert(UpsertQueueStatsInput(**{**data, **self.fields}))
