DROP TRIGGER notification_notify_insert ON attune.notification;
DROP FUNCTION attune.notification_notify_statement();
CREATE TRIGGER notification_pg_notify AFTER INSERT ON attune.notification
    FOR EACH ROW EXECUTE FUNCTION attune.notification_pg_notify();

DROP TRIGGER inquiry_notify_status ON attune.inquiry;
DROP TRIGGER inquiry_notify_insert ON attune.inquiry;
DROP TRIGGER execution_notify_status ON attune.execution;
DROP TRIGGER execution_notify_insert ON attune.execution;
DROP TRIGGER enforcement_notify_status ON attune.enforcement;
DROP TRIGGER enforcement_notify_insert ON attune.enforcement;
DROP TRIGGER event_notify_insert ON attune.event;

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

DROP FUNCTION attune.notify_statement();
DROP FUNCTION attune.summary_payload(text, text, bigint, bigint[]);
DROP FUNCTION attune.flush_notices();
DROP FUNCTION attune.send_notice(text, text);
DROP FUNCTION attune.notice_cut(jsonb, text[]);

ALTER TABLE attune.notification DROP CONSTRAINT notification_channel_check;
