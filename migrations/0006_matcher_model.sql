-- The matching model a job estimated from its records (m and u per field and level, the fee
-- rules it learned), shown by GET on the job.
ALTER TABLE reconciliation_jobs ADD COLUMN model jsonb;

-- Exact duplicate rows a job set aside (an overlapping statement import): record_id repeats
-- duplicate_of, a record of the same source; neither copy is ever matched twice.
CREATE TABLE reconciliation_duplicates (
    job_id          uuid NOT NULL REFERENCES reconciliation_jobs (id) ON DELETE CASCADE,
    record_id       bigint NOT NULL REFERENCES reconciliation_records (id),
    duplicate_of    bigint NOT NULL REFERENCES reconciliation_records (id),
    PRIMARY KEY (job_id, record_id),
    CONSTRAINT reconciliation_duplicates_distinct CHECK (record_id <> duplicate_of)
);

-- Reviewers' decisions of a project, read by its next jobs as labelled pairs.
CREATE INDEX matches_project_reviewed_idx ON matches (project_id, reviewed_at DESC) WHERE status IN ('confirmed', 'rejected');
