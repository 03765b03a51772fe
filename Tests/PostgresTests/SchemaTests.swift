import Testing
@testable import Postgres
import Foundation

/// The real migrations applied to a scratch database; every rule of the schema is checked by
/// trying to break it. Each case runs in a transaction that is rolled back.
@Suite(.serialized) struct SchemaTests {
    static let migrated: Result<ScratchDatabase, any Error> = Result {
        let db = try ScratchDatabase()
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations").path
        try Migrator(pool: db.pool(), migrations: try Migration.load(directory: dir)).migrate()
        return db
    }

    static let owner = "00000000-0000-0000-0000-000000000001"
    static let project = "00000000-0000-0000-0000-000000000010"
    static let bank = "00000000-0000-0000-0000-000000000020"
    static let ledger = "00000000-0000-0000-0000-000000000021"
    static let job = "00000000-0000-0000-0000-000000000030"
    static let match = "00000000-0000-0000-0000-000000000040"

    static let fixtures = """
        INSERT INTO users (id, email, email_key, password_hash) VALUES ('\(owner)', 'owner@example.com', 'owner@example.com', repeat('x', 60));
        INSERT INTO assets (symbol, name, asset_class, currency) VALUES ('AAA', 'A Corp', 'equity', 'USD');
        INSERT INTO prices (asset_id, date, close) SELECT id, '2026-01-02', 10 FROM assets WHERE symbol = 'AAA';
        INSERT INTO projects (id, owner_id, name) VALUES ('\(project)', '\(owner)', 'Books');
        INSERT INTO data_sources (id, project_id, name, source_system) VALUES ('\(bank)', '\(project)', 'Bank', 'bank'),
            ('\(ledger)', '\(project)', 'Ledger', 'ledger');
        INSERT INTO reconciliation_jobs (id, project_id, left_source_id, right_source_id, created_by)
            VALUES ('\(job)', '\(project)', '\(bank)', '\(ledger)', '\(owner)');
        INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency)
            VALUES ('\(project)', '\(bank)', 'E1', '2026-01-02', 10.50, 'USD');
        INSERT INTO matches (id, job_id, project_id, confidence, match_type) VALUES ('\(match)', '\(job)', '\(project)', 0.9, 'exact');
        -- strategy_configs version 1 (active) is seeded by migration 0003.
        INSERT INTO audit_logs (user_id, action, resource_type, resource_id) VALUES ('\(owner)', 'create', 'project', '\(project)');
        """

