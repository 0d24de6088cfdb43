-- Identities and their RBAC (permission sets granted through assignments), and keys:
-- configuration values and secrets, each owned by the system or by exactly one
-- identity, pack, action or sensor.
-- depends: 0002.definitions

CREATE TABLE attune.identity (
    id            BIGSERIAL PRIMARY KEY,
    login         TEXT NOT NULL,
    display_name  TEXT,
    password_hash TEXT,
    attributes    JSONB NOT NULL DEFAULT '{}',
    created       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT identity_login_key UNIQUE (login)
);

CREATE TABLE attune.permission_set (
    id          BIGSERIAL PRIMARY KEY,
    ref         TEXT NOT NULL,
    pack        BIGINT REFERENCES attune.pack (id) ON DELETE CASCADE,
    pack_ref    TEXT,
    label       TEXT,
    description TEXT,
    grants      JSONB NOT NULL DEFAULT '[]',
    created     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT permission_set_ref_key UNIQUE (ref),
    CONSTRAINT permission_set_ref_format CHECK (ref = lower(ref) AND ref ~ '^[^.]+\.[^.]+$'),
    CONSTRAINT permission_set_grants_array CHECK (jsonb_typeof(grants) = 'array')
);
CREATE INDEX permission_set_pack_idx ON attune.permission_set (pack);

CREATE TABLE attune.permission_assignment (
    id       BIGSERIAL PRIMARY KEY,
    identity BIGINT NOT NULL REFERENCES attune.identity (id) ON DELETE CASCADE,
    permset  BIGINT NOT NULL REFERENCES attune.permission_set (id) ON DELETE CASCADE,
    created  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT permission_assignment_identity_permset_key UNIQUE (identity, permset)
);
CREATE INDEX permission_assignment_permset_idx ON attune.permission_assignment (permset);

CREATE TABLE attune.key (
    id                  BIGSERIAL PRIMARY KEY,
    ref                 TEXT NOT NULL,
    owner_type          attune.owner_type NOT NULL,
    owner               TEXT,
    owner_identity      BIGINT REFERENCES attune.identity (id) ON DELETE CASCADE,
    owner_pack          BIGINT REFERENCES attune.pack (id) ON DELETE CASCADE,
    owner_pack_ref      TEXT,
    owner_action        BIGINT REFERENCES attune.action (id) ON DELETE CASCADE,
    owner_action_ref    TEXT,
    owner_sensor        BIGINT REFERENCES attune.sensor (id) ON DELETE CASCADE,
    owner_sensor_ref    TEXT,
    name                TEXT NOT NULL,
    encrypted           BOOLEAN NOT NULL DEFAULT false,
    encryption_key_hash TEXT,
    value               TEXT NOT NULL,
    created             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated             TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT key_ref_key UNIQUE (ref),
    CONSTRAINT key_owner_name_key UNIQUE (owner_type, owner, name),
    CONSTRAINT key_ref_matches_owner CHECK (
        ref = CASE WHEN owner_type = 'system' THEN name ELSE owner || '.' || name END
    ),
    CONSTRAINT key_encryption_key_hash CHECK (NOT encrypted OR encryption_key_hash IS NOT NULL)
);
CREATE INDEX key_owner_type_idx ON attune.key (owner_type);
CREATE INDEX key_owner_identity_idx ON attune.key (owner_identity);
CREATE INDEX key_owner_pack_idx ON attune.key (owner_pack);
CREATE INDEX key_owner_action_idx ON attune.key (owner_action);
CREATE INDEX key_owner_sensor_idx ON attune.key (owner_sensor);

-- Exactly one owner column, the one owner_type names (none for system). The trigger
-- fills `owner` (the owner's ref, or the identity's id), the owner's *_ref copy, and
-- `ref` ([owner.]name) when it is not given.
CREATE FUNCTION attune.key_set_owner() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner_count integer := num_nonnulls(
        NEW.owner_identity, NEW.owner_pack, NEW.owner_action, NEW.owner_sensor);
    found_ref text;
BEGIN
    IF NEW.owner_type = 'system' THEN
        IF owner_count <> 0 THEN
            RAISE EXCEPTION 'a system key has no owner column set'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'key_owner_matches_type';
        END IF;
        NEW.owner := 'system';
    ELSE
        IF owner_count <> 1
           OR (NEW.owner_type = 'identity' AND NEW.owner_identity IS NULL)
           OR (NEW.owner_type = 'pack' AND NEW.owner_pack IS NULL)
           OR (NEW.owner_type = 'action' AND NEW.owner_action IS NULL)
           OR (NEW.owner_type = 'sensor' AND NEW.owner_sensor IS NULL) THEN
            RAISE EXCEPTION 'a key owned by % needs owner_% set and no other owner column',
                    NEW.owner_type, NEW.owner_type
                USING ERRCODE = 'check_violation', CONSTRAINT = 'key_owner_matches_type';
        END IF;
        CASE NEW.owner_type
            WHEN 'identity' THEN
                NEW.owner := NEW.owner_identity::text;
            WHEN 'pack' THEN
                SELECT ref INTO found_ref FROM attune.pack WHERE id = NEW.owner_pack;
                NEW.owner_pack_ref := coalesce(found_ref, NEW.owner_pack_ref);
                NEW.owner := coalesce(found_ref, NEW.owner_pack::text);
            WHEN 'action' THEN
                SELECT ref INTO found_ref FROM attune.action WHERE id = NEW.owner_action;
                NEW.owner_action_ref := coalesce(found_ref, NEW.owner_action_ref);
                NEW.owner := coalesce(found_ref, NEW.owner_action::text);
            WHEN 'sensor' THEN
                SELECT ref INTO found_ref FROM attune.sensor WHERE id = NEW.owner_sensor;
                NEW.owner_sensor_ref := coalesce(found_ref, NEW.owner_sensor_ref);
                NEW.owner := coalesce(found_ref, NEW.owner_sensor::text);
        END CASE;
    END IF;
    IF TG_OP = 'INSERT' AND NEW.ref IS NULL THEN
        NEW.ref := CASE WHEN NEW.owner_type = 'system' THEN NEW.name
                        ELSE NEW.owner || '.' || NEW.name END;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER key_set_owner BEFORE INSERT OR UPDATE ON attune.key
    FOR EACH ROW EXECUTE FUNCTION attune.key_set_owner();

CREATE TRIGGER identity_touch_updated BEFORE UPDATE ON attune.identity
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER permission_set_touch_updated BEFORE UPDATE ON attune.permission_set
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
CREATE TRIGGER key_touch_updated BEFORE UPDATE ON attune.key
    FOR EACH ROW EXECUTE FUNCTION attune.touch_updated();
