import SystemSupport
import Glibc
import Crypto

/// One file of `migrations/`: `NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file's bytes, hex.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hex(Array(sql.utf8))
    }

    public var fileName: String { String(repeating: "0", count: max(0, 4 - String(version).count)) + "\(version)_\(name).sql" }

    /// Reads every `NNNN_name.sql` in `directory`, in version order. Other files are ignored;
    /// a malformed `.sql` name or a duplicate version is an error.
    public static func load(directory: String) throws -> [Migration] {
        guard let dir = opendir(directory) else {
            throw PostgresError(.migration, "cannot open migrations directory \(directory)")
        }
        defer { closedir(dir) }
        var found: [Migration] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasSuffix(".sql") else { continue }
            let stem = name.dropLast(4)
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]), version > 0, !parts[1].isEmpty,
                  parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw PostgresError(.migration, "migration file \(name) is not named NNNN_name.sql")
            }
            guard let bytes = Files.read(directory + "/" + name) else { throw PostgresError(.migration, "cannot read \(name)") }
            let sql = String(decoding: bytes, as: UTF8.self)
            if found.contains(where: { $0.version == version }) {
                throw PostgresError(.migration, "two migration files have version \(version)")
            }
            found.append(Migration(version: version, name: String(parts[1]), sql: sql))
        }
        return found.sorted { $0.version < $1.version }
    }
}

public struct MigrationState: Sendable, Equatable {
    public enum State: String, Sendable { case applied, pending, edited, missingFile = "missing file" }
    public let version: Int
    public let name: String
    public let state: State
    public let appliedAt: String?
}

/// Applies migrations in order, each in its own transaction, under a PostgreSQL advisory lock
/// so that several instances starting at once apply each migration exactly once. Refuses to run
/// when an applied migration was edited (checksum) or removed. Migration files must not contain
/// transaction control (or CREATE INDEX CONCURRENTLY), since each runs inside a transaction.
public struct Migrator: Sendable {
    public let pool: ConnectionPool
    public let migrations: [Migration]
    /// Arbitrary but fixed: the key of the advisory lock that serializes migrators.
    static let lockKey = 7_234_001_455

    public init(pool: ConnectionPool, migrations: [Migration]) {
        self.pool = pool
        self.migrations = migrations
    }

    public func status() throws -> [MigrationState] {
        try pool.withConnection { c in try states(try applied(c)) }
    }

    /// True when every file is applied unchanged and nothing applied is missing.
    public func isCurrent() throws -> Bool { try status().allSatisfy { $0.state == .applied } }

    /// Applies what is pending; returns what was applied now. `onApplied` reports each one.
    @discardableResult
    public func migrate(onApplied: (Migration, Int) -> Void = { _, _ in }) throws -> [Migration] {
        try pool.withConnection { c in
            try c.query("SELECT pg_advisory_lock(\(Self.lockKey))")
            defer { _ = try? c.query("SELECT pg_advisory_unlock(\(Self.lockKey))") }
            // Created when missing, asked first (under the lock): IF NOT EXISTS would log a
            // NOTICE at every start.
            let present = try c.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present").first!.decode("present", as: Bool.self)
            if !present { try c.execute(unsafeSQL: """
                CREATE TABLE schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    duration_ms integer NOT NULL
                )
                """) }
            let current = try states(try applied(c))
            if let bad = current.first(where: { $0.state == .edited || $0.state == .missingFile }) {
                throw PostgresError(.migration, bad.state == .edited
                    ? "migration \(bad.version) (\(bad.name)) was edited after it was applied; add a new migration instead"
                    : "migration \(bad.version) (\(bad.name)) is applied but its file is missing")
            }
            let pendingVersions = Set(current.filter { $0.state == .pending }.map(\.version))
            var done: [Migration] = []
            for m in migrations where pendingVersions.contains(m.version) {
                let start = MonotonicClock.milliseconds()
                let ms: Int
                do {
                    ms = try pool.runTransaction(on: c, isolation: .readCommitted) { tx in
                        try tx.connection.execute(unsafeSQL: "SET LOCAL statement_timeout = 0")
                        try tx.connection.execute(unsafeSQL: m.sql)
                        let ms = Int(MonotonicClock.milliseconds() - start)
                        try tx.query(Self.record(m, durationMs: ms))
                        return ms
                    }
                } catch var e as PostgresError {
                    e.message = "migration \(m.fileName) failed: \(e.message)"
                    throw e
                }
                onApplied(m, ms)
                done.append(m)
            }
            return done
        }
    }

    private func applied(_ c: PostgresConnection) throws -> [(Int, String, String, String)] {
        let exists = try c.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present").first!.decode("present", as: Bool.self)
        guard exists else { return [] }
        return try c.query(Self.appliedQuery).map {
            (try $0.decode("version", as: Int.self), try $0.decode("name", as: String.self),
             try $0.decode("checksum", as: String.self), try $0.decode("at", as: String.self))
        }
    }

    static func record(_ m: Migration, durationMs: Int) -> PostgresQuery {
        "INSERT INTO schema_migrations (version, name, checksum, duration_ms) VALUES (\(m.version), \(m.name), \(m.checksum), \(durationMs))"
    }

    static let appliedQuery: PostgresQuery = "SELECT version, name, checksum, applied_at::text AS at FROM schema_migrations ORDER BY version"

    private func states(_ applied: [(Int, String, String, String)]) throws -> [MigrationState] {
        var out: [MigrationState] = []
        for (version, name, checksum, at) in applied {
            guard let file = migrations.first(where: { $0.version == version }) else {
                out.append(MigrationState(version: version, name: name, state: .missingFile, appliedAt: at))
                continue
            }
            out.append(MigrationState(version: version, name: name, state: file.checksum == checksum ? .applied : .edited, appliedAt: at))
        }
        for m in migrations where !applied.contains(where: { $0.0 == m.version }) {
            out.append(MigrationState(version: m.version, name: m.name, state: .pending, appliedAt: nil))
        }
        return out.sorted { $0.version < $1.version }
    }
}

extension Migrator: StatementCatalog {
    public static var statements: [PostgresQuery] {
        [record(Migration(version: 1, name: "sample", sql: ""), durationMs: 0), appliedQuery]
    }
}
