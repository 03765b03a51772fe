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

-- ---------------------------------------------------------------- integrity by statement
-- A job stores ~100k matches and ~200k match items, an upload ~100k records, in one
-- statement each. Row-by-row foreign keys cost 60-70% of those statements here (measured: one
-- locking lookup per row and key). These bulk tables check their references once per
-- statement instead, with a join over the statement's new rows. Parents are soft-deleted only;
-- a hard delete of a referenced parent is refused (or cascades, as the keys did). Restores
-- load tables in any order with apiserver.skip_integrity set, then run integrity_check_all().

ALTER TABLE reconciliation_records DROP CONSTRAINT reconciliation_records_project_id_fkey;
ALTER TABLE reconciliation_records DROP CONSTRAINT reconciliation_records_data_source_id_fkey;
ALTER TABLE reconciliation_records DROP CONSTRAINT reconciliation_records_file_id_fkey;
ALTER TABLE matches DROP CONSTRAINT matches_job_id_fkey;
ALTER TABLE matches DROP CONSTRAINT matches_project_id_fkey;
ALTER TABLE match_items DROP CONSTRAINT match_items_match_id_fkey;
ALTER TABLE match_items DROP CONSTRAINT match_items_record_id_fkey;
-- Nothing reads records by project and date or status; every record write paid for them.
DROP INDEX reconciliation_records_project_date_idx;
DROP INDEX reconciliation_records_project_status_idx;
DROP INDEX matches_project_idx;

CREATE FUNCTION integrity_skipped() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('apiserver.skip_integrity', true), '') = 'on' $$;

CREATE FUNCTION integrity_violation(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'integrity: %', what USING ERRCODE = 'foreign_key_violation';
END $$;

-- The checks run as dynamic SQL (EXECUTE), planned at every call, and with sequential scans
-- discouraged: like a foreign key, each new row is looked up in its parent's index. (With stale
-- statistics, a freshly filled parent looks tiny, and a plan scanning it once per new row
-- took minutes.)

-- New or changed records must name an existing project, data source and (if any) upload.
CREATE FUNCTION reconciliation_records_references() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE orphan boolean;
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM changed_records n LEFT JOIN projects p ON p.id = n.project_id LEFT JOIN data_sources s ON s.id = n.data_source_id
                            LEFT JOIN uploaded_files f ON f.id = n.file_id
                            WHERE p.id IS NULL OR s.id IS NULL OR (n.file_id IS NOT NULL AND f.id IS NULL))' INTO orphan;
    IF orphan THEN PERFORM integrity_violation('reconciliation_records references a missing project, data source or upload'); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER reconciliation_records_references_insert AFTER INSERT ON reconciliation_records
    REFERENCING NEW TABLE AS changed_records FOR EACH STATEMENT EXECUTE FUNCTION reconciliation_records_references();
CREATE TRIGGER reconciliation_records_references_update AFTER UPDATE ON reconciliation_records
    REFERENCING NEW TABLE AS changed_records FOR EACH STATEMENT EXECUTE FUNCTION reconciliation_records_references();

CREATE FUNCTION matches_references() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE orphan boolean;
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM changed_matches n LEFT JOIN reconciliation_jobs j ON j.id = n.job_id AND j.project_id = n.project_id
                            WHERE j.id IS NULL)' INTO orphan;
    IF orphan THEN PERFORM integrity_violation('matches references a missing job, or a project other than its job''s'); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER matches_references_insert AFTER INSERT ON matches
    REFERENCING NEW TABLE AS changed_matches FOR EACH STATEMENT EXECUTE FUNCTION matches_references();
CREATE TRIGGER matches_references_update AFTER UPDATE ON matches
    REFERENCING NEW TABLE AS changed_matches FOR EACH STATEMENT EXECUTE FUNCTION matches_references();

CREATE FUNCTION match_items_references() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE orphan boolean;
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM changed_items n LEFT JOIN matches m ON m.id = n.match_id LEFT JOIN reconciliation_records r ON r.id = n.record_id
                            WHERE m.id IS NULL OR r.id IS NULL)' INTO orphan;
    IF orphan THEN PERFORM integrity_violation('match_items references a missing match or record'); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER match_items_references_insert AFTER INSERT ON match_items
    REFERENCING NEW TABLE AS changed_items FOR EACH STATEMENT EXECUTE FUNCTION match_items_references();
