-- A job writes ~100k matches and ~200k match items in one transaction; this makes that
-- cheaper without weakening any rule.
--
-- The matcher's signals are one document per match, written in bulk by the job and only ever
-- read whole (the review view). As jsonb each was parsed on the way in: a quarter of a
-- second per 100k matches. They are kept as the text the matcher wrote.
ALTER TABLE matches ALTER COLUMN details DROP DEFAULT;
ALTER TABLE matches ALTER COLUMN details TYPE text USING details::text;
ALTER TABLE matches ALTER COLUMN details SET DEFAULT '{}';

-- Every lookup of an item by its record is within a job (the one-live-match index answers
-- those); the record-only index cost each stored item an insert and served no query. Hard
-- deletes of records, which the product never makes, still find referencing items (the
-- statement trigger of 0005), by a scan.
DROP INDEX match_items_record_idx;
