-- Occurrences: what happened (events, enforcements, executions, inquiries,
-- notifications, artifacts) and the live queue statistics of actions. History must
-- outlive what it points at: links to definitions and to other occurrences are
-- ON DELETE SET NULL, and each row keeps the *_ref text copy.
-- depends: 0003.identities-and-keys

CREATE TABLE attune.event (
    id          BIGSERIAL PRIMARY KEY,
    trigger     BIGINT REFERENCES attune.trigger (id) ON DELETE SET NULL,
    trigger_ref TEXT NOT NULL,
    config      JSONB,
    payload     JSONB,
    source      BIGINT REFERENCES attune.sensor (id) ON DELETE SET NULL,
    source_ref  TEXT,
    created     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX event_created_idx ON attune.event (created, id);
CREATE INDEX event_trigger_idx ON attune.event (trigger, created, id);
CREATE INDEX event_trigger_ref_idx ON attune.event (trigger_ref, created, id);
CREATE INDEX event_source_idx ON attune.event (source);

CREATE TABLE attune.enforcement (
    id          BIGSERIAL PRIMARY KEY,
    rule        BIGINT REFERENCES attune.rule (id) ON DELETE SET NULL,
    rule_ref    TEXT NOT NULL,
    trigger_ref TEXT NOT NULL,
    config      JSONB,
    event       BIGINT REFERENCES attune.event (id) ON DELETE SET NULL,
    status      attune.enforcement_status NOT NULL DEFAULT 'created',
    payload     JSONB NOT NULL,
    condition   attune.enforcement_condition NOT NULL DEFAULT 'all',
    conditions  JSONB NOT NULL DEFAULT '[]',
    created     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX enforcement_created_idx ON attune.enforcement (created, id);
CREATE INDEX enforcement_rule_idx ON attune.enforcement (rule, created, id);
CREATE INDEX enforcement_status_idx ON attune.enforcement (status, created, id);
CREATE INDEX enforcement_event_idx ON attune.enforcement (event);

CREATE TABLE attune.execution (
    id          BIGSERIAL PRIMARY KEY,
    action      BIGINT REFERENCES attune.action (id) ON DELETE SET NULL,
    action_ref  TEXT NOT NULL,
    config      JSONB,
    parent      BIGINT REFERENCES attune.execution (id) ON DELETE SET NULL,
    enforcement BIGINT REFERENCES attune.enforcement (id) ON DELETE SET NULL,
    executor    BIGINT REFERENCES attune.identity (id) ON DELETE SET NULL,
    status      attune.execution_status NOT NULL DEFAULT 'requested',
    result      JSONB,
    created     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX execution_created_idx ON attune.execution (created, id);
CREATE INDEX execution_status_idx ON attune.execution (status, created, id);
CREATE INDEX execution_action_idx ON attune.execution (action);
CREATE INDEX execution_parent_idx ON attune.execution (parent);
CREATE INDEX execution_enforcement_idx ON attune.execution (enforcement, created, id);
CREATE INDEX execution_executor_idx ON attune.execution (executor);

CREATE TABLE attune.inquiry (
    id              BIGSERIAL PRIMARY KEY,
    execution       BIGINT NOT NULL REFERENCES attune.execution (id) ON DELETE CASCADE,
    prompt          TEXT NOT NULL,
    response_schema JSONB,
    assigned_to     BIGINT REFERENCES attune.identity (id) ON DELETE SET NULL,
    status          attune.inquiry_status NOT NULL DEFAULT 'pending',
    response        JSONB,
    timeout_at      TIMESTAMPTZ,
    responded_at    TIMESTAMPTZ,
    created         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX inquiry_created_idx ON attune.inquiry (created, id);
CREATE INDEX inquiry_execution_idx ON attune.inquiry (execution, created, id);
CREATE INDEX inquiry_status_idx ON attune.inquiry (status, created, id);
CREATE INDEX inquiry_assigned_to_idx ON attune.inquiry (assigned_to);

CREATE TABLE attune.notification (
    id          BIGSERIAL PRIMARY KEY,
    channel     TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity      TEXT NOT NULL,
    activity    TEXT NOT NULL,
    state       attune.notification_status NOT NULL DEFAULT 'created',
    content     JSONB,
    created     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notification_created_idx ON attune.notification (created, id);
CREATE INDEX notification_state_idx ON attune.notification (state, created, id);
CREATE INDEX notification_channel_idx ON attune.notification (channel, created, id);

-- Tell listeners on the notification's own channel, once the insert commits.
CREATE FUNCTION attune.notification_pg_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(NEW.channel, json_build_object(
        'id', NEW.id,
        'entity_type', NEW.entity_type,
        'entity', NEW.entity,
        'activity', NEW.activity
    )::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER notification_pg_notify AFTER INSERT ON attune.notification
    FOR EACH ROW EXECUTE FUNCTION attune.notification_pg_notify();

CREATE TABLE attune.artifact (
    id               BIGSERIAL PRIMARY KEY,
    ref              TEXT NOT NULL,
    scope            attune.owner_type NOT NULL DEFAULT 'system',
    owner            TEXT NOT NULL DEFAULT '',
    type             attune.artifact_type NOT NULL,
    retention_policy attune.artifact_retention NOT NULL DEFAULT 'versions',
    retention_limit  INTEGER NOT NULL DEFAULT 1,
    created          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT artifact_retention_limit_positive CHECK (retention_limit > 0)
);
CREATE INDEX artifact_ref_idx ON attune.artifact (ref, created, id);
CREATE INDEX artifact_scope_owner_idx ON attune.artifact (scope, owner);
CREATE INDEX artifact_type_idx ON attune.artifact (type);
CREATE INDEX artifact_retention_policy_idx ON attune.artifact (retention_policy);

CREATE TABLE attune.queue_stats (
    action_id          BIGINT PRIMARY KEY REFERENCES attune.action (id) ON DELETE CASCADE,
    queue_length       INTEGER NOT NULL DEFAULT 0,
    active_count       INTEGER NOT NULL DEFAULT 0,
    max_concurrent     INTEGER NOT NULL DEFAULT 1,
    oldest_enqueued_at TIMESTAMPTZ,
    total_enqueued     BIGINT NOT NULL DEFAULT 0,
    total_completed    BIGINT NOT NULL DEFAULT 0,
    created            TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_updated       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT queue_stats_counts_not_negative CHECK (
        queue_length >= 0 AND active_count >= 0 AND max_concurrent >= 0
        AND total_enqueued >= 0 AND total_completed >= 0
    )
);
CREATE INDEX queue_stats_last_updated_idx ON attune.queue_stats (last_updated);

CREATE TRIGGER event_touch_updated BEFORE UPDATE ON attune.event
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER enforcement_touch_updated BEFORE UPDATE ON attune.enforcement
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER execution_touch_updated BEFORE UPDATE ON attune.execution
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER inquiry_touch_updated BEFORE UPDATE ON attune.inquiry
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER notification_touch_updated BEFORE UPDATE ON attune.notification
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER artifact_touch_updated BEFORE UPDATE ON attune.artifact
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
