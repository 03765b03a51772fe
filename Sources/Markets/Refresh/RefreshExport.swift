import Crypto
import Foundation
import Postgres
import SystemSupport

/// Before a refresh's transaction, the rows it can change are exported to a gzip file with a
/// manifest beside it (tables, row counts, SHA-256 of each table's rows and of the file), so an
/// operator can put them back with `apiserver restore FILE`. The last `keep` exports are kept.
///
/// File format (inside gzip): for each table a line `@table NAME` followed by its rows in
/// PostgreSQL COPY text format. No COPY row starts with `@` (every first column is a number or
/// a date).
public enum RefreshExport {
    public struct Manifest: Codable, Sendable, Equatable {
        public struct Table: Codable, Sendable, Equatable {
            public var name: String
            public var rows: Int
            public var sha256: String
        }
        public var format = "apiserver-refresh-export"
        public var version = 1
        public var createdAt: String
        /// Prices on or after this date were exported (nil: all prices).
        public var pricesFrom: String?
        public var tables: [Table]
        public var fileSHA256: String

        /// True when every table was empty: the export written before a database's first refresh.
        /// Putting it back deletes all market data.
        public var isEmptyState: Bool { tables.allSatisfy { $0.rows == 0 } }

        enum CodingKeys: String, CodingKey {
            case format, version, createdAt = "created_at", pricesFrom = "prices_from", tables, fileSHA256 = "file_sha256"
        }
    }

    /// What putting an export back would change: per table, the rows it would remove now (those
    /// in its range) and the rows it would write.
    public struct Plan: Sendable, CustomStringConvertible {
        public struct Change: Sendable {
            public var table: String
            public var rowsNow: Int
            public var rowsInExport: Int
        }
        public var manifest: Manifest
        public var changes: [Change]

        /// Rows that exist now and would be removed or overwritten.
        public var removesRows: Bool { changes.contains { $0.rowsNow > 0 } }

        public var description: String {
            var out = "refresh export of \(manifest.createdAt)" + (manifest.pricesFrom.map { " (prices from \($0))" } ?? " (all prices)")
            if manifest.isEmptyState { out += ", written before the first refresh: it records an EMPTY database" }
            out += "\n"
            for c in changes { out += "  \(c.table): \(c.rowsNow) rows now -> \(c.rowsInExport) rows from the export\n" }
            return out
        }
    }

    /// Reads and verifies an export and counts what restoring it would change; changes nothing.
    public static func plan(path: String, pool: ConnectionPool) throws -> Plan {
        let (manifest, _) = try read(path: path)
        let from = manifest.pricesFrom.flatMap { Day(iso: $0) }
        let counts = try pool.transaction { tx in
            try tx.query("""
                SELECT (SELECT count(*) FROM prices WHERE \(from)::date IS NULL OR date >= \(from)::date) AS prices,
                       (SELECT count(*) FROM fx_rates WHERE \(from)::date IS NULL OR date >= \(from)::date) AS fx_rates,
                       (SELECT count(*) FROM assets) AS assets,
                       (SELECT count(*) FROM index_values) AS index_values, (SELECT count(*) FROM allocations) AS allocations,
                       (SELECT count(*) FROM risk_metrics) AS risk_metrics
                """).first!
        }
        let present = Set(manifest.tables.map(\.name))
        let changes = try tables.filter { present.contains($0.name) }.map { t in
            Plan.Change(table: t.name, rowsNow: try counts.decode(t.name, as: Int.self),
                        rowsInExport: manifest.tables.first { $0.name == t.name }?.rows ?? 0)
        }
        return Plan(manifest: manifest, changes: changes)
    }

    /// Tables, with the columns exported and restored (timestamps included, so a restore gives
    /// identical rows).
    /// Assets come first: prices and allocations refer to them. FX rates, like prices, from
    /// `pricesFrom` on. An export written before these two were added lacks their sections, and
    /// its restore leaves them as they are.
    static let tables: [(name: String, columns: String)] = [
        ("assets", "id, symbol, name, sector, asset_class, currency, is_benchmark, created_at, updated_at, deleted_at, market_cap"),
        ("prices", "asset_id, date, open, high, low, close, volume, source, created_at, updated_at"),
        ("fx_rates", "base, quote, date, rate, source, created_at, updated_at"),
        ("index_values", "date, value, daily_return, strategy_version, created_at, updated_at"),
        ("allocations", "date, asset_id, weight, strategy_version, created_at, updated_at"),
        ("risk_metrics", """
            date, volatility_30d, volatility_1y, sharpe_ratio, max_drawdown, var_95, beta, created_at, updated_at, total_return, \
            annualized_return, volatility, sortino, current_drawdown, var_99, correlation, strategy_version
            """),
    ]