    static let violations: [(String, String, String)] = [
        ("user email format", "INSERT INTO users (email, email_key, password_hash) VALUES ('not-an-email', 'not-an-email', repeat('x', 60))", "23514"),
        ("user role", "INSERT INTO users (email, email_key, password_hash, role) VALUES ('r@x.io', 'r@x.io', repeat('x', 60), 'root')", "23514"),
        ("user email key unique", "INSERT INTO users (email, email_key, password_hash) VALUES ('OWNER@example.com', 'owner@example.com', repeat('x', 60))", "23505"),
        ("user email key present", "INSERT INTO users (email, password_hash) VALUES ('k@x.io', repeat('x', 60))", "23502"),
        ("user password hash present", "INSERT INTO users (email, email_key, password_hash) VALUES ('p@x.io', 'p@x.io', '')", "23514"),
        ("refresh token hash format", "INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at) VALUES ('\(owner)', 'abc', gen_random_uuid(), now() + interval '1 day')", "23514"),
        ("refresh token expiry", "INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at) VALUES ('\(owner)', repeat('a', 64), gen_random_uuid(), now() - interval '1 day')", "23514"),
        ("asset symbol format", "INSERT INTO assets (symbol, name, asset_class, currency) VALUES ('aaa b', 'x', 'equity', 'USD')", "23514"),
        ("asset currency format", "INSERT INTO assets (symbol, name, asset_class, currency) VALUES ('BBB', 'x', 'equity', 'usd')", "23514"),
        ("asset class", "INSERT INTO assets (symbol, name, asset_class, currency) VALUES ('BBB', 'x', 'stamps', 'USD')", "23514"),
        ("asset symbol unique", "INSERT INTO assets (symbol, name, asset_class, currency) VALUES ('AAA', 'again', 'equity', 'USD')", "23505"),
        ("price close positive", "INSERT INTO prices (asset_id, date, close) SELECT id, '2026-01-05', 0 FROM assets WHERE symbol = 'AAA'", "23514"),
        ("price volume non-negative", "INSERT INTO prices (asset_id, date, close, volume) SELECT id, '2026-01-05', 1, -1 FROM assets WHERE symbol = 'AAA'", "23514"),
        ("price high not below low", "INSERT INTO prices (asset_id, date, close, high, low) SELECT id, '2026-01-05', 1, 1, 2 FROM assets WHERE symbol = 'AAA'", "23514"),
        ("price one per asset and day", "INSERT INTO prices (asset_id, date, close) SELECT id, '2026-01-02', 11 FROM assets WHERE symbol = 'AAA'", "23505"),
        ("price asset exists", "INSERT INTO prices (asset_id, date, close) VALUES (999999, '2026-01-05', 1)", "23503"),
        ("fx distinct currencies", "INSERT INTO fx_rates (base, quote, date, rate) VALUES ('USD', 'USD', '2026-01-02', 1)", "23514"),
        ("fx rate positive", "INSERT INTO fx_rates (base, quote, date, rate) VALUES ('USD', 'EUR', '2026-01-02', 0)", "23514"),
        ("strategy weights sum to 1", "INSERT INTO strategy_configs (version, name, weights, rebalance_frequency) VALUES (2, 's', '{\"AAA\": 0.5, \"BBB\": 0.4}', 'monthly')", "23514"),
        ("strategy weight within [0,1]", "INSERT INTO strategy_configs (version, name, weights, rebalance_frequency) VALUES (2, 's', '{\"AAA\": 1.5, \"BBB\": -0.5}', 'monthly')", "23514"),
        ("strategy weights numbers", "INSERT INTO strategy_configs (version, name, weights, rebalance_frequency) VALUES (2, 's', '{\"AAA\": \"1\"}', 'monthly')", "23514"),
        ("strategy rebalance frequency", "INSERT INTO strategy_configs (version, name, weights, rebalance_frequency) VALUES (2, 's', '{\"AAA\": 1}', 'hourly')", "23514"),
        ("strategy drift threshold", "INSERT INTO strategy_configs (version, name, weights, rebalance_frequency, drift_threshold) VALUES (2, 's', '{\"AAA\": 1}', 'monthly', 0)", "23514"),
        ("strategy one active", "INSERT INTO strategy_configs (version, name, weights, rebalance_frequency, is_active) VALUES (2, 's', '{\"AAA\": 1}', 'monthly', true)", "23505"),
        ("strategy version unique", "INSERT INTO strategy_configs (version, name, weights, rebalance_frequency) VALUES (1, 's', '{\"AAA\": 1}', 'monthly')", "23505"),
        ("index value positive", "INSERT INTO index_values (date, value) VALUES ('2026-01-02', -5)", "23514"),
        ("allocation weight range", "INSERT INTO allocations (date, asset_id, weight) SELECT '2026-01-02', id, 1.2 FROM assets WHERE symbol = 'AAA'", "23514"),
        ("risk drawdown range", "INSERT INTO risk_metrics (date, max_drawdown) VALUES ('2026-01-02', 0.3)", "23514"),
        ("project name not blank", "INSERT INTO projects (owner_id, name) VALUES ('\(owner)', '   ')", "23514"),
        ("project name length", "INSERT INTO projects (owner_id, name) VALUES ('\(owner)', repeat('n', 256))", "23514"),
        ("project settings object", "INSERT INTO projects (owner_id, name, settings) VALUES ('\(owner)', 'p', '[1]')", "23514"),
        ("project status", "INSERT INTO projects (owner_id, name, status) VALUES ('\(owner)', 'p', 'deleted')", "23514"),
        ("project owner exists", "INSERT INTO projects (owner_id, name) VALUES (gen_random_uuid(), 'p')", "23503"),
        ("member role", "INSERT INTO project_members (project_id, user_id, role) VALUES ('\(project)', '\(owner)', 'god')", "23514"),
        ("source system", "INSERT INTO data_sources (project_id, name, source_system) VALUES ('\(project)', 'X', 'fax')", "23514"),
        ("source name unique per project", "INSERT INTO data_sources (project_id, name, source_system) VALUES ('\(project)', 'BANK', 'bank')", "23505"),
        ("file sha256 format", "INSERT INTO uploaded_files (project_id, data_source_id, file_name, size_bytes, content_type, sha256, uploaded_by) VALUES ('\(project)', '\(bank)', 'a.csv', 1, 'text/csv', repeat('Z', 64), '\(owner)')", "23514"),
        ("file size non-negative", "INSERT INTO uploaded_files (project_id, data_source_id, file_name, size_bytes, content_type, sha256, uploaded_by) VALUES ('\(project)', '\(bank)', 'a.csv', -1, 'text/csv', repeat('a', 64), '\(owner)')", "23514"),
        ("file status", "INSERT INTO uploaded_files (project_id, data_source_id, file_name, size_bytes, content_type, sha256, uploaded_by, status) VALUES ('\(project)', '\(bank)', 'a.csv', 1, 'text/csv', repeat('a', 64), '\(owner)', 'lost')", "23514"),
        ("record external id unique per source", "INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency) VALUES ('\(project)', '\(bank)', 'E1', '2026-01-03', 1, 'USD')", "23505"),
        ("record currency format", "INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency) VALUES ('\(project)', '\(bank)', 'E2', '2026-01-03', 1, 'US')", "23514"),
        ("record status", "INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency, status) VALUES ('\(project)', '\(bank)', 'E2', '2026-01-03', 1, 'USD', 'lost')", "23514"),
        ("record amount required", "INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, currency) VALUES ('\(project)', '\(bank)', 'E2', '2026-01-03', 'USD')", "23502"),
        ("job threshold range", "INSERT INTO reconciliation_jobs (project_id, left_source_id, right_source_id, created_by, confidence_threshold) VALUES ('\(project)', '\(bank)', '\(ledger)', '\(owner)', 1.5)", "23514"),
        ("job distinct sources", "INSERT INTO reconciliation_jobs (project_id, left_source_id, right_source_id, created_by) VALUES ('\(project)', '\(bank)', '\(bank)', '\(owner)')", "23514"),
        ("job status", "INSERT INTO reconciliation_jobs (project_id, left_source_id, right_source_id, created_by, status) VALUES ('\(project)', '\(bank)', '\(ledger)', '\(owner)', 'paused')", "23514"),
        ("job terminal has finish time", "UPDATE reconciliation_jobs SET status = 'completed' WHERE id = '\(job)'", "23514"),
        ("job failure has error", "UPDATE reconciliation_jobs SET status = 'failed', started_at = now(), finished_at = now() WHERE id = '\(job)'", "23514"),
        ("job progress range", "UPDATE reconciliation_jobs SET progress = 1.01 WHERE id = '\(job)'", "23514"),
        ("match confidence range", "INSERT INTO matches (job_id, project_id, confidence, match_type) VALUES ('\(job)', '\(project)', 1.01, 'exact')", "23514"),
        ("match type", "INSERT INTO matches (job_id, project_id, confidence, match_type) VALUES ('\(job)', '\(project)', 0.5, 'psychic')", "23514"),
        ("match review recorded", "UPDATE matches SET status = 'confirmed' WHERE id = '\(match)'", "23514"),
        ("match item side", "INSERT INTO match_items (match_id, job_id, record_id, side) SELECT '\(match)', '\(Self.job)', id, 'middle' FROM reconciliation_records LIMIT 1", "23514"),
        // References of the bulk tables, checked once per statement (migration 0005).
        ("record source exists", "INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency) VALUES ('\(project)', gen_random_uuid(), 'E9', '2026-01-03', 1, 'USD')", "23503"),
        ("record project exists", "INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency) VALUES (gen_random_uuid(), '\(bank)', 'E9', '2026-01-03', 1, 'USD')", "23503"),
        ("record upload exists", "INSERT INTO reconciliation_records (project_id, data_source_id, file_id, external_id, transaction_date, amount, currency) VALUES ('\(project)', '\(bank)', gen_random_uuid(), 'E9', '2026-01-03', 1, 'USD')", "23503"),
        ("record moved to a missing source", "UPDATE reconciliation_records SET data_source_id = gen_random_uuid()", "23503"),
        ("match job exists", "INSERT INTO matches (job_id, project_id, confidence, match_type) VALUES (gen_random_uuid(), '\(project)', 0.5, 'exact')", "23503"),
        ("match project is its job's", "INSERT INTO matches (job_id, project_id, confidence, match_type) VALUES ('\(job)', gen_random_uuid(), 0.5, 'exact')", "23503"),
        ("one live match per record", "INSERT INTO match_items (match_id, job_id, record_id, side) SELECT '\(match)', '\(Self.job)', id, 'left' FROM reconciliation_records LIMIT 1; INSERT INTO match_items (match_id, job_id, record_id, side) SELECT '\(match)', '\(Self.job)', id, 'right' FROM reconciliation_records LIMIT 1", "23505"),
        ("match item of its match's job", "INSERT INTO match_items (match_id, job_id, record_id, side) SELECT '\(match)', gen_random_uuid(), id, 'left' FROM reconciliation_records LIMIT 1", "23503"),
        ("match item record exists", "INSERT INTO match_items (match_id, job_id, record_id, side) VALUES ('\(match)', '\(Self.job)', 987654321, 'left')", "23503"),
        ("match item match exists", "INSERT INTO match_items (match_id, job_id, record_id, side) SELECT gen_random_uuid(), '\(Self.job)', id, 'left' FROM reconciliation_records LIMIT 1", "23503"),
        // A bulk write (over 10,000 items, a job's COPY) is checked by hash joins (migration 0010):
        // one bad item among many is still found.
        ("bulk items: one record missing", Self.bulkItems(badRecord: "987654321"), "23503"),
        ("bulk items: one match missing", Self.bulkItems(badMatch: "gen_random_uuid()"), "23503"),
        ("bulk items: one of another job", Self.bulkItems(badJob: "gen_random_uuid()"), "23503"),
        ("matched record cannot be deleted", "INSERT INTO match_items (match_id, job_id, record_id, side) SELECT '\(match)', '\(Self.job)', id, 'left' FROM reconciliation_records LIMIT 1; DELETE FROM reconciliation_records", "23503"),
        ("source with records cannot be deleted", "DELETE FROM data_sources WHERE id = '\(bank)'", "23503"),
        ("project with records cannot be deleted", "DELETE FROM project_members; DELETE FROM reconciliation_jobs; DELETE FROM projects", "23503"),
        ("audit log update refused", "UPDATE audit_logs SET action = 'forged'", "42501"),
        ("audit log delete refused", "DELETE FROM audit_logs", "42501"),
        ("audit log truncate refused", "TRUNCATE audit_logs", "42501"),
        ("job run kind", "INSERT INTO job_runs (job, kind, trigger) VALUES ('mine', 'mining', 'manual')", "23514"),
        ("job run finished has finish time", "INSERT INTO job_runs (job, kind, trigger, status, started_at) VALUES ('backup', 'backup', 'manual', 'succeeded', now())", "23514"),
        ("job name format", "INSERT INTO job_runs (job, trigger) VALUES ('Bad Name', 'manual')", "23514"),
        ("job progress range", "INSERT INTO job_runs (job, trigger, progress) VALUES ('x', 'api', 101)", "23514"),
        ("queued job has no start", "INSERT INTO job_runs (job, trigger, status, started_at) VALUES ('x', 'api', 'queued', now())", "23514"),
        ("backup success is complete", "INSERT INTO backups (kind, retention_class, status, finished_at) VALUES ('full', 'daily', 'succeeded', now())", "23514"),
        ("backup retention class", "INSERT INTO backups (kind, retention_class) VALUES ('full', 'forever')", "23514"),
    ]

