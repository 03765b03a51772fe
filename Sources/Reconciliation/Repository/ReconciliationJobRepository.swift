import Foundation
import Postgres

/// A reconciliation job with the state of the queue run that executes it.
struct ReconciliationJobRecord: Sendable {
    var id: UUID
    var projectID: UUID
    var name: String
    var leftSourceID: UUID
    var rightSourceID: UUID
    var threshold: Double
    var rules: String
    var status: String
    var progress: Int
    var progressMessage: String?
    var totalRecords: Int?
    var processedRecords: Int
    var stats: String
    /// The estimated matching model (ModelReport JSON), once the job completed.
    var model: String?
    var error: String?
    var runID: Int64?
    var createdBy: UUID
    var createdAt: String
    var startedAt: String?
    var finishedAt: String?

    static func decode(_ row: PostgresRow) throws -> ReconciliationJobRecord {
        ReconciliationJobRecord(
            id: try row.decode("id"), projectID: try row.decode("project_id"), name: try row.decode("name"),
            leftSourceID: try row.decode("left_source_id"), rightSourceID: try row.decode("right_source_id"),
            threshold: try row.decode("confidence_threshold"), rules: try row.decode("rules"), status: try row.decode("effective_status"),
            progress: try row.decode("effective_progress"), progressMessage: try row.decode("progress_message"),
            totalRecords: try row.decode("total_records"), processedRecords: try row.decode("processed_records"), stats: try row.decode("stats"),
            model: try row.decode("model"), error: try row.decode("effective_error"), runID: (try row.decode("run_id", as: Int?.self)).map(Int64.init),
            createdBy: try row.decode("created_by"), createdAt: try row.decode("created_at"), startedAt: try row.decode("started_at"),
            finishedAt: try row.decode("finished_at"))
    }

    var isFinished: Bool { ["completed", "failed", "cancelled"].contains(status) }
}

/// reconciliation_jobs. A job's status is its own once it finished; before that, the queue
/// run's (queued, running, or failed / cancelled when the run ended without the job body
/// recording it: a worker that died too often, a cancel while queued).
enum ReconciliationJobRepository: StatementCatalog {
    static let columns = """
        j.id, j.project_id, j.name, j.left_source_id, j.right_source_id, j.confidence_threshold::float8 AS confidence_threshold,
        j.rules::text AS rules, j.stats::text AS stats, j.model::text AS model, j.run_id, j.created_by,
        CASE WHEN j.status IN ('completed', 'failed', 'cancelled') THEN j.status
             WHEN r.status IN ('failed', 'cancelled') THEN r.status
             WHEN r.status IN ('queued', 'running') THEN r.status
             ELSE j.status END AS effective_status,
        CASE WHEN j.status = 'completed' THEN 100 ELSE coalesce(r.progress, 0)::int END AS effective_progress,
        r.progress_message, coalesce(j.error, r.error) AS effective_error, j.total_records, j.processed_records,
        \(SQLTime.iso("j.created_at")) AS created_at, \(SQLTime.iso("coalesce(j.started_at, r.started_at)")) AS started_at,
        \(SQLTime.iso("coalesce(j.finished_at, r.finished_at)")) AS finished_at
        """
    static let from = "reconciliation_jobs j LEFT JOIN job_runs r ON r.id = j.run_id"

    static func insert(project: UUID, name: String, left: UUID, right: UUID, threshold: Double, rules: String, by user: UUID) -> PostgresQuery {
        """
        INSERT INTO reconciliation_jobs (project_id, name, left_source_id, right_source_id, confidence_threshold, rules, created_by)
        VALUES (\(project), \(name), \(left), \(right), \(threshold), \(rules)::jsonb, \(user)) RETURNING id
        """
    }

    static func attachRun(_ id: UUID, run: Int64) -> PostgresQuery {
        "UPDATE reconciliation_jobs SET run_id = \(run), updated_at = now() WHERE id = \(id)"
    }

    static func find(project: UUID, id: UUID) -> PostgresQuery {
        "SELECT \(unsafeSQL: columns) FROM \(unsafeSQL: from) WHERE j.id = \(id) AND j.project_id = \(project)"
    }

    static func byID(_ id: UUID, forUpdate: Bool = false) -> PostgresQuery {
        "SELECT \(unsafeSQL: columns) FROM \(unsafeSQL: from) WHERE j.id = \(id)\(unsafeSQL: forUpdate ? " FOR UPDATE OF j" : "")"
    }

