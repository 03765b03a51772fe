-- A record belongs to at most one live match of a job, enforced by the database: each item
-- carries its match's job and whether the match was rejected (released), and a unique index
-- over the live items of a job. Concurrent manual matches, decisions that revive a rejected
-- match, and a job's own writes cannot book one record twice; the loser gets 23505.
ALTER TABLE match_items ADD COLUMN job_id uuid, ADD COLUMN released boolean NOT NULL DEFAULT false;
UPDATE match_items i SET job_id = m.job_id, released = (m.status = 'rejected') FROM matches m WHERE m.id = i.match_id;
DELETE FROM match_items WHERE job_id IS NULL;
ALTER TABLE match_items ALTER COLUMN job_id SET NOT NULL;
CREATE UNIQUE INDEX match_items_one_live_match_per_record ON match_items (job_id, record_id) WHERE NOT released;

-- An item's job is its match's.
CREATE OR REPLACE FUNCTION match_items_references() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE orphan boolean;
BEGIN
    IF integrity_skipped() THEN RETURN NULL; END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM changed_items n LEFT JOIN matches m ON m.id = n.match_id LEFT JOIN reconciliation_records r ON r.id = n.record_id
                            WHERE m.id IS NULL OR r.id IS NULL OR m.job_id <> n.job_id)' INTO orphan;
    IF orphan THEN PERFORM integrity_violation('match_items references a missing match or record, or a job other than its match''s'); END IF;
    RETURN NULL;
END $$;