    static func select(_ table: String, columns: String, pricesFrom: Day?) -> PostgresQuery {
        let cols = columns.split(separator: ",").map { "\($0.trimmingCharacters(in: .whitespaces))::text" }.joined(separator: ", ")
        if table == "prices" {
            return "SELECT \(unsafeSQL: cols) FROM prices WHERE \(pricesFrom)::date IS NULL OR date >= \(pricesFrom)::date ORDER BY asset_id, date"
        }
        if table == "fx_rates" {
            return "SELECT \(unsafeSQL: cols) FROM fx_rates WHERE \(pricesFrom)::date IS NULL OR date >= \(pricesFrom)::date ORDER BY base, quote, date"
        }
        return "SELECT \(unsafeSQL: cols) FROM \(unsafeSQL: table) ORDER BY 1, 2"
    }

    /// Writes the export; returns its path and manifest.
    public static func write(pool: ConnectionPool, pricesFrom: Day?, directory: String, keep: Int, now: Date = Date()) throws
        -> (path: String, manifest: Manifest) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var plain: [UInt8] = []
        var tableEntries: [Manifest.Table] = []
        try pool.transaction(isolation: .repeatableRead) { tx in
            for t in tables {
                let rows = try tx.query(select(t.name, columns: t.columns, pricesFrom: pricesFrom))
                var section: [UInt8] = []
                for row in rows {
                    section += PostgresCopy.line(try rows.columns.map { try row.decode($0, as: String?.self) })
                }
                plain += Array("@table \(t.name)\n".utf8)
                plain += section
                tableEntries.append(.init(name: t.name, rows: rows.count, sha256: SHA256.hex(section)))
            }
        }
        guard let compressed = Gzip.compress(plain) else { throw ExportError("cannot compress the refresh export") }
        let stamp = Self.stamp(now)
        let path = "\(directory)/refresh-\(stamp).tsv.gz"
        let manifest = Manifest(createdAt: ISO8601DateFormatter().string(from: now), pricesFrom: pricesFrom?.description,
                                tables: tableEntries, fileSHA256: SHA256.hex(compressed))
        try SyncedFile.writeAtomically(compressed, to: path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SyncedFile.writeAtomically(Array(try encoder.encode(manifest)), to: manifestPath(for: path))
        try prune(directory: directory, keep: keep)
        return (path, manifest)
    }

