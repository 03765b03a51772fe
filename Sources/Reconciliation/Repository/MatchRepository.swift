import Foundation
import Postgres

struct MatchRow: Sendable {
    var id: UUID
    var kind: String
    var status: String
    var confidence: String
    var details: String
    var note: String?
    var reviewedBy: UUID?
    var reviewedAt: String?
    var createdAt: String

    static func decode(_ row: PostgresRow) throws -> MatchRow {
        MatchRow(id: try row.decode("id"), kind: try row.decode("match_type"), status: try row.decode("status"), confidence: try row.decode("confidence"),
                 details: try row.decode("details"), note: try row.decode("notes"), reviewedBy: try row.decode("reviewed_by"),
                 reviewedAt: try row.decode("reviewed_at"), createdAt: try row.decode("created_at"))
    }
}

/// A record as review shows it.
struct RecordRow: Sendable {
    var id: Int64
    var externalID: String
    var date: String
    var amount: String
    var currency: String
    var reference: String?
    var description: String?
    var counterparty: String?

    static func decode(_ row: PostgresRow) throws -> RecordRow {
        RecordRow(id: Int64(try row.decode("record_id", as: Int.self)), externalID: try row.decode("external_id"), date: try row.decode("transaction_date"),
                  amount: try row.decode("amount"), currency: try row.decode("currency"), reference: try row.decode("reference"),
                  description: try row.decode("description"), counterparty: try row.decode("counterparty"))
    }
}

/// matches and match_items of a job: written in bulk by the job, read page by page by review,
/// changed one decision at a time (or in one batch) by reviewers.
enum MatchRepository: StatementCatalog {
    static let copyMatches = "COPY matches (id, job_id, project_id, confidence, match_type, details) FROM STDIN"
    static let copyItems = "COPY match_items (match_id, job_id, record_id, side) FROM STDIN"
    /// The unique index that keeps a record in at most one live match of a job (migration 0007).
    static let oneLiveMatchPerRecord = "match_items_one_live_match_per_record"

    static let columns = """
        m.id, m.match_type, m.status, m.confidence::text AS confidence, m.details, m.notes, m.reviewed_by,
        \(SQLTime.iso("m.reviewed_at")) AS reviewed_at, \(SQLTime.iso("m.created_at")) AS created_at
        """
    static let recordColumns = """
        r.id AS record_id, r.external_id, r.transaction_date::text AS transaction_date, r.amount::text AS amount, r.currency, r.reference,
        r.description, r.counterparty
        """

    /// A job's earlier results (a run started again after its instance died); items go with
    /// their matches (the cascade trigger).
    static func clear(job: UUID) -> PostgresQuery { "DELETE FROM matches WHERE job_id = \(job)" }