    /// 10,001 records, then one statement inserting an item for each of them and one more
    /// whose record, match or job is `bad...` (SQL expressions).
    static func bulkItems(badRecord: String? = nil, badMatch: String? = nil, badJob: String? = nil) -> String {
        """
        INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency)
            SELECT '\(project)', '\(bank)', 'BULK' || g, '2026-01-03', g, 'USD' FROM generate_series(1, 10001) g;
        INSERT INTO match_items (match_id, job_id, record_id, side)
            SELECT '\(match)', '\(job)', id, 'left' FROM reconciliation_records WHERE external_id LIKE 'BULK%' AND external_id <> 'BULK1'
            UNION ALL SELECT \(badMatch ?? "'\(match)'::uuid"), \(badJob ?? "'\(job)'::uuid"),
                             \(badRecord ?? "(SELECT id FROM reconciliation_records WHERE external_id = 'BULK1')"), 'left'
        """
    }

    func inRolledBackTransaction(_ body: (PostgresConnection) throws -> Void) throws {
        let db = try Self.migrated.get()
        try db.pool().withConnection { c in
            try c.execute(unsafeSQL: "BEGIN")
            defer { try? c.execute(unsafeSQL: "ROLLBACK") }
            try c.execute(unsafeSQL: Self.fixtures)
            try body(c)
        }
    }

