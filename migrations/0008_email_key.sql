-- One identity key for an email, computed in one place (EmailAddress.key in Swift: NFKC and
-- Unicode case folding) and stored: the code and the database compare the same text, never
-- lower() in SQL against a key folded elsewhere. ASCII addresses fold the same either way;
-- the server re-keys the others with the Swift rule when it starts.
ALTER TABLE users ADD COLUMN email_key text;
UPDATE users SET email_key = lower(email);
ALTER TABLE users ALTER COLUMN email_key SET NOT NULL;
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_email_key_unique ON users (email_key) WHERE deleted_at IS NULL;