CREATE TRIGGER match_items_references_update AFTER UPDATE ON match_items
    REFERENCING NEW TABLE AS changed_items FOR EACH STATEMENT EXECUTE FUNCTION match_items_references();

-- Deleting parents: jobs and matches cascade to their results, as the keys did; a project,
-- source, upload or record still referenced cannot be deleted.
CREATE FUNCTION reconciliation_jobs_cascade() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE 'DELETE FROM matches m USING gone_jobs g WHERE m.job_id = g.id';
    RETURN NULL;
END $$;
CREATE TRIGGER reconciliation_jobs_cascade AFTER DELETE ON reconciliation_jobs
    REFERENCING OLD TABLE AS gone_jobs FOR EACH STATEMENT EXECUTE FUNCTION reconciliation_jobs_cascade();

CREATE FUNCTION matches_cascade() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE 'DELETE FROM match_items i USING gone_matches g WHERE i.match_id = g.id';
    RETURN NULL;
END $$;
CREATE TRIGGER matches_cascade AFTER DELETE ON matches
    REFERENCING OLD TABLE AS gone_matches FOR EACH STATEMENT EXECUTE FUNCTION matches_cascade();

CREATE FUNCTION reconciliation_parents_still_referenced() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE orphan boolean;
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE CASE TG_TABLE_NAME
        WHEN 'reconciliation_records' THEN 'SELECT EXISTS (SELECT 1 FROM gone g JOIN match_items i ON i.record_id = g.id)'
        WHEN 'uploaded_files' THEN 'SELECT EXISTS (SELECT 1 FROM gone g JOIN reconciliation_records r ON r.file_id = g.id)'
        WHEN 'data_sources' THEN 'SELECT EXISTS (SELECT 1 FROM gone g JOIN reconciliation_records r ON r.data_source_id = g.id)'
        ELSE 'SELECT EXISTS (SELECT 1 FROM gone g JOIN reconciliation_records r ON r.project_id = g.id)
                  OR EXISTS (SELECT 1 FROM gone g JOIN matches m ON m.project_id = g.id)'
    END INTO orphan;
    IF orphan THEN PERFORM integrity_violation('a deleted ' || TG_TABLE_NAME || ' row is still referenced'); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER reconciliation_records_still_referenced AFTER DELETE ON reconciliation_records
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION reconciliation_parents_still_referenced();
CREATE TRIGGER uploaded_files_still_referenced AFTER DELETE ON uploaded_files
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION reconciliation_parents_still_referenced();
CREATE TRIGGER data_sources_still_referenced AFTER DELETE ON data_sources
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION reconciliation_parents_still_referenced();
CREATE TRIGGER projects_still_referenced AFTER DELETE ON projects
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION reconciliation_parents_still_referenced();

-- Every statement-checked reference of the whole database at once (after a restore).
CREATE FUNCTION integrity_check_all() RETURNS void LANGUAGE plpgsql AS $$
DECLARE orphan boolean;
BEGIN
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM reconciliation_records n LEFT JOIN projects p ON p.id = n.project_id LEFT JOIN data_sources s ON s.id = n.data_source_id
                            LEFT JOIN uploaded_files f ON f.id = n.file_id WHERE p.id IS NULL OR s.id IS NULL OR (n.file_id IS NOT NULL AND f.id IS NULL))
                 OR EXISTS (SELECT 1 FROM matches n LEFT JOIN reconciliation_jobs j ON j.id = n.job_id AND j.project_id = n.project_id WHERE j.id IS NULL)
                 OR EXISTS (SELECT 1 FROM match_items n LEFT JOIN matches m ON m.id = n.match_id LEFT JOIN reconciliation_records r ON r.id = n.record_id
                            WHERE m.id IS NULL OR r.id IS NULL)' INTO orphan;
    IF orphan THEN PERFORM integrity_violation('the restored data has references to missing rows'); END IF;
END $$;
