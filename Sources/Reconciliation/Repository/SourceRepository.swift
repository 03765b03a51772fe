import Foundation
import Postgres

/// A data source as stored: settings hold its mapping and options.
struct SourceRecord: Sendable {
    var id: UUID
    var projectID: UUID
    var name: String
    var kind: String
    var settings: String
    var recordCount: Int
    var uploadCount: Int
    var createdAt: String
    var updatedAt: String

    static func decode(_ row: PostgresRow) throws -> SourceRecord {
        SourceRecord(id: try row.decode("id"), projectID: try row.decode("project_id"), name: try row.decode("name"), kind: try row.decode("kind"),
                     settings: try row.decode("settings"), recordCount: try row.decode("record_count"), uploadCount: try row.decode("upload_count"),
                     createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }
}

/// Timestamps leave the database as ISO 8601 text in UTC with milliseconds.
enum SQLTime {
    static func iso(_ column: String) -> String { "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')" }
}

/// data_sources, always within one project; deleted sources are never returned.
enum SourceRepository: StatementCatalog {
    static let columns = """
        s.id, s.project_id, s.name, s.source_system AS kind, s.settings::text AS settings,
        (SELECT count(*) FROM reconciliation_records r WHERE r.data_source_id = s.id AND r.deleted_at IS NULL)::int AS record_count,
        (SELECT count(*) FROM uploaded_files f WHERE f.data_source_id = s.id AND f.deleted_at IS NULL)::int AS upload_count,
        \(SQLTime.iso("s.created_at")) AS created_at, \(SQLTime.iso("s.updated_at")) AS updated_at
        """

    static func insert(project: UUID, name: String, kind: String, settings: String) -> PostgresQuery {
        """
        WITH s AS (INSERT INTO data_sources (project_id, name, source_system, settings) VALUES (\(project), \(name), \(kind), \(settings)::jsonb) RETURNING *)
        SELECT \(unsafeSQL: columns) FROM s
        """
    }

    static func find(project: UUID, id: UUID, forUpdate: Bool = false) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: columns) FROM data_sources s
        WHERE s.id = \(id) AND s.project_id = \(project) AND s.deleted_at IS NULL\(unsafeSQL: forUpdate ? " FOR UPDATE OF s" : "")
        """
    }

    static func page(project: UUID, after: (String, UUID)?, limit: Int) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: columns), s.created_at::text AS cursor_text FROM data_sources s
        WHERE s.project_id = \(project) AND s.deleted_at IS NULL
          AND (\(after?.0)::timestamptz IS NULL OR (s.created_at, s.id) > (\(after?.0)::timestamptz, \(after?.1)))
        ORDER BY s.created_at, s.id LIMIT \(limit)
        """
    }

    static func update(_ id: UUID, name: String?, kind: String?, settings: String?) -> PostgresQuery {
        """
        UPDATE data_sources SET name = coalesce(\(name), name), source_system = coalesce(\(kind), source_system),
               settings = coalesce(\(settings)::jsonb, settings), updated_at = now()
        WHERE id = \(id)
        """
    }

    static func softDelete(_ id: UUID) -> PostgresQuery {
        "UPDATE data_sources SET deleted_at = now(), is_active = false, updated_at = now() WHERE id = \(id) AND deleted_at IS NULL"
    }

    static var statements: [PostgresQuery] {
        let id = UUID()
        return [insert(project: id, name: "n", kind: "bank", settings: "{}"), find(project: id, id: id, forUpdate: true),
                page(project: id, after: ("2024-01-01", id), limit: 1), update(id, name: "n", kind: nil, settings: "{}"), softDelete(id)]
    }
}
