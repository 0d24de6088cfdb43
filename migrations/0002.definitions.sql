-- Definitions: packs and what they own (runtimes, triggers, sensors, actions, rules,
-- policies), plus the workers that run actions. Configuration, not history: deleting a
-- pack removes everything it owns.
-- depends: 0001.schema-and-types

CREATE TABLE attune.pack (
    id           BIGSERIAL PRIMARY KEY,
    ref          TEXT NOT NULL,
    label        TEXT NOT NULL,
    description  TEXT,
    version      TEXT NOT NULL,
    conf_schema  JSONB NOT NULL DEFAULT '{}',
    config       JSONB NOT NULL DEFAULT '{}',
    meta         JSONB NOT NULL DEFAULT '{}',
    tags         TEXT[] NOT NULL DEFAULT '{}',
    runtime_deps TEXT[] NOT NULL DEFAULT '{}',
    is_standard  BOOLEAN NOT NULL DEFAULT false,
    created      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pack_ref_key UNIQUE (ref),
    CONSTRAINT pack_ref_format CHECK (ref ~ '^[a-z][a-z0-9_-]+$'),
    CONSTRAINT pack_version_semver CHECK (
        version ~ '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$'
    )
);
CREATE INDEX pack_tags_idx ON attune.pack USING gin (tags);
CREATE INDEX pack_standard_idx ON attune.pack (ref) WHERE is_standard;

CREATE TABLE attune.runtime (
    id            BIGSERIAL PRIMARY KEY,
    ref           TEXT NOT NULL,
    pack          BIGINT REFERENCES attune.pack (id) ON DELETE CASCADE,
    pack_ref      TEXT,
    description   TEXT,
    runtime_type  attune.runtime_type NOT NULL,
    name          TEXT NOT NULL,
    distributions JSONB NOT NULL,
    installation  JSONB,
    created       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT runtime_ref_key UNIQUE (ref),
    CONSTRAINT runtime_ref_format CHECK (
        ref = lower(ref) AND ref ~ '^[^.]+\.(action|sensor)\.[^.]+$'
    )
);
CREATE INDEX runtime_pack_idx ON attune.runtime (pack);

CREATE TABLE attune.worker (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT NOT NULL,
    worker_type    attune.worker_type NOT NULL,
    runtime        BIGINT REFERENCES attune.runtime (id) ON DELETE SET NULL,
    host           TEXT,
    port           INTEGER,
    status         attune.worker_status DEFAULT 'inactive',
    capabilities   JSONB,
    meta           JSONB,
    last_heartbeat TIMESTAMPTZ,
    created        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT worker_name_key UNIQUE (name),
    CONSTRAINT worker_port_range CHECK (port BETWEEN 1 AND 65535)
);
CREATE INDEX worker_status_idx ON attune.worker (status);
CREATE INDEX worker_type_idx ON attune.worker (worker_type);
CREATE INDEX worker_runtime_idx ON attune.worker (runtime);

CREATE TABLE attune.trigger (
    id           BIGSERIAL PRIMARY KEY,
    ref          TEXT NOT NULL,
    pack         BIGINT REFERENCES attune.pack (id) ON DELETE CASCADE,
    pack_ref     TEXT,
    label        TEXT NOT NULL,
    description  TEXT,
    enabled      BOOLEAN NOT NULL DEFAULT true,
    param_schema JSONB,
    out_schema   JSONB,
    created      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT trigger_ref_key UNIQUE (ref),
    CONSTRAINT trigger_ref_format CHECK (ref = lower(ref) AND ref ~ '^[^.]+\.[^.]+$')
);
CREATE INDEX trigger_pack_idx ON attune.trigger (pack);
CREATE INDEX trigger_enabled_idx ON attune.trigger (ref) WHERE enabled;

CREATE TABLE attune.sensor (
    id           BIGSERIAL PRIMARY KEY,
    ref          TEXT NOT NULL,
    pack         BIGINT REFERENCES attune.pack (id) ON DELETE CASCADE,
    pack_ref     TEXT,
    label        TEXT NOT NULL,
    description  TEXT NOT NULL,
    entrypoint   TEXT NOT NULL,
    runtime      BIGINT NOT NULL REFERENCES attune.runtime (id) ON DELETE CASCADE,
    runtime_ref  TEXT NOT NULL,
    trigger      BIGINT NOT NULL REFERENCES attune.trigger (id) ON DELETE CASCADE,
    trigger_ref  TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL DEFAULT true,
    param_schema JSONB,
    config       JSONB,
    created      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT sensor_ref_key UNIQUE (ref),
    CONSTRAINT sensor_ref_format CHECK (ref = lower(ref) AND ref ~ '^[^.]+\.[^.]+$')
);
CREATE INDEX sensor_pack_idx ON attune.sensor (pack);
CREATE INDEX sensor_runtime_idx ON attune.sensor (runtime);
CREATE INDEX sensor_trigger_idx ON attune.sensor (trigger);
CREATE INDEX sensor_enabled_idx ON attune.sensor (ref) WHERE enabled;