    @Test(arguments: violations)
    func ruleRejectsBadData(rule: String, sql: String, sqlState: String) throws {
        try inRolledBackTransaction { c in
            do {
                try c.execute(unsafeSQL: sql)
                Issue.record("\(rule): accepted")
            } catch let e as PostgresError {
                #expect(e.sqlState == sqlState, "\(rule): \(e.debugDescription)")
            }
        }
    }

    /// The bulk branch of the item check accepts a valid bulk write (so the violations above
    /// are refused for their bad item, not for their size).
    @Test func aValidBulkWriteOfItemsIsAccepted() throws {
        try inRolledBackTransaction { c in
            try c.execute(unsafeSQL: Self.bulkItems())
            #expect(try c.query("SELECT count(*) AS n FROM match_items").first!.decode("n", as: Int.self) == 10_001)
        }
    }

    @Test func deletingAJobOrAMatchCascadesToItsResults() throws {
        try inRolledBackTransaction { c in
            try c.execute(unsafeSQL: "INSERT INTO match_items (match_id, job_id, record_id, side) SELECT '\(Self.match)', '\(Self.job)', id, 'left' FROM reconciliation_records")
            #expect(try c.query("SELECT count(*) AS n FROM match_items").first!.decode("n", as: Int.self) == 1)
            try c.execute(unsafeSQL: "DELETE FROM reconciliation_jobs WHERE id = '\(Self.job)'")
            #expect(try c.query("SELECT (SELECT count(*) FROM matches) + (SELECT count(*) FROM match_items) AS n").first!.decode("n", as: Int.self) == 0)
            // With the results gone, the record may go (a hard delete no key would have refused).
            try c.execute(unsafeSQL: "DELETE FROM reconciliation_records")
            try c.execute(unsafeSQL: "SELECT integrity_check_all()")
        }
    }

