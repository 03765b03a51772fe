import Foundation
import Postgres

struct UploadRecord: Sendable {
    var id: UUID
    var sourceID: UUID
    var fileName: String
    var sizeBytes: Int64
    var contentType: String
    var sha256: String
    var rowCount: Int
    var uploadedBy: UUID
    var createdAt: String

    static func decode(_ row: PostgresRow) throws -> UploadRecord {
        UploadRecord(id: try row.decode("id"), sourceID: try row.decode("data_source_id"), fileName: try row.decode("file_name"),
                     sizeBytes: Int64(try row.decode("size_bytes", as: Int.self)), contentType: try row.decode("content_type"),
                     sha256: try row.decode("sha256"), rowCount: try row.decode("row_count"), uploadedBy: try row.decode("uploaded_by"),
                     createdAt: try row.decode("created_at"))
    }
}

/// uploaded_files and the records they bring, staged with COPY in a temporary table of the
/// upload's own transaction, checked, then moved into reconciliation_records in one statement.
enum UploadRepository: StatementCatalog {
    static let sessionSetup = [
        """
        CREATE TEMP TABLE IF NOT EXISTS upload_staging (line integer NOT NULL, external_id text NOT NULL, transaction_date date NOT NULL,
            amount numeric(20, 4) NOT NULL, currency text NOT NULL, reference text, description text, counterparty text) ON COMMIT DELETE ROWS
        """,
    ]

    /// The COPY stays open while the file streams in, as long as the client takes to send it:
    /// the pool's statement timeout (seconds) would cut a large upload off, so the upload's
    /// own transaction allows as long as its route does.
    static func prepareSession(_ tx: Transaction, timeoutMs: Int) throws {
        try tx.query("SET LOCAL client_min_messages = warning")
        try tx.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = \(max(0, timeoutMs))"))
        for sql in sessionSetup { try tx.query(PostgresQuery(unsafeSQL: sql)) }
    }

    /// Straight into the records, file order giving the ids (no staging, no move).
    static let copyRecords = """
        COPY reconciliation_records (project_id, data_source_id, file_id, external_id, transaction_date, amount, currency, reference, description,
                                     counterparty) FROM STDIN
        """

    static let copyStaging = "COPY upload_staging (line, external_id, transaction_date, amount, currency, reference, description, counterparty) FROM STDIN"

    static let columns = """
        f.id, f.data_source_id, f.file_name, f.size_bytes, f.content_type, f.sha256, coalesce(f.row_count, 0) AS row_count, f.uploaded_by,
        \(SQLTime.iso("f.created_at")) AS created_at
        """

    static func sameContent(source: UUID, sha256: String) -> PostgresQuery {
        "SELECT \(unsafeSQL: columns) FROM uploaded_files f WHERE f.data_source_id = \(source) AND f.sha256 = \(sha256) AND f.deleted_at IS NULL"
    }

    static func list(source: UUID, limit: Int) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: columns) FROM uploaded_files f WHERE f.data_source_id = \(source) AND f.deleted_at IS NULL
        ORDER BY f.created_at DESC, f.id DESC LIMIT \(limit)
        """
    }

    /// Which of `ids` the source already holds (live), with the upload each came from.
    static func existingIDs(source: UUID, among ids: [String], limit: Int) -> PostgresQuery {
        """
        SELECT r.external_id, r.file_id FROM reconciliation_records r
        WHERE r.data_source_id = \(source) AND r.deleted_at IS NULL AND r.external_id = ANY(\(ids)::text[]) LIMIT \(limit)
        """
    }

    /// A direct upload's file row goes in first, as 'processing' (its records are checked
    /// against it at the end of their COPY), and is completed once the file has been read.
    static func insertFile(id: UUID, project: UUID, source: UUID, fileName: String, size: Int64, contentType: String, sha256: String,
                           rows: Int, by user: UUID, status: String) -> PostgresQuery {
        """
        INSERT INTO uploaded_files AS f (id, project_id, data_source_id, file_name, size_bytes, content_type, sha256, status, row_count, uploaded_by)
        VALUES (\(id), \(project), \(source), \(fileName), \(size), \(contentType), \(sha256), \(status), \(rows), \(user))
        """
    }

    static func completeFile(_ id: UUID, fileName: String, size: Int64, contentType: String, sha256: String, rows: Int) -> PostgresQuery {
        """
        UPDATE uploaded_files AS f SET file_name = \(fileName), size_bytes = \(size), content_type = \(contentType), sha256 = \(sha256),
               row_count = \(rows), status = 'processed', updated_at = now()
        WHERE f.id = \(id) RETURNING \(unsafeSQL: columns)
        """
    }

    static func moveStaged(project: UUID, source: UUID, file: UUID) -> PostgresQuery {
        """
        INSERT INTO reconciliation_records (project_id, data_source_id, file_id, external_id, transaction_date, amount, currency, reference,
                                            description, counterparty)
        SELECT \(project), \(source), \(file), external_id, transaction_date, amount, currency, reference, description, counterparty
        FROM upload_staging ORDER BY line
        """
    }

    /// A replaced upload: it and its records are soft-deleted (matches keep pointing at them).
    static func retireRecords(file: UUID) -> PostgresQuery {
        "UPDATE reconciliation_records SET deleted_at = now(), updated_at = now() WHERE file_id = \(file) AND deleted_at IS NULL"
    }

    static func retireFile(_ file: UUID) -> PostgresQuery {
        "UPDATE uploaded_files SET deleted_at = now(), updated_at = now() WHERE id = \(file) AND deleted_at IS NULL"
    }

    static func retireSourceRecords(source: UUID) -> PostgresQuery {
        "UPDATE reconciliation_records SET deleted_at = now(), updated_at = now() WHERE data_source_id = \(source) AND deleted_at IS NULL"
    }

    static var statements: [PostgresQuery] {
        let id = UUID()
        return [sameContent(source: id, sha256: "x"), list(source: id, limit: 1), existingIDs(source: id, among: ["a"], limit: 1),
                insertFile(id: id, project: id, source: id, fileName: "f", size: 1, contentType: "text/csv", sha256: "x", rows: 1, by: id, status: "processing"),
                completeFile(id, fileName: "f", size: 1, contentType: "text/csv", sha256: "x", rows: 1),
                moveStaged(project: id, source: id, file: id), retireRecords(file: id), retireFile(id), retireSourceRecords(source: id)]
    }
}
