-- The attune schema, its enum types and the trigger functions every table shares.

CREATE SCHEMA attune;

CREATE TYPE attune.worker_type AS ENUM ('local', 'remote', 'container');
CREATE TYPE attune.worker_status AS ENUM ('active', 'inactive', 'busy', 'error');
CREATE TYPE attune.runtime_type AS ENUM ('action', 'sensor');
CREATE TYPE attune.enforcement_status AS ENUM ('created', 'processed', 'disabled');
CREATE TYPE attune.enforcement_condition AS ENUM ('any', 'all');
CREATE TYPE attune.execution_status AS ENUM (
    'requested', 'scheduling', 'scheduled', 'running', 'completed',
    'failed', 'canceling', 'cancelled', 'timeout', 'abandoned'
);
CREATE TYPE attune.inquiry_status AS ENUM ('pending', 'responded', 'timeout', 'cancelled');
CREATE TYPE attune.policy_method AS ENUM ('cancel', 'enqueue');
CREATE TYPE attune.owner_type AS ENUM ('system', 'identity', 'pack', 'action', 'sensor');
CREATE TYPE attune.notification_status AS ENUM ('created', 'queued', 'processing', 'error');
CREATE TYPE attune.artifact_type AS ENUM (
    'file_binary', 'file_datatable', 'file_image', 'file_text', 'other', 'progress', 'url'
);
CREATE TYPE attune.artifact_retention AS ENUM ('versions', 'days', 'hours', 'minutes');

-- BEFORE UPDATE on every table with an `updated` column.
CREATE FUNCTION attune.touch_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated := now();
    RETURN NEW;
END;
$$;