    @Test func fixturesAndValidRowsAreAccepted() throws {
        try inRolledBackTransaction { c in
            try c.execute(unsafeSQL: """
                INSERT INTO prices (asset_id, date, open, high, low, close, volume, source)
                    SELECT id, '2026-01-05', 10, 12, 9, 11, 1000, 'fixture' FROM assets WHERE symbol = 'AAA';
                INSERT INTO fx_rates (base, quote, date, rate) VALUES ('USD', 'EUR', '2026-01-02', 0.912345678901);
                UPDATE reconciliation_jobs SET status = 'completed', started_at = now(), finished_at = now(), progress = 1 WHERE id = '\(Self.job)';
                UPDATE matches SET status = 'confirmed', reviewed_by = '\(Self.owner)', reviewed_at = now() WHERE id = '\(Self.match)';
                INSERT INTO match_items (match_id, job_id, record_id, side) SELECT '\(Self.match)', '\(Self.job)', id, 'left' FROM reconciliation_records;
                """)
            let rate = try c.query("SELECT rate FROM fx_rates").first!.decode("rate", as: Decimal.self)
            #expect(rate == Decimal(string: "0.912345678901"), "rates are exact")
        }
    }

    @Test func updatedAtTriggerAndSoftDeleteReuse() throws {
        try inRolledBackTransaction { c in
            let before = try c.query("SELECT updated_at FROM projects WHERE id = \(Self.project)::uuid").first!.decode("updated_at", as: Date.self)
            // An UPDATE that tries to set a stale updated_at: the trigger replaces it with now(),
            // the transaction's time, which is what the fixture insert recorded too.
            try c.query("UPDATE projects SET created_at = created_at - interval '1 day', updated_at = '2000-01-01' WHERE id = \(Self.project)::uuid")
            let after = try c.query("SELECT updated_at FROM projects WHERE id = \(Self.project)::uuid").first!.decode("updated_at", as: Date.self)
            #expect(after == before, "the trigger overrides a stale updated_at with the transaction time")
            try c.execute(unsafeSQL: "UPDATE users SET deleted_at = now() WHERE id = '\(Self.owner)'")
            try c.execute(unsafeSQL: "INSERT INTO users (email, email_key, password_hash) VALUES ('Owner@Example.com', 'owner@example.com', repeat('y', 60))")
        }
    }

