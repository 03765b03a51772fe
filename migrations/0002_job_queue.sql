-- The job runner: job_runs records scheduled runs and holds the queue of queued jobs, which
-- several instances share (claimed with FOR UPDATE SKIP LOCKED), with heartbeats, progress,
-- cancellation, timeouts and bounded attempts.

-- The job's own name ('price_refresh', 'reconciliation' ...); `kind` stays the broad category.
ALTER TABLE job_runs ADD COLUMN job text;
UPDATE job_runs SET job = kind WHERE job IS NULL;
ALTER TABLE job_runs ALTER COLUMN job SET NOT NULL;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_job_format CHECK (job ~ '^[a-z][a-z0-9_]{0,62}$');
ALTER TABLE job_runs ALTER COLUMN kind SET DEFAULT 'other';

-- A queued job has not started: no start time yet (the queue inserts it as NULL; the default
-- still serves runs that start at once).
ALTER TABLE job_runs ALTER COLUMN started_at DROP NOT NULL;
ALTER TABLE job_runs DROP CONSTRAINT job_runs_status_valid;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_status_valid
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'));
ALTER TABLE job_runs DROP CONSTRAINT job_runs_done_has_finish;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_done_has_finish CHECK ((status IN ('queued', 'running')) = (finished_at IS NULL));
ALTER TABLE job_runs ADD CONSTRAINT job_runs_started_unless_queued
    CHECK ((status = 'queued') = (started_at IS NULL) OR (status = 'cancelled' AND started_at IS NULL));
ALTER TABLE job_runs DROP CONSTRAINT job_runs_trigger_valid;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_trigger_valid CHECK (trigger IN ('schedule', 'cron', 'manual', 'startup', 'api'));

ALTER TABLE job_runs
    ADD COLUMN payload          jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN attempts         integer NOT NULL DEFAULT 0 CONSTRAINT job_runs_attempts_non_negative CHECK (attempts >= 0),
    ADD COLUMN max_attempts     integer NOT NULL DEFAULT 1 CONSTRAINT job_runs_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 100),
    ADD COLUMN run_after        timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN heartbeat_at     timestamptz,
    ADD COLUMN worker           text,
    ADD COLUMN timeout_ms       integer CONSTRAINT job_runs_timeout_positive CHECK (timeout_ms IS NULL OR timeout_ms > 0),
    ADD COLUMN progress         smallint NOT NULL DEFAULT 0 CONSTRAINT job_runs_progress_range CHECK (progress BETWEEN 0 AND 100),
    ADD COLUMN progress_message text CONSTRAINT job_runs_progress_message_length CHECK (char_length(progress_message) <= 500),
    ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false,
    ADD COLUMN duration_ms      bigint CONSTRAINT job_runs_duration_non_negative CHECK (duration_ms IS NULL OR duration_ms >= 0),
    ADD COLUMN trace_parent     text;

-- Claiming the next job: queued rows in order of when they may run.
CREATE INDEX job_runs_queue_idx ON job_runs (run_after, id) WHERE status = 'queued';
-- Recovering jobs whose instance died: running rows by heartbeat.
CREATE INDEX job_runs_running_heartbeat_idx ON job_runs (heartbeat_at) WHERE status = 'running';
-- Listing: by job, newest first.
CREATE INDEX job_runs_job_id_idx ON job_runs (job, id DESC);
