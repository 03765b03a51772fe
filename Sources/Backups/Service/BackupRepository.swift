import Foundation
import Postgres

/// The `backups` table: one row per run.
enum BackupRepository: StatementCatalog {
    struct Record: Encodable, Sendable {
        var id: String
        var status: String
        var startedAt: String
        var finishedAt: String?
        var location: String?
        var sizeBytes: Int?
        var sha256: String?
        var retentionClass: String
        var error: String?
        var startedDate: Date

        enum CodingKeys: String, CodingKey {
            case id, status, startedAt = "started_at", finishedAt = "finished_at", location, sizeBytes = "size_bytes", sha256
            case retentionClass = "retention_class", error
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(status, forKey: .status)
            try c.encode(startedAt, forKey: .startedAt)
            try c.encode(finishedAt, forKey: .finishedAt)
            try c.encode(location, forKey: .location)
            try c.encode(sizeBytes, forKey: .sizeBytes)
            try c.encode(sha256, forKey: .sha256)
            try c.encode(retentionClass, forKey: .retentionClass)
            try c.encode(error, forKey: .error)
        }
    }

    /// Rows of runs whose process ended before they finished (called under the backup job's
    /// lock, so no other backup is running).
    static let interrupted: PostgresQuery = """
        UPDATE backups SET status = 'failed', finished_at = now(), error = 'interrupted: its process ended before it finished'
        WHERE status = 'running'
        """

    static func start(retentionClass: String) -> PostgresQuery {
        "INSERT INTO backups (kind, retention_class) VALUES ('full', \(retentionClass)) RETURNING id"
    }

    static func succeeded(_ id: UUID, location: String, size: Int, sha256: String, tables: [String]) -> PostgresQuery {
        """
        UPDATE backups SET status = 'succeeded', finished_at = now(), location = \(location), size_bytes = \(size), sha256 = \(sha256),
            tables = \(tables)::text[] WHERE id = \(id)
        """
    }

    static func failed(_ id: UUID, error: String) -> PostgresQuery {
        "UPDATE backups SET status = 'failed', finished_at = now(), error = \(String(error.prefix(2000))) WHERE id = \(id)"
    }

    static func expired(_ id: UUID) -> PostgresQuery { "UPDATE backups SET status = 'expired' WHERE id = \(id) AND status = 'succeeded'" }

    static let list: PostgresQuery = """
        SELECT id, status, started_at, finished_at, location, size_bytes, sha256, retention_class, error
        FROM backups ORDER BY started_at DESC LIMIT 1000
        """

    static let lastSuccess: PostgresQuery = """
        SELECT extract(epoch FROM max(finished_at))::float8 AS t FROM backups WHERE status IN ('succeeded', 'expired')
        """

    static let lastStatus: PostgresQuery = "SELECT status FROM backups WHERE status IN ('succeeded', 'failed') ORDER BY started_at DESC LIMIT 1"

    static func decode(_ row: PostgresRow) throws -> Record {
        let started: Date = try row.decode("started_at")
        return Record(id: try row.decode("id", as: UUID.self).uuidString.lowercased(), status: try row.decode("status"),
                      startedAt: BackupNames.iso(started), finishedAt: try row.decode("finished_at", as: Date?.self).map(BackupNames.iso),
                      location: try row.decode("location"), sizeBytes: try row.decode("size_bytes"), sha256: try row.decode("sha256"),
                      retentionClass: try row.decode("retention_class"), error: try row.decode("error"), startedDate: started)
    }

    static var statements: [PostgresQuery] {
        let id = UUID()
        return [interrupted, start(retentionClass: "daily"), succeeded(id, location: "x", size: 1, sha256: String(repeating: "a", count: 64), tables: ["t"]),
                failed(id, error: "x"), expired(id), list, lastStatus, lastSuccess]
    }
}
