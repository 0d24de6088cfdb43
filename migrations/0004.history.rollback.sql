DROP TABLE attune.queue_stats;
DROP TABLE attune.artifact;
DROP TABLE attune.notification;
DROP FUNCTION attune.notification_pg_notify();
DROP TABLE attune.inquiry;
DROP TABLE attune.execution;
DROP TABLE attune.enforcement;
DROP TABLE attune.event;
