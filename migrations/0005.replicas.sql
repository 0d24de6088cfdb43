-- What several service replicas sharing one database need: change notifications
-- (pg_notify on insert and status change, so services can react instead of polling),
-- and the indexes behind claiming work and paging history by the *_ref filters.
-- depends: 0004.history

-- Channel attune_<table>, payload {"op", "table", "id", "status"/"old_status" where the
-- table has a status, and its *_ref columns}. Delivered when the transaction commits;
-- never for a rolled-back change. Commits that notify take turns on a cluster-wide
-- lock, so a session that needs none (a bulk import, say) can opt out with
-- SET attune.notify = 'off'.
CREATE FUNCTION attune.notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    payload jsonb := jsonb_build_object(
        'op', lower(TG_OP), 'table', TG_TABLE_NAME, 'id', NEW.id);
BEGIN
    IF current_setting('attune.notify', true) = 'off' THEN
        RETURN NULL;
    END IF;
    CASE TG_TABLE_NAME
        WHEN 'event' THEN
            payload := payload || jsonb_build_object(
                'trigger_ref', NEW.trigger_ref, 'source_ref', NEW.source_ref);
        WHEN 'enforcement' THEN
            payload := payload || jsonb_build_object(
                'status', NEW.status, 'rule_ref', NEW.rule_ref,
                'trigger_ref', NEW.trigger_ref, 'event', NEW.event);
        WHEN 'execution' THEN
            payload := payload || jsonb_build_object(
                'status', NEW.status, 'action_ref', NEW.action_ref,
                'enforcement', NEW.enforcement, 'parent', NEW.parent);
        WHEN 'inquiry' THEN
            payload := payload || jsonb_build_object(
                'status', NEW.status, 'execution', NEW.execution);
    END CASE;
    IF TG_OP = 'UPDATE' THEN
        payload := payload || jsonb_build_object('old_status', OLD.status);
    END IF;
    PERFORM pg_notify('attune_' || TG_TABLE_NAME, payload::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER event_notify_insert AFTER INSERT ON attune.event
    FOR EACH ROW EXECUTE FUNCTION attune.notify_change();

CREATE TRIGGER enforcement_notify_insert AFTER INSERT ON attune.enforcement
    FOR EACH ROW EXECUTE FUNCTION attune.notify_change();
CREATE TRIGGER enforcement_notify_status AFTER UPDATE OF status ON attune.enforcement
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION attune.notify_change();

CREATE TRIGGER execution_notify_insert AFTER INSERT ON attune.execution
    FOR EACH ROW EXECUTE FUNCTION attune.notify_change();
CREATE TRIGGER execution_notify_status AFTER UPDATE OF status ON attune.execution
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION attune.notify_change();

CREATE TRIGGER inquiry_notify_insert AFTER INSERT ON attune.inquiry
    FOR EACH ROW EXECUTE FUNCTION attune.notify_change();
CREATE TRIGGER inquiry_notify_status AFTER UPDATE OF status ON attune.inquiry
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION attune.notify_change();

-- Paging newest first under a *_ref filter reads one index range, whatever the page.
CREATE INDEX event_source_ref_idx ON attune.event (source_ref, created, id);
CREATE INDEX enforcement_rule_ref_idx ON attune.enforcement (rule_ref, created, id);
CREATE INDEX enforcement_trigger_ref_idx ON attune.enforcement (trigger_ref, created, id);
CREATE INDEX execution_action_ref_idx ON attune.execution (action_ref, created, id);

-- Claiming the oldest waiting rows. Partial indexes hold only the rows still waiting,
-- so a claim never steps over the ones already claimed (which would make draining a
-- queue quadratic).
CREATE INDEX enforcement_claimable_idx ON attune.enforcement (created, id)
    WHERE status = 'created';
CREATE INDEX execution_claimable_idx ON attune.execution (created, id)
    WHERE status = 'requested';
CREATE INDEX execution_requested_idx ON attune.execution (action_ref, created, id)
    WHERE status = 'requested';
