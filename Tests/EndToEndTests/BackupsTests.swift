import Foundation
import Testing

/// Backups end to end: the real binary's `backup` and `restore` commands against real
/// PostgreSQL databases, and a local S3-compatible server (moto).
@Suite(.serialized) struct BackupsTests {
    static let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

    static func env(_ url: String, _ dir: String, _ extra: [String: String] = [:]) -> [String: String] {
        var e = ["DATABASE_URL": url, "BACKUP_ENCRYPTION_KEY": key, "BACKUP_DIR": dir, "MIGRATIONS_DIR": ServerProcess.repositoryRoot + "/migrations",
                 "LOG_LEVEL": "error"]
        e.merge(extra) { _, new in new }
        return e
    }

    static func cli(_ args: [String], _ env: [String: String]) throws -> (Int32, String) {
        try DatabaseTests.run(ServerProcess.binaryPath, args, env: env)
    }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "backups-" + UUID().uuidString.prefix(8)
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Realistic rows in every table of the schema.
    static let fixture = """
        INSERT INTO users (id, email, email_key, password_hash, role) VALUES
          ('00000000-0000-0000-0000-0000000000a1', 'ann@example.com', 'ann@example.com', repeat('h', 60), 'admin'),
          ('00000000-0000-0000-0000-0000000000b2', 'bob@example.com', 'bob@example.com', repeat('h', 60), 'user');
        INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at, ip, user_agent)
          VALUES ('00000000-0000-0000-0000-0000000000a1', repeat('a', 64), gen_random_uuid(), now() + interval '1 day', '10.0.0.1', 'curl/8 "quoted"\ttab');
        INSERT INTO assets (symbol, name, sector, asset_class, currency, market_cap) VALUES ('AAA', 'Alpha, Inc.', 'Tech', 'equity', 'USD', 1e12),
          ('^IDX', 'Index', NULL, 'index', 'USD', NULL);
        INSERT INTO prices (asset_id, date, open, high, low, close, volume, source)
          SELECT a.id, d::date, 10.5, 11, 10, 10.25 + (extract(doy FROM d) / 1000), 1000, 'test' FROM assets a,
                 generate_series(DATE '2019-12-20', DATE '2021-01-10', '1 day') d;
        INSERT INTO fx_rates (base, quote, date, rate) VALUES ('USD', 'EUR', '2020-01-02', 0.891234567891), ('USD', 'JPY', '2020-01-02', 108.5);
        INSERT INTO index_values (date, value, daily_return, strategy_version) VALUES ('2020-01-02', 100, NULL, 1), ('2020-01-03', 101.5, 0.015, 1);
        INSERT INTO allocations (date, asset_id, weight, strategy_version) SELECT '2020-01-03', id, 0.123456789012345, 1 FROM assets WHERE symbol = 'AAA';
        INSERT INTO risk_metrics (date, total_return, volatility, max_drawdown) VALUES ('2020-01-03', 0.015, 0.2, -0.1);
        INSERT INTO projects (id, owner_id, name, description, settings) VALUES
          ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', 'Books', E'multi\\nline', '{"currency": "EUR", "nested": {"a": [1, 2]}}');
        INSERT INTO project_members (project_id, user_id, role) VALUES ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', 'owner');
        INSERT INTO data_sources (id, project_id, name, source_system) VALUES
          ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000c1', 'Bank', 'bank'),
          ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000c1', 'Ledger', 'ledger');
        INSERT INTO uploaded_files (id, project_id, data_source_id, file_name, size_bytes, content_type, sha256, uploaded_by)
          VALUES ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000d1', 'a.csv', 10,
                  'text/csv', repeat('b', 64), '00000000-0000-0000-0000-0000000000a1');
        INSERT INTO reconciliation_records (project_id, data_source_id, file_id, external_id, transaction_date, amount, currency, reference, raw)
          SELECT '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000e1', 'E' || g,
                 DATE '2024-01-01' + g, g * 1.25, 'EUR', 'ref ' || g, jsonb_build_object('line', g) FROM generate_series(1, 50) g;
        INSERT INTO reconciliation_jobs (id, project_id, left_source_id, right_source_id, created_by) VALUES
          ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000d1',
           '00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a1');
        INSERT INTO matches (id, job_id, project_id, confidence, match_type, details) VALUES
          ('00000000-0000-0000-0000-000000000101', '00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000c1', 0.95, 'exact', '{"why": "amount"}');
        INSERT INTO match_items (match_id, job_id, record_id, side) SELECT '00000000-0000-0000-0000-000000000101', '00000000-0000-0000-0000-0000000000f1', min(id), 'left' FROM reconciliation_records;
        INSERT INTO reconciliation_duplicates (job_id, record_id, duplicate_of)
          SELECT '00000000-0000-0000-0000-0000000000f1', max(id), min(id) FROM reconciliation_records;
        INSERT INTO audit_logs (user_id, action, resource_type, resource_id, ip, new_values) VALUES
          ('00000000-0000-0000-0000-0000000000a1', 'project.created', 'project', 'c1', '::1', '{"name": "Books"}');
        INSERT INTO job_runs (job, kind, trigger, status, started_at, finished_at, stats) VALUES ('price_refresh', 'price_refresh', 'manual', 'succeeded', now(), now(), '{"rows": 3}');
        INSERT INTO backups (kind, retention_class, status) VALUES ('full', 'manual', 'failed');
        UPDATE backups SET finished_at = now(), error = 'an old failure';
        """