    @Test func pricesRouteToYearlyPartitions() throws {
        try inRolledBackTransaction { c in
            try c.execute(unsafeSQL: """
                INSERT INTO prices (asset_id, date, close) SELECT id, '2031-06-30', 5 FROM assets WHERE symbol = 'AAA';
                INSERT INTO prices (asset_id, date, close) SELECT id, '1901-01-01', 5 FROM assets WHERE symbol = 'AAA';
                """)
            let rows = try c.query("SELECT tableoid::regclass::text AS part, date::text AS d FROM prices ORDER BY date")
            #expect(try rows.map { try $0.decode("part", as: String.self) } == ["prices_default", "prices_2026", "prices_2031"])
        }
    }

    /// Key reads use their indexes on realistic volumes (planner's own choice, no enable_* hints).
    @Test func keyReadsUseIndexes() throws {
        try inRolledBackTransaction { c in
            try c.execute(unsafeSQL: """
                INSERT INTO assets (symbol, name, asset_class, currency)
                    SELECT 'S' || g, 'Asset ' || g, 'equity', 'USD' FROM generate_series(1, 40) g;
                INSERT INTO prices (asset_id, date, close)
                    SELECT a.id, d::date, 100 FROM assets a, generate_series('2018-01-01'::date, '2025-12-31'::date, '1 day') d
                    WHERE a.symbol LIKE 'S%';
                INSERT INTO reconciliation_jobs (project_id, left_source_id, right_source_id, created_by, status, started_at, finished_at, created_at)
                    SELECT '\(Self.project)', '\(Self.bank)', '\(Self.ledger)', '\(Self.owner)',
                           CASE WHEN g % 50 = 0 THEN 'running' ELSE 'completed' END, now(), CASE WHEN g % 50 = 0 THEN NULL ELSE now() END,
                           now() - g * interval '1 minute'
                    FROM generate_series(1, 20000) g;
                INSERT INTO matches (job_id, project_id, confidence, match_type)
                    SELECT '\(Self.job)', '\(Self.project)', random(), 'fuzzy' FROM generate_series(1, 20000);
                INSERT INTO matches (job_id, project_id, confidence, match_type)
                    SELECT j.id, '\(Self.project)', random(), 'fuzzy' FROM reconciliation_jobs j, generate_series(1, 3) WHERE j.id <> '\(Self.job)';
                ANALYZE assets; ANALYZE prices; ANALYZE reconciliation_jobs; ANALYZE matches;
                """)
            func plan(_ sql: String) throws -> String {
                try c.query(PostgresQuery(unsafeSQL: "EXPLAIN " + sql)).map { try $0.decode("QUERY PLAN", as: String.self) }.joined(separator: "\n")
            }
            let prices = try plan("SELECT date, close FROM prices WHERE asset_id = (SELECT id FROM assets WHERE symbol = 'S7') AND date BETWEEN '2024-01-01' AND '2024-03-31'")
            #expect(prices.contains("Index") && prices.contains("prices_2024") && !prices.contains("prices_2023"), "\(prices)")
            let jobs = try plan("SELECT id FROM reconciliation_jobs WHERE project_id = '\(Self.project)' AND status = 'running'")
            #expect(jobs.contains("reconciliation_jobs_project_status_idx"), "\(jobs)")
            let matches = try plan("SELECT id, confidence FROM matches WHERE job_id = '\(Self.job)' ORDER BY confidence DESC LIMIT 50")
            #expect(matches.contains("matches_job_confidence_id_idx"), "\(matches)")
        }
    }
}