    static func stamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return f.string(from: date)
    }

    public static func manifestPath(for path: String) -> String {
        (path.hasSuffix(".tsv.gz") ? String(path.dropLast(7)) : path) + ".manifest.json"
    }

    /// Keeps the newest `keep` exports (names sort by time).
    static func prune(directory: String, keep: Int) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("refresh-") && $0.hasSuffix(".tsv.gz") }.sorted()
        for name in names.dropLast(max(0, keep)) {
            let path = "\(directory)/\(name)"
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: manifestPath(for: path))
        }
    }

    /// Reads and verifies an export: the file's SHA-256, each table's row count and SHA-256.
    public static func read(path: String) throws -> (manifest: Manifest, sections: [String: [UInt8]]) {
        guard let manifestData = FileManager.default.contents(atPath: manifestPath(for: path)) else {
            throw ExportError("no manifest beside \(path) (expected \(manifestPath(for: path)))")
        }
        let manifest = try JSONDecoder().decode(Manifest.self, from: manifestData)
        guard manifest.format == "apiserver-refresh-export", manifest.version == 1 else { throw ExportError("\(path) is not a refresh export this version can read") }
        guard let compressed = FileManager.default.contents(atPath: path).map(Array.init) else { throw ExportError("cannot read \(path)") }
        guard SHA256.hex(compressed) == manifest.fileSHA256 else { throw ExportError("\(path): SHA-256 differs from its manifest (damaged file)") }
        let plain = try Gzip.decompress(compressed, maxOutput: 4 << 30)
        var sections: [String: [UInt8]] = [:]
        var current: String?
        var start = 0
        var i = 0
        func close(_ end: Int) { if let current { sections[current] = Array(plain[start..<end]) } }
        while i < plain.count {
            var j = i
            while j < plain.count && plain[j] != 0x0A { j += 1 }
            if plain[i] == UInt8(ascii: "@") {
                close(i)
                let header = String(decoding: plain[i..<j], as: UTF8.self)
                guard header.hasPrefix("@table ") else { throw ExportError("\(path): unexpected line \(header)") }
                current = String(header.dropFirst(7))
                start = j + 1
            }
            i = j + 1
        }
        close(plain.count)
        for t in manifest.tables {
            guard let section = sections[t.name] else { throw ExportError("\(path): table \(t.name) missing") }
            let rows = section.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            guard rows == t.rows, SHA256.hex(section) == t.sha256 else { throw ExportError("\(path): table \(t.name) does not match its manifest") }
        }
        guard Set(manifest.tables.map(\.name)) == Set(tables.map(\.name)) else { throw ExportError("\(path): unexpected set of tables") }
        return (manifest, sections)
    }

    /// Puts an export back in one transaction: the exported prices range and the derived tables
    /// become exactly what they were when the export was written.
    /// Puts an export back in one transaction. Without `replace` it refuses (changing nothing)
    /// when rows exist that it would remove or overwrite; `plan` says which.
    public static func restore(path: String, pool: ConnectionPool, replace: Bool) throws -> Manifest {
        let plan = try plan(path: path, pool: pool)
        guard replace || !plan.removesRows else {
            throw ExportError("\(plan)it would remove or overwrite the rows above; nothing was changed. Run again with --replace to restore it")
        }
        let (manifest, sections) = try read(path: path)
        let from = manifest.pricesFrom.flatMap { Day(iso: $0) }
        let present = Set(manifest.tables.map(\.name))
        try pool.transaction { tx in
            try tx.query("DELETE FROM allocations")
            try tx.query("DELETE FROM index_values")
            try tx.query("DELETE FROM risk_metrics")
            try tx.query("DELETE FROM prices WHERE \(from)::date IS NULL OR date >= \(from)::date")
            if present.contains("fx_rates") { try tx.query("DELETE FROM fx_rates WHERE \(from)::date IS NULL OR date >= \(from)::date") }
            for t in tables where present.contains(t.name) {
                let lines = splitLines(sections[t.name] ?? [])
                if t.name == "assets" {
                    try restoreAssets(tx, columns: t.columns, lines)
                } else {
                    try tx.copyIn(unsafeSQL: "COPY \(t.name) (\(t.columns)) FROM STDIN", rows: lines)
                }
            }
            // Every instance drops its market cache once this commits.
            try tx.query("SELECT pg_notify(\(RefreshService.channel), \(#"{"restored":true}"#))")
        }
        return manifest
    }

    /// Assets are put back in place, never deleted (prices of every date refer to them): an
    /// exported asset whose row differs now is written back over it (its updated_at then says
    /// when the restore did it), one missing is inserted with its id, and an asset added since
    /// the export stays.
    static func restoreAssets(_ tx: Transaction, columns: String, _ lines: [[UInt8]]) throws {
        try tx.query(PostgresQuery(unsafeSQL: "CREATE TEMP TABLE restore_assets (LIKE assets) ON COMMIT DROP"))
        try tx.copyIn(unsafeSQL: "COPY restore_assets (\(columns)) FROM STDIN", rows: lines)
        let assignments = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 != "id" }
            .map { "\($0) = r.\($0)" }.joined(separator: ", ")
        let differs = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .map { "a.\($0) IS DISTINCT FROM r.\($0)" }.joined(separator: " OR ")
        try tx.query(PostgresQuery(unsafeSQL: "UPDATE assets a SET \(assignments) FROM restore_assets r WHERE a.id = r.id AND (\(differs))"))
        try tx.query(PostgresQuery(unsafeSQL: """
            INSERT INTO assets (\(columns)) OVERRIDING SYSTEM VALUE
            SELECT \(columns) FROM restore_assets r WHERE NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = r.id)
            """))
    }

    static func splitLines(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            out.append(Array(bytes[start...i]))
            start = i + 1
        }
        return out
    }
}

/// A refresh export that cannot be written, read or verified.
public struct ExportError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