    static func page(project: UUID, before: (String, UUID)?, limit: Int) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: columns), j.created_at::text AS cursor_text FROM \(unsafeSQL: from)
        WHERE j.project_id = \(project)
          AND (\(before?.0)::timestamptz IS NULL OR (j.created_at, j.id) < (\(before?.0)::timestamptz, \(before?.1)))
        ORDER BY j.created_at DESC, j.id DESC LIMIT \(limit)
        """
    }

    static func markRunning(_ id: UUID, total: Int) -> PostgresQuery {
        """
        UPDATE reconciliation_jobs SET status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now(), total_records = \(total),
               processed_records = 0, updated_at = now()
        WHERE id = \(id) AND status IN ('queued', 'running')
        """
    }

    /// Left records matched so far, of total_records (the job row's own count beside the queue run's percent).
    static func processed(_ id: UUID, _ records: Int) -> PostgresQuery {
        "UPDATE reconciliation_jobs SET processed_records = \(records), heartbeat_at = now() WHERE id = \(id) AND status = 'running'"
    }

    static func complete(_ id: UUID, total: Int, matched: Int, unmatched: Int, stats: String, model: String) -> PostgresQuery {
        """
        UPDATE reconciliation_jobs SET status = 'completed', progress = 1, finished_at = clock_timestamp(), total_records = \(total),
               processed_records = \(total), matched_count = \(matched), unmatched_count = \(unmatched), stats = \(stats)::jsonb,
               model = \(model)::jsonb, updated_at = now()
        WHERE id = \(id)
        """
    }

    static func finish(_ id: UUID, status: String, error: String) -> PostgresQuery {
        """
        UPDATE reconciliation_jobs SET status = \(status), error = \(error), finished_at = clock_timestamp(),
               started_at = coalesce(started_at, now()), updated_at = now()
        WHERE id = \(id) AND status IN ('queued', 'running')
        """
    }

    /// The records of one side as the matcher needs them (amount as exact text).
    /// A side's live records as the matcher reads them, the amount in 1/10,000 units: exact, as
    /// numeric(20,4) has four decimals, and within int8 for the 14 integer digits an upload
    /// accepts (a larger stored value fails the load with "bigint out of range", never misread).
    static let recordColumns = ["id", "day", "units", "currency", "reference", "description", "counterparty"]
    static func records(source: UUID) -> PostgresQuery {
        """
        SELECT id, (transaction_date - DATE '1970-01-01') AS day, (amount * 10000)::int8 AS units, currency, reference, description, counterparty
        FROM reconciliation_records WHERE data_source_id = \(source) AND deleted_at IS NULL ORDER BY id
        """
    }

    /// Pairs the project's reviewers decided on in its other jobs (confirmed, rejected, or made
    /// by hand), with both records as the matcher reads them: the labelled pairs a job learns
    /// from, most recent first.
    static func reviewedPairs(project: UUID, except job: UUID, limit: Int) -> PostgresQuery {
        """
        SELECT m.status, l.id AS l_id, (l.transaction_date - DATE '1970-01-01') AS l_day, l.amount::text AS l_amount, l.currency AS l_currency,
               l.reference AS l_reference, l.description AS l_description, l.counterparty AS l_counterparty,
               r.id AS r_id, (r.transaction_date - DATE '1970-01-01') AS r_day, r.amount::text AS r_amount, r.currency AS r_currency,
               r.reference AS r_reference, r.description AS r_description, r.counterparty AS r_counterparty
        FROM matches m
        JOIN match_items li ON li.match_id = m.id AND li.side = 'left'
        JOIN match_items ri ON ri.match_id = m.id AND ri.side = 'right'
        JOIN reconciliation_records l ON l.id = li.record_id
        JOIN reconciliation_records r ON r.id = ri.record_id
        WHERE m.project_id = \(project) AND m.job_id <> \(job) AND m.status IN ('confirmed', 'rejected')
          AND NOT EXISTS (SELECT 1 FROM match_items x WHERE x.match_id = m.id AND x.record_id NOT IN (li.record_id, ri.record_id))
        ORDER BY m.reviewed_at DESC, m.id LIMIT \(limit)
        """
    }

    static func clearDuplicates(job: UUID) -> PostgresQuery { "DELETE FROM reconciliation_duplicates WHERE job_id = \(job)" }
    static let copyDuplicates = "COPY reconciliation_duplicates (job_id, record_id, duplicate_of) FROM STDIN"

    static var statements: [PostgresQuery] {
        let id = UUID()
        return [insert(project: id, name: "n", left: id, right: id, threshold: 0.8, rules: "{}", by: id), attachRun(id, run: 1),
                find(project: id, id: id), byID(id, forUpdate: true), page(project: id, before: ("2024-01-01", id), limit: 1), markRunning(id, total: 1), processed(id, 1),
                complete(id, total: 1, matched: 1, unmatched: 1, stats: "{}", model: "{}"),
                reviewedPairs(project: id, except: id, limit: 1), clearDuplicates(job: id), finish(id, status: "failed", error: "e"), records(source: id)]
    }
}