    /// A digest of each table's ordered contents.
    static func checksums(_ url: String) throws -> [String: String] {
        let tables = try DatabaseTests.psql(url, """
            SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'schema_migrations'
            """).split(separator: ",").map(String.init)
        var out: [String: String] = [:]
        for t in tables {
            out[t] = try DatabaseTests.psql(url, "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM \(t) x")
        }
        return out
    }

    static func newestBackup(_ dir: String) throws -> String {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".apibk") }.sorted()
        return dir + "/" + (files.last ?? "none")
    }

    @Test func roundTripRestoresEveryTableIdenticallyAndRefusesANonEmptyTarget() throws {
        let source = try DatabaseTests.freshDatabase(), target = try DatabaseTests.freshDatabase()
        let dir = Self.tempDir()
        #expect(try Self.cli(["migrate"], Self.env(source, dir)).0 == 0)
        _ = try DatabaseTests.psql(source, Self.fixture)
        let before = try Self.checksums(source)
        #expect(before.count >= 17 && before.values.allSatisfy { !$0.hasPrefix("0:") }, "every table has rows: \(before)")
        let (status, out) = try Self.cli(["backup"], Self.env(source, dir))
        #expect(status == 0, "\(out)")
        let file = try Self.newestBackup(dir)
        // The manifest beside the file lists every table of the migrated schema.
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file + ".manifest.json"))) as? [String: Any]
        let listed = Set((manifest?["tables"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        #expect(listed == Set(before.keys))
        let migrations = try FileManager.default.contentsOfDirectory(atPath: ServerProcess.repositoryRoot + "/migrations").filter { $0.hasSuffix(".sql") }.count
        #expect(manifest?["schema_version"] as? Int == migrations && (manifest?["file_sha256"] as? String)?.count == 64)
        // The file holds no plaintext.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(bytes.range(of: Data("ann@example.com".utf8)) == nil)
        #expect(try Self.cli(["backup", "verify", file], Self.env(source, dir)).0 == 0)
        // Restore into a fresh database: identical contents, and sequences continue after the restored ids.
        let (rs, rout) = try Self.cli(["restore", file, "--into", target], Self.env(source, dir))
        #expect(rs == 0, "\(rout)")
        // The backup's own job run and `backups` row were in the snapshot, running; a restore marks the row failed.
        var restored = try Self.checksums(target)
        #expect(try DatabaseTests.psql(target, "SELECT count(*) FROM backups WHERE status = 'running'") == "0")
        #expect(try DatabaseTests.psql(target, "SELECT count(*) FROM backups") == "2")
        #expect(try DatabaseTests.psql(target, "SELECT count(*) FROM job_runs WHERE job = 'backup'") == "1")
        for ownRun in ["backups", "job_runs"] { restored[ownRun] = before[ownRun] }
        #expect(restored == before)
        #expect(try DatabaseTests.psql(target, "INSERT INTO audit_logs (action, resource_type) VALUES ('x', 'y') RETURNING id > 1").hasPrefix("t"))
        // A target with data is refused unless --replace.
        let (again, aout) = try Self.cli(["restore", file, "--into", target], Self.env(source, dir))
        #expect(again != 0 && aout.contains("not empty"), "\(aout)")
        #expect(try Self.cli(["restore", file, "--into", target, "--replace"], Self.env(source, dir)).0 == 0)
        var replaced = try Self.checksums(target)
        for ownRun in ["backups", "job_runs"] { replaced[ownRun] = before[ownRun] }
        #expect(replaced == before)
    }

    /// Without a key a backup says what is missing and how to make one.
    @Test func aBackupWithoutAKeySaysHowToMakeOne() throws {
        let url = try DatabaseTests.freshDatabase()
        let dir = Self.tempDir()
        #expect(try Self.cli(["migrate"], Self.env(url, dir)).0 == 0)
        let (status, out) = try Self.cli(["backup"], Self.env(url, dir, ["BACKUP_ENCRYPTION_KEY": ""]))
        #expect(status != 0 && out.contains("BACKUP_ENCRYPTION_KEY") && out.contains("openssl rand -hex 32"), "\(out)")
    }

    @Test func damagedFilesAndWrongKeysAreRefusedBeforeAnyRowIsWritten() throws {
        let source = try DatabaseTests.freshDatabase()
        let dir = Self.tempDir()
        #expect(try Self.cli(["migrate"], Self.env(source, dir)).0 == 0)
        _ = try DatabaseTests.psql(source, Self.fixture)
        #expect(try Self.cli(["backup"], Self.env(source, dir)).0 == 0)
        let file = try Self.newestBackup(dir)
        let good = try Data(contentsOf: URL(fileURLWithPath: file))
        var tampered = good
        tampered[good.count / 2] ^= 0x20
        var swapped = good
        let chunk = 4 + (1 << 20) + 16
        if good.count > 36 + 2 * chunk {
            swapped.replaceSubrange(36..<(36 + chunk), with: good[(36 + chunk)..<(36 + 2 * chunk)])
            swapped.replaceSubrange((36 + chunk)..<(36 + 2 * chunk), with: good[36..<(36 + chunk)])
        } else {
            swapped = good.prefix(36) + good.suffix(from: 36).reversed()
        }
        let cases: [(String, Data, String)] = [("tampered", tampered, Self.key), ("truncated", good.prefix(good.count - 100), Self.key),
                                               ("swapped", swapped, Self.key), ("wrong key", good, String(repeating: "ab", count: 32))]
        for (name, data, key) in cases {
            let path = dir + "/\(name.replacingOccurrences(of: " ", with: "-")).apibk"
            try data.write(to: URL(fileURLWithPath: path))
            let target = try DatabaseTests.freshDatabase()
            let (s, out) = try Self.cli(["restore", path, "--into", target], Self.env(source, dir, ["BACKUP_ENCRYPTION_KEY": key]))
            #expect(s != 0, "\(name) accepted: \(out)")
            #expect(try DatabaseTests.psql(target, "SELECT to_regclass('users') IS NULL") == "t", "\(name): nothing created or loaded")
            let (vs, _) = try Self.cli(["backup", "verify", path], Self.env(source, dir, ["BACKUP_ENCRYPTION_KEY": key]))
            #expect(vs != 0, "\(name) verified")
        }
    }

    @Test func aBackupTakenDuringWritesIsOneConsistentSnapshot() throws {
        let source = try DatabaseTests.freshDatabase(), target = try DatabaseTests.freshDatabase()
        let dir = Self.tempDir()
        #expect(try Self.cli(["migrate"], Self.env(source, dir)).0 == 0)
        _ = try DatabaseTests.psql(source, Self.fixture)
        // Bulk so the backup takes a while; meanwhile a writer adds (project, owner) pairs, one transaction each.
        _ = try DatabaseTests.psql(source, """
            INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency)
            SELECT '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000d2', 'B' || g, DATE '2024-01-01', g, 'EUR'
            FROM generate_series(1, 200000) g
            """)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", """
            for i in $(seq 1 400); do psql '\(source)' -qtAc "BEGIN; WITH p AS (INSERT INTO projects (owner_id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', 'p$i') RETURNING id) INSERT INTO project_members (project_id, user_id, role) SELECT id, '00000000-0000-0000-0000-0000000000a1', 'owner' FROM p; COMMIT;" >/dev/null 2>&1; done
            """]
        try writer.run()
        usleep(200_000)
        let (status, out) = try Self.cli(["backup"], Self.env(source, dir))
        writer.terminate()
        writer.waitUntilExit()
        #expect(status == 0, "\(out)")
        #expect(try Self.cli(["restore", try Self.newestBackup(dir), "--into", target], Self.env(source, dir)).0 == 0)
        let projects = try DatabaseTests.psql(target, "SELECT count(*) FROM projects")
        let paired = try DatabaseTests.psql(target, "SELECT count(*) FROM projects p WHERE EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id)")
        #expect(projects == paired, "no project without its member: \(projects) vs \(paired)")
        #expect(Int(projects)! > 1, "some concurrent writes landed in the snapshot")
    }

    @Test func aKilledBackupLeavesNoCompleteLookingFileAndTheNextRunSucceeds() throws {
        let source = try DatabaseTests.freshDatabase()
        let dir = Self.tempDir()
        #expect(try Self.cli(["migrate"], Self.env(source, dir)).0 == 0)
        _ = try DatabaseTests.psql(source, Self.fixture)
        _ = try DatabaseTests.psql(source, """
            INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency, description)
            SELECT '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000d2', 'K' || g, DATE '2024-01-01', g, 'EUR', md5(g::text)
            FROM generate_series(1, 300000) g
            """)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath)
        p.arguments = ["backup"]
        p.environment = Self.env(source, dir).merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Kill it once it is writing the file.
        let deadline = Date().addingTimeInterval(20)
        func writing() -> Bool { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasSuffix(".partial") } }
        while Date() < deadline && !writing() { usleep(20_000) }
        usleep(200_000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(!left.contains { $0.hasSuffix(".apibk") }, "no complete-looking file: \(left)")
        let (status, out) = try Self.cli(["backup"], Self.env(source, dir))
        #expect(status == 0, "\(out)")
        #expect(try Self.cli(["backup", "verify", try Self.newestBackup(dir)], Self.env(source, dir)).0 == 0)
        // The killed run's row is closed as interrupted by the next run.
        #expect(try DatabaseTests.psql(source, "SELECT count(*) FROM backups WHERE status = 'running'") == "0")
        #expect(try DatabaseTests.psql(source, "SELECT count(*) FROM backups WHERE error LIKE 'interrupted%'") == "1")
    }

    @Test func offSiteCopiesUploadListRestoreAndPruneInS3() throws {
        guard let moto = try? MotoServer() else {
            Issue.record("moto_server is not installed (scripts/test installs it)")
            return
        }
        defer { moto.stop() }
        let source = try DatabaseTests.freshDatabase(), target = try DatabaseTests.freshDatabase()
        let dir = Self.tempDir()
        #expect(try Self.cli(["migrate"], Self.env(source, dir)).0 == 0)
        _ = try DatabaseTests.psql(source, Self.fixture)
        // Enough incompressible data for a file above one 5 MiB part: the upload is multipart.
        _ = try DatabaseTests.psql(source, """
            INSERT INTO reconciliation_records (project_id, data_source_id, external_id, transaction_date, amount, currency, description)
            SELECT '00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000d2', 'M' || g, DATE '2024-01-01', g, 'EUR',
                   md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text)
            FROM generate_series(1, 120000) g
            """)
        let s3 = ["BACKUP_S3_PART_SIZE_MB": "5", "BACKUP_S3_BUCKET": "backups", "BACKUP_S3_ENDPOINT": "http://127.0.0.1:\(moto.port)", "BACKUP_S3_ACCESS_KEY_ID": "test-key",
                  "BACKUP_S3_SECRET_ACCESS_KEY": "test-secret", "BACKUP_S3_PREFIX": "nightly/", "BACKUP_KEEP_DAILY": "1", "BACKUP_KEEP_WEEKLY": "0",
                  "BACKUP_KEEP_MONTHLY": "0", "BACKUP_KEEP_YEARLY": "0"]
        for _ in 0..<3 {
            let (status, out) = try Self.cli(["backup"], Self.env(source, dir, s3))
            #expect(status == 0, "\(out)")
        }
        // Retention (one daily backup) left one backup and its manifest in the bucket and locally.
        let listing = try moto.list("backups")
        #expect(listing.filter { $0.hasSuffix(".apibk") }.count == 1 && listing.filter { $0.hasSuffix(".manifest.json") }.count == 1, "\(listing)")
        #expect(listing.allSatisfy { $0.hasPrefix("nightly/") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".apibk") }.count == 1)
        let size = try FileManager.default.attributesOfItem(atPath: try Self.newestBackup(dir))[.size] as? Int ?? 0
        #expect(size > 5 << 20, "the backup (\(size) bytes) went up in several parts")
        #expect(try DatabaseTests.psql(source, "SELECT count(*) FROM backups WHERE status = 'expired'") == "2")
        let (ls, lout) = try Self.cli(["backup", "list"], Self.env(source, dir, s3))
        #expect(ls == 0 && lout.contains("s3://backups/nightly/"), "\(lout)")
        // Download and restore from the bucket.
        let key = try #require(listing.first { $0.hasSuffix(".apibk") })
        try FileManager.default.removeItem(atPath: dir + "/" + (key as NSString).lastPathComponent)
        let (rs, rout) = try Self.cli(["restore", "s3://backups/\(key)", "--into", target], Self.env(source, dir, s3))
        #expect(rs == 0, "\(rout)")
        let a = try Self.checksums(source), b = try Self.checksums(target)
        let ownRuns: Set<String> = ["backups", "audit_logs", "job_runs"]
        #expect(a.filter { !ownRuns.contains($0.key) } == b.filter { !ownRuns.contains($0.key) })
        // A dry run shows without deleting.
        let (ps, pout) = try Self.cli(["backup", "prune", "--dry-run"], Self.env(source, dir, s3))
        #expect(ps == 0 && pout.contains("would delete 0"), "\(pout)")
    }
}

/// moto's S3-compatible server on a free port, with a bucket.
final class MotoServer: @unchecked Sendable {
    let process = Process()
    let port: Int

    init() throws {
        guard let path = ["/usr/local/bin/moto_server", "/usr/bin/moto_server", NSHomeDirectory() + "/.local/bin/moto_server"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) ?? Self.which("moto_server") else { throw E2EError("no moto_server") }
        port = try DatabaseTests.freePort()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? DatabaseTests.run("/usr/bin/curl", ["-fs", "-X", "PUT", "http://127.0.0.1:\(port)/backups"]))?.0 == 0 { return }
            usleep(100_000)
        }
        kill(process.processIdentifier, SIGKILL)
        throw E2EError("moto_server did not start")
    }

    static func which(_ name: String) -> String? {
        guard let out = try? DatabaseTests.run("/bin/sh", ["-c", "command -v \(name)"]), out.0 == 0 else { return nil }
        let p = out.1.trimmingCharacters(in: .whitespacesAndNewlines)
        return p.isEmpty ? nil : p
    }

    func list(_ bucket: String) throws -> [String] {
        let (_, xml) = try DatabaseTests.run("/usr/bin/curl", ["-fs", "http://127.0.0.1:\(port)/\(bucket)?list-type=2"])
        var out: [String] = []
        var rest = Substring(xml)
        while let o = rest.range(of: "<Key>"), let c = rest.range(of: "</Key>", range: o.upperBound..<rest.endIndex) {
            out.append(String(rest[o.upperBound..<c.lowerBound]))
            rest = rest[c.upperBound...]
        }
        return out
    }

    /// moto's server ignores SIGTERM.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
