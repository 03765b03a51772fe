-- A record belongs to at most one live match of a job, enforced by the database: each item
-- carries its match's job and whether the match was rejected (released), and a unique index
-- over the live items of a job. Concurrent manual matches, decisions that revive a rejected
-- match, and a job's own writes cannot book one record twice; the loser gets 23505.
ALTER TABLE match_items ADD COLUMN job_id uuid, ADD COLUMN released boolean NOT NULL DEFAULT false;
UPDATE match_items i SET job_id = m.job_id, released = (m.status = 'rejected') FROM matches m WHERE m.id = i.match_id;
DELETE FROM match_items WHERE job_id IS NULL;
ALTER TABLE match_items ALTER COLUMN job_id SET NOT NULL;
-- Before this index, concurrent manual matches could book one record twice. The later of two
-- live matches sharing a record is rejected (by the reviewer who made it, with a note saying
-- why), so the earlier booking stands and nothing is deleted; a reviewer can reject the
-- earlier one and confirm this one again.
WITH shared AS (
    SELECT DISTINCT later.id
    FROM match_items a JOIN matches earlier ON earlier.id = a.match_id
    JOIN match_items b ON b.job_id = a.job_id AND b.record_id = a.record_id AND b.match_id <> a.match_id AND NOT b.released
    JOIN matches later ON later.id = b.match_id
    WHERE NOT a.released AND (earlier.created_at, earlier.id) < (later.created_at, later.id)
)
UPDATE matches m SET status = 'rejected', reviewed_by = coalesce(m.reviewed_by, (SELECT j.created_by FROM reconciliation_jobs j WHERE j.id = m.job_id)),
       reviewed_at = now(), updated_at = now(),
       notes = left(coalesce(m.notes || ' ', '') || '[migration 0007: a record of this match was already in an earlier match of the job]', 4000)
FROM shared WHERE m.id = shared.id;
UPDATE match_items i SET released = true FROM matches m WHERE m.id = i.match_id AND m.status = 'rejected' AND NOT i.released;
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
