-- Reconciliation: what sources, uploads, queued matching jobs and review need.

-- A record's external id is unique among a source's live records; a replaced upload's
-- records are soft-deleted (their matches keep pointing at them) and the ids can come again.
ALTER TABLE reconciliation_records DROP CONSTRAINT reconciliation_records_source_external_id_key;
CREATE UNIQUE INDEX reconciliation_records_source_external_id_key
    ON reconciliation_records (data_source_id, external_id) WHERE deleted_at IS NULL;

-- The same file uploaded twice to one source is found by its digest.
CREATE INDEX uploaded_files_source_sha256_idx ON uploaded_files (data_source_id, sha256) WHERE deleted_at IS NULL;
CREATE INDEX uploaded_files_source_created_idx ON uploaded_files (data_source_id, created_at DESC, id DESC);

-- A job's name, its rules, the queue run that executes it, and its result counts.
ALTER TABLE reconciliation_jobs
    ADD COLUMN name text NOT NULL DEFAULT 'reconciliation'
        CONSTRAINT reconciliation_jobs_name_length CHECK (char_length(btrim(name)) BETWEEN 1 AND 255),
    ADD COLUMN rules jsonb NOT NULL DEFAULT '{}' CONSTRAINT reconciliation_jobs_rules_object CHECK (jsonb_typeof(rules) = 'object'),
    ADD COLUMN run_id bigint REFERENCES job_runs (id),
    ADD COLUMN stats jsonb NOT NULL DEFAULT '{}' CONSTRAINT reconciliation_jobs_stats_object CHECK (jsonb_typeof(stats) = 'object');
CREATE INDEX reconciliation_jobs_run_idx ON reconciliation_jobs (run_id);
CREATE INDEX reconciliation_jobs_project_created_id_idx ON reconciliation_jobs (project_id, created_at DESC, id DESC);

-- The matcher's types: exact, tolerant (amount or date within the rules), groups, manual.
ALTER TABLE matches DROP CONSTRAINT matches_match_type_valid;
ALTER TABLE matches ADD CONSTRAINT matches_match_type_valid
    CHECK (match_type IN ('exact', 'tolerant', 'fuzzy', 'one_to_many', 'many_to_one', 'manual'));
-- Review pages: by confidence, then id, within a job.
CREATE INDEX matches_job_confidence_id_idx ON matches (job_id, confidence DESC, id);
DROP INDEX matches_job_confidence_idx;