    /// A page ordered by confidence (highest first), then id; `after` is the last row's pair.
    static func page(job: UUID, status: String?, minConfidence: Double?, kinds: [String]?, after: (String, UUID)?, limit: Int) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: columns) FROM matches m
        WHERE m.job_id = \(job) AND (\(status)::text IS NULL OR m.status = \(status)) AND (\(minConfidence)::float8 IS NULL OR m.confidence >= \(minConfidence)::float8)
          AND (\(kinds)::text[] IS NULL OR m.match_type = ANY(\(kinds)::text[]))
          AND (\(after?.0)::numeric IS NULL OR (m.confidence < \(after?.0)::numeric OR (m.confidence = \(after?.0)::numeric AND m.id > \(after?.1))))
        ORDER BY m.confidence DESC, m.id LIMIT \(limit)
        """
    }

    static func items(matches: [UUID]) -> PostgresQuery {
        """
        SELECT mi.match_id, mi.side, \(unsafeSQL: recordColumns) FROM match_items mi JOIN reconciliation_records r ON r.id = mi.record_id
        WHERE mi.match_id = ANY(\(matches)::uuid[]) ORDER BY mi.match_id, mi.side, r.id
        """
    }

    static func find(job: UUID, id: UUID, forUpdate: Bool = false) -> PostgresQuery {
        "SELECT \(unsafeSQL: columns) FROM matches m WHERE m.job_id = \(job) AND m.id = \(id)\(unsafeSQL: forUpdate ? " FOR UPDATE" : "")"
    }

    static func resolve(_ id: UUID, status: String, note: String?, by user: UUID) -> PostgresQuery {
        """
        UPDATE matches SET status = \(status), notes = coalesce(\(note), notes), reviewed_by = \(user), reviewed_at = now(), updated_at = now()
        WHERE id = \(id)
        """
    }

    /// A rejected match lets its records go; any other status holds them (and fails with 23505
    /// on the unique index when another live match of the job has taken one meanwhile).
    static func release(_ id: UUID, released: Bool) -> PostgresQuery {
        "UPDATE match_items SET released = \(released) WHERE match_id = \(id) AND released <> \(released)"
    }

    static func insertManual(id: UUID, job: UUID, project: UUID, note: String?, by user: UUID) -> PostgresQuery {
        """
        INSERT INTO matches (id, job_id, project_id, confidence, match_type, status, reviewed_by, reviewed_at, notes, details)
        VALUES (\(id), \(job), \(project), 1, 'manual', 'confirmed', \(user), now(), \(note), '{"manual":true}')
        """
    }

    static func insertItem(match: UUID, job: UUID, record: Int64, side: String) -> PostgresQuery {
        "INSERT INTO match_items (match_id, job_id, record_id, side) VALUES (\(match), \(job), \(record), \(side))"
    }

    /// The live records of a source with these external ids.
    static func records(source: UUID, externalIDs: [String]) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: recordColumns) FROM reconciliation_records r
        WHERE r.data_source_id = \(source) AND r.external_id = ANY(\(externalIDs)::text[]) AND r.deleted_at IS NULL
        """
    }

    /// Which of these records already are in a match of the job that was not rejected.
    static func taken(job: UUID, records: [Int64]) -> PostgresQuery {
        """
        SELECT DISTINCT mi.record_id FROM match_items mi
        WHERE mi.job_id = \(job) AND NOT mi.released AND mi.record_id = ANY(\(records)::bigint[])
        """
    }

    /// A side's live records in no match of the job (or only in rejected ones, whose items are
    /// released), by id: the lookup is the one-live-match index's.
    static func unmatched(job: UUID, source: UUID, afterID: Int64?, limit: Int) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: recordColumns) FROM reconciliation_records r
        WHERE r.data_source_id = \(source) AND r.deleted_at IS NULL AND (\(afterID)::bigint IS NULL OR r.id > \(afterID)::bigint)
          AND NOT EXISTS (SELECT 1 FROM match_items mi WHERE mi.job_id = \(job) AND mi.record_id = r.id AND NOT mi.released)
        ORDER BY r.id LIMIT \(limit)
        """
    }

    static func counts(job: UUID) -> PostgresQuery {
        """
        SELECT count(*) FILTER (WHERE match_type NOT IN ('one_to_many', 'many_to_one'))::int AS pairs,
               count(*) FILTER (WHERE match_type IN ('one_to_many', 'many_to_one'))::int AS groups,
               count(*) FILTER (WHERE status = 'proposed')::int AS proposed, count(*) FILTER (WHERE status = 'confirmed')::int AS confirmed,
               count(*) FILTER (WHERE status = 'rejected')::int AS rejected
        FROM matches WHERE job_id = \(job)
        """
    }

    /// For the export: one row per record of every match, in match order; with `fields`, the
    /// record's date, amount, currency, reference, counterparty and description after them.
    static func exportMatchRecords(job: UUID, fields: Bool = false) -> PostgresQuery {
        """
        SELECT mi.side, r.external_id, m.id, m.match_type, m.status, m.confidence::text AS confidence\(unsafeSQL: fields ? ", " + exportFields : "")
        FROM matches m JOIN match_items mi ON mi.match_id = m.id JOIN reconciliation_records r ON r.id = mi.record_id
        WHERE m.job_id = \(job) AND m.status <> 'rejected'
        ORDER BY m.confidence DESC, m.id, mi.side, r.id
        """
    }

    /// A record as a person reviews it in a spreadsheet.
    static let exportFields = "r.transaction_date, r.amount, r.currency, r.reference, r.counterparty, r.description"

    static func exportUnmatched(job: UUID, source: UUID, fields: Bool = false) -> PostgresQuery {
        """
        SELECT r.external_id\(unsafeSQL: fields ? ", " + exportFields : "") FROM reconciliation_records r
        WHERE r.data_source_id = \(source) AND r.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM match_items mi WHERE mi.job_id = \(job) AND mi.record_id = r.id AND NOT mi.released)
        ORDER BY r.id
        """
    }

    /// The exact duplicate rows the job set aside, with the record each repeats.
    static func exportDuplicates(job: UUID) -> PostgresQuery {
        """
        SELECT r.external_id, o.external_id AS duplicate_of, CASE WHEN r.data_source_id = j.left_source_id THEN 'left' ELSE 'right' END AS side
        FROM reconciliation_duplicates d JOIN reconciliation_jobs j ON j.id = d.job_id
        JOIN reconciliation_records r ON r.id = d.record_id JOIN reconciliation_records o ON o.id = d.duplicate_of
        WHERE d.job_id = \(job) ORDER BY d.record_id
        """
    }

    static var statements: [PostgresQuery] {
        let id = UUID()
        return [clear(job: id), page(job: id, status: "proposed", minConfidence: 0.5, kinds: ["exact"], after: ("0.5", id), limit: 1),
                items(matches: [id]), find(job: id, id: id, forUpdate: true), resolve(id, status: "confirmed", note: "n", by: id),
                insertManual(id: id, job: id, project: id, note: nil, by: id), insertItem(match: id, job: id, record: 1, side: "left"), release(id, released: true),
                records(source: id, externalIDs: ["a"]), taken(job: id, records: [1]), unmatched(job: id, source: id, afterID: 1, limit: 1),
                counts(job: id), exportMatchRecords(job: id), exportMatchRecords(job: id, fields: true), exportUnmatched(job: id, source: id),
                exportUnmatched(job: id, source: id, fields: true), exportDuplicates(job: id)]
    }
}