CREATE TABLE attune.action (
    id           BIGSERIAL PRIMARY KEY,
    ref          TEXT NOT NULL,
    pack         BIGINT NOT NULL REFERENCES attune.pack (id) ON DELETE CASCADE,
    pack_ref     TEXT NOT NULL,
    label        TEXT NOT NULL,
    description  TEXT NOT NULL,
    entrypoint   TEXT NOT NULL,
    runtime      BIGINT REFERENCES attune.runtime (id) ON DELETE SET NULL,
    param_schema JSONB,
    out_schema   JSONB,
    created      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT action_ref_key UNIQUE (ref),
    CONSTRAINT action_ref_format CHECK (ref = lower(ref) AND ref ~ '^[^.]+\.[^.]+$')
);
CREATE INDEX action_pack_idx ON attune.action (pack);
CREATE INDEX action_runtime_idx ON attune.action (runtime);

-- A rule blocks the deletion of its action and trigger (NO ACTION, checked at the end
-- of the statement, so that deleting a pack can still cascade through its rules).
CREATE TABLE attune.rule (
    id             BIGSERIAL PRIMARY KEY,
    ref            TEXT NOT NULL,
    pack           BIGINT NOT NULL REFERENCES attune.pack (id) ON DELETE CASCADE,
    pack_ref       TEXT NOT NULL,
    label          TEXT NOT NULL,
    description    TEXT NOT NULL,
    action         BIGINT NOT NULL REFERENCES attune.action (id),
    action_ref     TEXT NOT NULL,
    trigger        BIGINT NOT NULL REFERENCES attune.trigger (id),
    trigger_ref    TEXT NOT NULL,
    conditions     JSONB NOT NULL DEFAULT '[]',
    action_params  JSONB DEFAULT '{}',
    trigger_params JSONB DEFAULT '{}',
    enabled        BOOLEAN NOT NULL DEFAULT true,
    created        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT rule_ref_key UNIQUE (ref),
    CONSTRAINT rule_ref_format CHECK (ref = lower(ref) AND ref ~ '^[^.]+\.[^.]+$')
);
CREATE INDEX rule_pack_idx ON attune.rule (pack);
CREATE INDEX rule_action_idx ON attune.rule (action);
CREATE INDEX rule_trigger_idx ON attune.rule (trigger);
CREATE INDEX rule_enabled_idx ON attune.rule (ref) WHERE enabled;

CREATE TABLE attune.policy (
    id          BIGSERIAL PRIMARY KEY,
    ref         TEXT NOT NULL,
    pack        BIGINT REFERENCES attune.pack (id) ON DELETE CASCADE,
    pack_ref    TEXT,
    action      BIGINT REFERENCES attune.action (id) ON DELETE CASCADE,
    action_ref  TEXT,
    parameters  TEXT[] NOT NULL DEFAULT '{}',
    method      attune.policy_method NOT NULL,
    threshold   INTEGER NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    tags        TEXT[] NOT NULL DEFAULT '{}',
    created     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT policy_ref_key UNIQUE (ref),
    CONSTRAINT policy_ref_format CHECK (ref = lower(ref) AND ref ~ '^[^.]+\.[^.]+$'),
    CONSTRAINT policy_threshold_positive CHECK (threshold > 0)
);
CREATE INDEX policy_pack_idx ON attune.policy (pack);
CREATE INDEX policy_action_idx ON attune.policy (action);
CREATE INDEX policy_tags_idx ON attune.policy USING gin (tags);

CREATE TRIGGER pack_touch_updated BEFORE UPDATE ON attune.pack
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER runtime_touch_updated BEFORE UPDATE ON attune.runtime
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER worker_touch_updated BEFORE UPDATE ON attune.worker
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER trigger_touch_updated BEFORE UPDATE ON attune.trigger
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER sensor_touch_updated BEFORE UPDATE ON attune.sensor
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER action_touch_updated BEFORE UPDATE ON attune.action
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER rule_touch_updated BEFORE UPDATE ON attune.rule
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER policy_touch_updated BEFORE UPDATE ON attune.policy
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
