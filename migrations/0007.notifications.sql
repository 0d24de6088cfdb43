-- Change notifications that never fail a write and do not serialize commits.
-- depends: 0005.replicas

-- One notice per statement, not per row (statement-level triggers over transition
-- tables): a statement that touched one row sends that row's payload as before; one
-- that touched many sends a bounded summary {"op", "table", "count", "ids" (at most
-- 50) or "min_id"/"max_id"}, so create_many of 10,000 rows sends one notice.
--
-- Payloads stay far below pg_notify's 8,000-byte limit whatever a row holds: text
-- fields longer than 200 characters are cut (at most 6 bytes each once JSON-escaped)
-- and the payload's "cut" array names them.
--
-- Two ways to send, chosen per session by attune.notify_mode:
-- * immediate (default: psql, other applications, poolers): pg_notify in the writing
--   transaction. PostgreSQL then holds a cluster-wide lock from that transaction's
--   pre-commit until its end, across the commit's WAL flush, so such commits take
--   turns instead of being flushed together.
-- * deferred (sessions of attune_common's Database, set in the startup packet): the
--   notice is kept in the session setting attune.pending_notices (a set_config
--   that a rollback drops and a commit keeps) and the client ends the
--   transaction with "COMMIT; SELECT attune.flush_notices()" in one message, in
--   which flush_notices() sends them in a short transaction of its own that does not
--   wait for the WAL flush, so the lock is held only briefly. The first notice kept
--   raises a NOTICE (SQLSTATE ATN01) so that the client knows; a transaction that
--   kept none ends with a plain COMMIT. Past 64,000 bytes of kept notices, the
--   rest are sent immediately.
-- attune.notify = 'off', transaction-local (attune_common.notify.notifications_off),
-- silences the writes of a transaction.

ALTER TABLE attune.notification
    ADD CONSTRAINT notification_channel_check CHECK (octet_length(channel) BETWEEN 1 AND 63);

-- `payload` with every text field named in `fields` cut to 200 characters; "cut" lists
-- the ones that were.
CREATE FUNCTION attune.notice_cut(payload jsonb, fields text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    field text;
    cut text[] := '{}';
BEGIN
    FOREACH field IN ARRAY fields LOOP
        IF length(payload ->> field) > 200 THEN
            payload := jsonb_set(payload, ARRAY[field], to_jsonb(left(payload ->> field, 200)));
            cut := cut || field;
        END IF;
    END LOOP;
    IF cardinality(cut) > 0 THEN
        payload := payload || jsonb_build_object('cut', cut);
    END IF;
    RETURN payload;
END;
$$;

-- Send one notice (its payload's text) now, or keep it for flush_notices() in a
-- deferred session. Kept notices are lines of "<channel as a JSON string> TAB
-- <payload>": JSON text holds neither a raw tab nor a raw newline. The first one
-- kept also tells the client (a NOTICE with SQLSTATE ATN01), so that transactions
-- that kept nothing end with a plain COMMIT; a session that would not receive that
-- NOTICE (client_min_messages above notice) sends at once instead.
CREATE FUNCTION attune.send_notice(channel text, notice text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    pending text;
BEGIN
    IF current_setting('attune.notify_mode', true) = 'deferred' THEN
        pending := current_setting('attune.pending_notices', true);
        IF pending IS NULL OR pending = '' THEN
            IF current_setting('client_min_messages') IN
                    ('debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'log', 'notice') THEN
                PERFORM set_config('attune.pending_notices',
                    to_jsonb(channel)::text || E'\t' || notice, false);
                RAISE NOTICE USING MESSAGE = 'attune: change notices kept until COMMIT',
                    ERRCODE = 'ATN01';
                RETURN;
            END IF;
        ELSIF octet_length(pending) < 64000 THEN
            PERFORM set_config('attune.pending_notices',
                pending || E'\n' || to_jsonb(channel)::text || E'\t' || notice, false);
            RETURN;
        END IF;
    END IF;
    PERFORM pg_notify(channel, notice);
END;
$$;

-- Send the notices kept by committed transactions of this session; how many. Run it
-- in a transaction of its own, right after COMMIT: that transaction does not wait for
-- its WAL flush (it writes no data, only notices). It never raises for a notice it
-- cannot send (it warns and keeps it for the next call).
CREATE FUNCTION attune.flush_notices() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    pending text := current_setting('attune.pending_notices', true);
    sent integer;
BEGIN
    IF pending IS NULL OR pending = '' THEN
        RETURN 0;
    END IF;
    IF txid_current_if_assigned() IS NULL THEN  -- never make a data transaction async
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    BEGIN
        SELECT count(pg_notify(split_part(line, E'\t', 1)::jsonb #>> '{}',
                               split_part(line, E'\t', 2)))
            INTO sent FROM string_to_table(pending, E'\n') AS line;
        PERFORM set_config('attune.pending_notices', '', false);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'attune.flush_notices: % (kept for the next flush)', SQLERRM;
        RETURN 0;
    END;
    RETURN sent;
END;
$$;

-- The summary of a statement that changed `n` rows (`ids` in id order, or the lowest
-- and highest when there are many).
CREATE FUNCTION attune.summary_payload(tbl text, op text, n bigint, ids bigint[])
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('op', op, 'table', tbl, 'count', n)
        || CASE WHEN n <= 50 THEN jsonb_build_object('ids', to_jsonb(ids))
           ELSE jsonb_build_object('min_id', ids[1], 'max_id', ids[cardinality(ids)]) END;
$$;

-- AFTER INSERT / AFTER UPDATE, FOR EACH STATEMENT, transition tables new_rows (and
-- old_rows for updates): one notice on attune_<table> for the rows inserted, or for
-- the rows whose status changed. A single row's payload is {"op", "table", "id",
-- "status"/"old_status" where the table has a status, and its *_ref columns}. The
-- per-table queries are planned on first use, separately for each table (PL/pgSQL
-- compiles a trigger function once per table), so each names only its own columns.
CREATE FUNCTION attune.notify_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    op text := lower(TG_OP);
    channel text := 'attune_' || TG_TABLE_NAME;
    changed bigint;
    ids bigint[];
    old_status text;
    fields jsonb;
    payload jsonb;
    notice text;
BEGIN
    IF current_setting('attune.notify', true) = 'off' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT count(*), array_agg(id ORDER BY id) INTO changed, ids
            FROM (SELECT id FROM new_rows LIMIT 51) n;
        IF changed > 50 THEN
            SELECT count(*), ARRAY[min(id), max(id)] INTO changed, ids FROM new_rows;
        END IF;
    ELSE
        SELECT count(*), array_agg(n.id ORDER BY n.id), min(o.status::text)
            INTO changed, ids, old_status
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE n.status IS DISTINCT FROM o.status;
    END IF;
    IF changed = 0 THEN
        RETURN NULL;
    ELSIF changed > 1 THEN
        PERFORM attune.send_notice(channel,
            attune.summary_payload(TG_TABLE_NAME, op, changed, ids)::text);
        RETURN NULL;
    END IF;
    CASE TG_TABLE_NAME
        WHEN 'event' THEN
            SELECT jsonb_build_object('trigger_ref', trigger_ref, 'source_ref', source_ref)
                INTO fields FROM new_rows WHERE id = ids[1];
        WHEN 'enforcement' THEN
            SELECT jsonb_build_object('status', status, 'rule_ref', rule_ref,
                    'trigger_ref', trigger_ref, 'event', event)
                INTO fields FROM new_rows WHERE id = ids[1];
        WHEN 'execution' THEN
            SELECT jsonb_build_object('status', status, 'action_ref', action_ref,
                    'enforcement', enforcement, 'parent', parent)
                INTO fields FROM new_rows WHERE id = ids[1];
        WHEN 'inquiry' THEN
            SELECT jsonb_build_object('status', status, 'execution', execution)
                INTO fields FROM new_rows WHERE id = ids[1];
    END CASE;
    payload := jsonb_build_object('op', op, 'table', TG_TABLE_NAME, 'id', ids[1]) || fields;
    IF TG_OP = 'UPDATE' THEN
        payload := payload || jsonb_build_object('old_status', old_status);
    END IF;
    notice := payload::text;
    IF octet_length(notice) > 1000 THEN
        notice := attune.notice_cut(payload, '{trigger_ref,source_ref,rule_ref,action_ref}')::text;
    END IF;
    PERFORM attune.send_notice(channel, notice);
    RETURN NULL;
END;
$$;

DROP TRIGGER event_notify_insert ON attune.event;
DROP TRIGGER enforcement_notify_insert ON attune.enforcement;
DROP TRIGGER enforcement_notify_status ON attune.enforcement;
DROP TRIGGER execution_notify_insert ON attune.execution;
DROP TRIGGER execution_notify_status ON attune.execution;
DROP TRIGGER inquiry_notify_insert ON attune.inquiry;
DROP TRIGGER inquiry_notify_status ON attune.inquiry;

CREATE TRIGGER event_notify_insert AFTER INSERT ON attune.event
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attune.notify_statement();

CREATE TRIGGER enforcement_notify_insert AFTER INSERT ON attune.enforcement
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attune.notify_statement();
CREATE TRIGGER enforcement_notify_status AFTER UPDATE ON attune.enforcement
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attune.notify_statement();

CREATE TRIGGER execution_notify_insert AFTER INSERT ON attune.execution
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attune.notify_statement();
CREATE TRIGGER execution_notify_status AFTER UPDATE ON attune.execution
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attune.notify_statement();

CREATE TRIGGER inquiry_notify_insert AFTER INSERT ON attune.inquiry
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attune.notify_statement();
CREATE TRIGGER inquiry_notify_status AFTER UPDATE ON attune.inquiry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attune.notify_statement();

-- A notification row tells listeners on its own channel: one notice per channel per
-- statement, {"id", "entity_type", "entity", "activity"} (text fields cut as above)
-- for a single row, the summary for several.
CREATE FUNCTION attune.notification_notify_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    batch record;
BEGIN
    IF current_setting('attune.notify', true) = 'off' THEN
        RETURN NULL;
    END IF;
    FOR batch IN
        SELECT channel, count(*) AS changed, array_agg(id ORDER BY id) AS ids,
               (array_agg(jsonb_build_object('id', id, 'entity_type', entity_type,
                    'entity', entity, 'activity', activity)))[1] AS one
            FROM new_rows GROUP BY channel
    LOOP
        IF batch.changed = 1 THEN
            PERFORM attune.send_notice(batch.channel,
                attune.notice_cut(batch.one, '{entity_type,entity,activity}')::text);
        ELSE
            PERFORM attune.send_notice(batch.channel,
                attune.summary_payload('notification', 'insert', batch.changed, batch.ids)::text);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

DROP TRIGGER notification_pg_notify ON attune.notification;
CREATE TRIGGER notification_notify_insert AFTER INSERT ON attune.notification
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION attune.notification_notify_statement();
