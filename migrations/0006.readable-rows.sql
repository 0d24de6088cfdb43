-- Rows every reader can read, and key refs that cannot collide.
--
-- JSON: PostgreSQL stores JSONB nested thousands of levels deep, but Python (like most
-- JSON decoders) gives up near 1,000, so one such value written by anyone made every
-- read that returned its row fail, and stopped a queue. No stored JSON value may nest
-- deeper than 256 levels (a level is one array or object). jsonpath's `.**{256}` looks
-- no deeper than level 256, so the check costs what one walk of the value costs. The
-- expression is written out in each CHECK rather than wrapped in a SQL function: a
-- function is inlined anew by every INSERT that checks it (about 25 microseconds, a
-- tenth of a one-row insert; written out, the check costs about 18).
--
-- Keys: a key's name has no dot and its ref is lowercase, so `[owner.]name` is never
-- ambiguous (a system key "mypack.token" and pack mypack's key "token" used to share a
-- ref) and "Token" and "token" are not two keys.
--
-- The constraints are added NOT VALID, then validated: a database holding older rows
-- that break them still migrates (with a WARNING naming the constraint); new and
-- changed rows are checked either way.
-- depends: 0005.replicas

ALTER TABLE attune.action ADD CONSTRAINT action_param_schema_depth CHECK (param_schema IS NULL OR NOT jsonb_path_exists(
    param_schema, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.action ADD CONSTRAINT action_out_schema_depth CHECK (out_schema IS NULL OR NOT jsonb_path_exists(
    out_schema, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.enforcement ADD CONSTRAINT enforcement_config_depth CHECK (config IS NULL OR NOT jsonb_path_exists(
    config, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.enforcement ADD CONSTRAINT enforcement_payload_depth CHECK (payload IS NULL OR NOT jsonb_path_exists(
    payload, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.enforcement ADD CONSTRAINT enforcement_conditions_depth CHECK (conditions IS NULL OR NOT jsonb_path_exists(
    conditions, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.event ADD CONSTRAINT event_config_depth CHECK (config IS NULL OR NOT jsonb_path_exists(
    config, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.event ADD CONSTRAINT event_payload_depth CHECK (payload IS NULL OR NOT jsonb_path_exists(
    payload, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.execution ADD CONSTRAINT execution_config_depth CHECK (config IS NULL OR NOT jsonb_path_exists(
    config, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.execution ADD CONSTRAINT execution_result_depth CHECK (result IS NULL OR NOT jsonb_path_exists(
    result, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.identity ADD CONSTRAINT identity_attributes_depth CHECK (attributes IS NULL OR NOT jsonb_path_exists(
    attributes, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.inquiry ADD CONSTRAINT inquiry_response_schema_depth CHECK (response_schema IS NULL OR NOT jsonb_path_exists(
    response_schema, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.inquiry ADD CONSTRAINT inquiry_response_depth CHECK (response IS NULL OR NOT jsonb_path_exists(
    response, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.notification ADD CONSTRAINT notification_content_depth CHECK (content IS NULL OR NOT jsonb_path_exists(
    content, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.pack ADD CONSTRAINT pack_conf_schema_depth CHECK (conf_schema IS NULL OR NOT jsonb_path_exists(
    conf_schema, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.pack ADD CONSTRAINT pack_config_depth CHECK (config IS NULL OR NOT jsonb_path_exists(
    config, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.pack ADD CONSTRAINT pack_meta_depth CHECK (meta IS NULL OR NOT jsonb_path_exists(
    meta, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.permission_set ADD CONSTRAINT permission_set_grants_depth CHECK (grants IS NULL OR NOT jsonb_path_exists(
    grants, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.rule ADD CONSTRAINT rule_conditions_depth CHECK (conditions IS NULL OR NOT jsonb_path_exists(
    conditions, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.rule ADD CONSTRAINT rule_action_params_depth CHECK (action_params IS NULL OR NOT jsonb_path_exists(
    action_params, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.rule ADD CONSTRAINT rule_trigger_params_depth CHECK (trigger_params IS NULL OR NOT jsonb_path_exists(
    trigger_params, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.runtime ADD CONSTRAINT runtime_distributions_depth CHECK (distributions IS NULL OR NOT jsonb_path_exists(
    distributions, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.runtime ADD CONSTRAINT runtime_installation_depth CHECK (installation IS NULL OR NOT jsonb_path_exists(
    installation, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.sensor ADD CONSTRAINT sensor_param_schema_depth CHECK (param_schema IS NULL OR NOT jsonb_path_exists(
    param_schema, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.sensor ADD CONSTRAINT sensor_config_depth CHECK (config IS NULL OR NOT jsonb_path_exists(
    config, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.trigger ADD CONSTRAINT trigger_param_schema_depth CHECK (param_schema IS NULL OR NOT jsonb_path_exists(
    param_schema, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.trigger ADD CONSTRAINT trigger_out_schema_depth CHECK (out_schema IS NULL OR NOT jsonb_path_exists(
    out_schema, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.worker ADD CONSTRAINT worker_capabilities_depth CHECK (capabilities IS NULL OR NOT jsonb_path_exists(
    capabilities, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;
ALTER TABLE attune.worker ADD CONSTRAINT worker_meta_depth CHECK (meta IS NULL OR NOT jsonb_path_exists(
    meta, 'strict $.**{256} ? (@.type() == "array" || @.type() == "object")')) NOT VALID;

ALTER TABLE attune.key ADD CONSTRAINT key_name_no_dot CHECK (strpos(name, '.') = 0) NOT VALID;
ALTER TABLE attune.key ADD CONSTRAINT key_ref_lowercase CHECK (ref = lower(ref)) NOT VALID;

DO $$
DECLARE
    checked record;
BEGIN
    FOR checked IN
        SELECT conrelid::regclass AS tab, conname FROM pg_constraint
        WHERE connamespace = 'attune'::regnamespace AND contype = 'c' AND NOT convalidated
    LOOP
        BEGIN
            EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', checked.tab, checked.conname);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING 'attune: rows of % break %: left NOT VALID (new rows are checked)',
                checked.tab, checked.conname;
        END;
    END LOOP;
END;
$$;
