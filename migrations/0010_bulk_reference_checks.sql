-- The statement-level reference checks of 0005/0007, planned for the size of the statement.
-- A job stores ~1M items in one COPY, an upload ~1M records in one INSERT; checked one row at
-- a time, as a foreign key would, each row cost two index probes (6 s for a 1M-record job).
--
-- Records and matches name their parents by a handful of distinct values (one project, one
-- source, one upload; one job): the parents are looked up once per distinct value.
CREATE OR REPLACE FUNCTION reconciliation_records_references() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off SET jit = off AS $$
DECLARE orphan boolean;
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT project_id, data_source_id, file_id FROM changed_records) n
                            LEFT JOIN projects p ON p.id = n.project_id LEFT JOIN data_sources s ON s.id = n.data_source_id
                            LEFT JOIN uploaded_files f ON f.id = n.file_id
                            WHERE p.id IS NULL OR s.id IS NULL OR (n.file_id IS NOT NULL AND f.id IS NULL))' INTO orphan;
    IF orphan THEN PERFORM integrity_violation('reconciliation_records references a missing project, data source or upload'); END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION matches_references() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off SET jit = off AS $$
DECLARE orphan boolean;
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT job_id, project_id FROM changed_matches) n
                            LEFT JOIN reconciliation_jobs j ON j.id = n.job_id AND j.project_id = n.project_id WHERE j.id IS NULL)' INTO orphan;
    IF orphan THEN PERFORM integrity_violation('matches references a missing job, or a project other than its job''s'); END IF;
    RETURN NULL;
END $$;

-- Items name a match and a record each. A few items (a reviewer's manual match) are probed
-- one by one; a bulk write is hash-joined against its jobs' matches (found through the job
-- index) and against the record ids between its lowest and highest (a range of the primary
-- key): work in proportion to the job, not to the whole table, and no per-row probe.
-- enable_nestloop is in the SET clause so that the bulk branch's change ends with the call;
-- jit is off as compiling the check costs more than it saves.
CREATE OR REPLACE FUNCTION match_items_references() RETURNS trigger LANGUAGE plpgsql
    SET enable_seqscan = off SET enable_nestloop = on SET jit = off AS $$
DECLARE orphan boolean; n bigint; jobs uuid[]; lo bigint; hi bigint;
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE 'SELECT count(*), array_agg(DISTINCT job_id), min(record_id), max(record_id) FROM changed_items' INTO n, jobs, lo, hi;
    IF n = 0 THEN RETURN NULL; END IF;
    IF n <= 10000 THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM changed_items n LEFT JOIN matches m ON m.id = n.match_id LEFT JOIN reconciliation_records r ON r.id = n.record_id
                                WHERE m.id IS NULL OR r.id IS NULL OR m.job_id <> n.job_id)' INTO orphan;
    ELSE
        PERFORM set_config('enable_nestloop', 'off', true);
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM changed_items n
                                LEFT JOIN (SELECT id, job_id FROM matches WHERE job_id = ANY($1)) m ON m.id = n.match_id
                                LEFT JOIN (SELECT id FROM reconciliation_records WHERE id BETWEEN $2 AND $3) r ON r.id = n.record_id
                                WHERE m.id IS NULL OR r.id IS NULL OR m.job_id <> n.job_id)' INTO orphan USING jobs, lo, hi;
    END IF;
    IF orphan THEN PERFORM integrity_violation('match_items references a missing match or record, or a job other than its match''s'); END IF;
    RETURN NULL;
END $$;
