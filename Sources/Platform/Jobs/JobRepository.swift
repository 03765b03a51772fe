import FoundationEssentials
import Postgres

/// One row of job_runs as the admin API shows it.
public struct JobRunRecord: Sendable, Encodable, Equatable {
    public let id: Int64
    public let job: String
    public let kind: String
    public let trigger: String
    public let status: String
    public let queuedAt: String
    public let startedAt: String?
    public let finishedAt: String?
    public let durationMs: Int?
    public let attempts: Int
    public let maxAttempts: Int
    public let progress: Int
    public let progressMessage: String?
    public let cancelRequested: Bool
    public let stats: String
    public let error: String?

    enum CodingKeys: String, CodingKey {
        case id, job, kind, trigger, status, attempts, progress, stats, error
        case queuedAt = "queued_at", startedAt = "started_at", finishedAt = "finished_at", durationMs = "duration_ms"
        case maxAttempts = "max_attempts", progressMessage = "progress_message", cancelRequested = "cancel_requested"
    }

    /// `stats` is JSON text; it is emitted as the object it is.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(job, forKey: .job)
        try c.encode(kind, forKey: .kind)
        try c.encode(trigger, forKey: .trigger)
        try c.encode(status, forKey: .status)
        try c.encode(queuedAt, forKey: .queuedAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(durationMs, forKey: .durationMs)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(maxAttempts, forKey: .maxAttempts)
        try c.encode(progress, forKey: .progress)
        try c.encode(progressMessage, forKey: .progressMessage)
        try c.encode(cancelRequested, forKey: .cancelRequested)
        try c.encode(RawJSON(text: stats), forKey: .stats)
        try c.encode(error, forKey: .error)
    }
}

/// JSON text embedded as a value when encoding.
struct RawJSON: Encodable {
    let text: String
    func encode(to encoder: Encoder) throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        try value.encode(to: encoder)
    }
}

/// Any JSON value, for passing stored JSON through an encoder.
indirect enum JSONValue: Codable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// The SQL of the job runner. Every statement is parameterized; none knows HTTP.
public enum JobRepository {
    static let columns = """
        id, job, kind, trigger, status, created_at::text AS queued_at, started_at::text AS started_at, \
        finished_at::text AS finished_at, duration_ms, attempts, max_attempts, progress, progress_message, \
        cancel_requested, stats::text AS stats, error
        """

    static func record(_ row: PostgresRow) throws -> JobRunRecord {
        JobRunRecord(id: Int64(try row.decode("id", as: Int.self)), job: try row.decode("job", as: String.self),
                     kind: try row.decode("kind", as: String.self), trigger: try row.decode("trigger", as: String.self),
                     status: try row.decode("status", as: String.self), queuedAt: try row.decode("queued_at", as: String.self),
                     startedAt: try row.decode("started_at", as: String?.self), finishedAt: try row.decode("finished_at", as: String?.self),
                     durationMs: try row.decode("duration_ms", as: Int?.self), attempts: try row.decode("attempts", as: Int.self),
                     maxAttempts: try row.decode("max_attempts", as: Int.self), progress: try row.decode("progress", as: Int.self),
                     progressMessage: try row.decode("progress_message", as: String?.self),
                     cancelRequested: try row.decode("cancel_requested", as: Bool.self), stats: try row.decode("stats", as: String.self),
                     error: try row.decode("error", as: String?.self))
    }

    /// A scheduled run starting now.
    static func startRunQuery(job: String, kind: String, trigger: String, worker: String) -> PostgresQuery {
        """
        INSERT INTO job_runs (job, kind, trigger, status, started_at, heartbeat_at, worker, attempts)
        VALUES (\(job), \(kind), \(trigger), 'running', now(), now(), \(worker), 1) RETURNING id
        """
    }

    static func startRun(_ tx: Transaction, job: String, kind: String, trigger: String, worker: String) throws -> Int64 {
        Int64(try tx.query(startRunQuery(job: job, kind: kind, trigger: trigger, worker: worker)).first!.decode("id", as: Int.self))
    }

    /// Whether a scheduled run of `job` that has not failed started at or after `since` (Unix
    /// ms): one run per tick across instances, while a failed run may be retried.
    static func ranSinceQuery(job: String, sinceMs: Int64) -> PostgresQuery {
        """
        SELECT 1 AS ran FROM job_runs WHERE job = \(job) AND trigger = 'schedule' AND status IN ('running', 'succeeded')
          AND started_at >= to_timestamp(\(Double(sinceMs) / 1000)) LIMIT 1
        """
    }

    static func ranSince(_ tx: Transaction, job: String, sinceMs: Int64) throws -> Bool {
        try tx.query(ranSinceQuery(job: job, sinceMs: sinceMs)).count > 0
    }

    static func enqueueQuery(job: String, kind: String, trigger: String, payload: String, maxAttempts: Int, timeoutMs: Int,
                             traceParent: String?) -> PostgresQuery {
        """
        INSERT INTO job_runs (job, kind, trigger, status, started_at, payload, max_attempts, timeout_ms, trace_parent)
        VALUES (\(job), \(kind), \(trigger), 'queued', NULL, \(PostgresJSON(payload))::jsonb, \(maxAttempts), \(timeoutMs), \(traceParent))
        RETURNING id
        """
    }

    static func enqueue(_ tx: Transaction, job: String, kind: String, trigger: String, payload: String, maxAttempts: Int,
                        timeoutMs: Int, traceParent: String?) throws -> Int64 {
        Int64(try tx.query(enqueueQuery(job: job, kind: kind, trigger: trigger, payload: payload, maxAttempts: maxAttempts,
                                        timeoutMs: timeoutMs, traceParent: traceParent)).first!.decode("id", as: Int.self))
    }

    struct Claimed {
        let id: Int64
        let job: String
        let payload: String
        let timeoutMs: Int?
        let attempts: Int
        /// The traceparent of the request that queued it: the run continues that trace.
        let traceParent: String?
    }

    static func claimQuery(jobs: [String], worker: String) -> PostgresQuery {
        """
        UPDATE job_runs SET status = 'running', started_at = now(), heartbeat_at = now(), worker = \(worker),
                            attempts = attempts + 1, progress = 0, progress_message = NULL
        WHERE id = (SELECT id FROM job_runs WHERE status = 'queued' AND run_after <= now() AND job = ANY(\(jobs))
                    ORDER BY run_after, id FOR UPDATE SKIP LOCKED LIMIT 1)
        RETURNING id, job, payload::text AS payload, timeout_ms, attempts, trace_parent
        """
    }

    /// Claims the next queued job of these names, skipping rows other instances hold.
    static func claim(_ tx: Transaction, jobs: [String], worker: String) throws -> Claimed? {
        guard let row = try tx.query(claimQuery(jobs: jobs, worker: worker)).first else { return nil }
        return Claimed(id: Int64(try row.decode("id", as: Int.self)), job: try row.decode("job", as: String.self),
                       payload: try row.decode("payload", as: String.self), timeoutMs: try row.decode("timeout_ms", as: Int?.self),
                       attempts: try row.decode("attempts", as: Int.self), traceParent: try row.decode("trace_parent", as: String?.self))
    }

    static func finishQuery(id: Int64, status: String, statsJSON: String, error: String?, durationMs: Int) -> PostgresQuery {
        """
        UPDATE job_runs SET status = \(status), finished_at = greatest(now(), started_at), stats = \(PostgresJSON(statsJSON))::jsonb,
               error = \(error), duration_ms = \(durationMs), progress = CASE WHEN \(status) = 'succeeded' THEN 100 ELSE progress END
        WHERE id = \(Int(id))
        """
    }

    static func finish(_ tx: Transaction, id: Int64, status: String, statsJSON: String, error: String?, durationMs: Int) throws {
        try tx.query(finishQuery(id: id, status: status, statsJSON: statsJSON, error: error, durationMs: durationMs))
    }

    static func auditQuery(id: Int64, job: String, statsJSON: String) -> PostgresQuery {
        """
        INSERT INTO audit_logs (action, resource_type, resource_id, new_values)
        VALUES ('job.run', 'job_run', \(String(id)), jsonb_build_object('job', \(job)::text, 'stats', \(PostgresJSON(statsJSON))::jsonb))
        """
    }

    static func audit(_ tx: Transaction, id: Int64, job: String, statsJSON: String) throws {
        try tx.query(auditQuery(id: id, job: job, statsJSON: statsJSON))
    }

    static func progressQuery(id: Int64, percent: Int, message: String?) -> PostgresQuery {
        "UPDATE job_runs SET progress = \(percent), progress_message = \(message) WHERE id = \(Int(id)) AND status = 'running'"
    }

    static func progress(_ c: PostgresConnection, id: Int64, percent: Int, message: String?) throws {
        try c.query(progressQuery(id: id, percent: percent, message: message))
    }

    static func heartbeatQuery(ids: [Int]) -> PostgresQuery {
        "UPDATE job_runs SET heartbeat_at = now() WHERE id = ANY(\(ids)) AND status = 'running' RETURNING id, cancel_requested"
    }

    static func cancelFlagsQuery(ids: [Int]) -> PostgresQuery {
        "SELECT id, cancel_requested FROM job_runs WHERE id = ANY(\(ids))"
    }

    /// Of this instance's running jobs, those asked to stop; with `beat`, also refreshes their
    /// heartbeat.
    static func heartbeatOrCheck(_ c: PostgresConnection, ids: [Int], beat: Bool) throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        let rows = try c.query(beat ? heartbeatQuery(ids: ids) : cancelFlagsQuery(ids: ids))
        return try rows.compactMap { try $0.decode("cancel_requested", as: Bool.self) ? Int64(try $0.decode("id", as: Int.self)) : nil }
    }

    static func recoverStaleQuery(staleMs: Int) -> PostgresQuery {
        """
        UPDATE job_runs SET
            status = CASE WHEN attempts < max_attempts AND NOT cancel_requested THEN 'queued'
                          WHEN cancel_requested THEN 'cancelled' ELSE 'failed' END,
            started_at = CASE WHEN attempts < max_attempts AND NOT cancel_requested THEN NULL ELSE started_at END,
            finished_at = CASE WHEN attempts < max_attempts AND NOT cancel_requested THEN NULL ELSE greatest(now(), started_at) END,
            error = CASE WHEN attempts < max_attempts THEN error ELSE 'the instance running it stopped (' || attempts || ' attempts)' END,
            worker = NULL, heartbeat_at = NULL
        WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => \(Double(staleMs) / 1000))
        """
    }

    /// Running jobs whose instance stopped beating: back to the queue while attempts remain,
    /// else failed. Returns how many were recovered.
    static func recoverStale(_ c: PostgresConnection, staleMs: Int) throws -> Int {
        try c.query(recoverStaleQuery(staleMs: staleMs)).affectedRows
    }

    static func requestCancelQuery(id: Int64) -> PostgresQuery {
        """
        UPDATE job_runs SET cancel_requested = true,
               status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
               finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
        WHERE id = \(Int(id)) AND status IN ('queued', 'running')
        """
    }

    /// Cancels a job: a queued one at once, a running one by flag (its worker stops it).
    static func requestCancel(_ tx: Transaction, id: Int64) throws -> JobRunRecord? {
        try tx.query(requestCancelQuery(id: id))
        return try find(tx, id: id)
    }

    static func findQuery(id: Int64) -> PostgresQuery {
        "SELECT \(unsafeSQL: columns) FROM job_runs WHERE id = \(Int(id))"
    }

    static func find(_ tx: Transaction, id: Int64) throws -> JobRunRecord? {
        try tx.query(findQuery(id: id)).first.map(record)
    }

    static func listQuery(job: String?, status: String?, beforeID: Int64?, limit: Int) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: columns) FROM job_runs
        WHERE (\(job)::text IS NULL OR job = \(job)) AND (\(status)::text IS NULL OR status = \(status))
          AND (\(beforeID.map { Int($0) })::bigint IS NULL OR id < \(beforeID.map { Int($0) }))
        ORDER BY id DESC LIMIT \(limit)
        """
    }

    /// Newest first, after the cursor id.
    static func list(_ tx: Transaction, job: String?, status: String?, beforeID: Int64?, limit: Int) throws -> [JobRunRecord] {
        try tx.query(listQuery(job: job, status: status, beforeID: beforeID, limit: limit)).map(record)
    }

    static let queueDepthQuery: PostgresQuery = "SELECT count(*)::int AS n FROM job_runs WHERE status = 'queued'"

    static func queueDepth(_ c: PostgresConnection) throws -> Int {
        try c.query(queueDepthQuery).first!.decode("n", as: Int.self)
    }
}

extension JobRepository: StatementCatalog {
    /// Every statement above, with sample values (the drift test PREPAREs each).
    public static var statements: [PostgresQuery] {
        [startRunQuery(job: "j", kind: "other", trigger: "schedule", worker: "w"), ranSinceQuery(job: "j", sinceMs: 0),
         enqueueQuery(job: "j", kind: "other", trigger: "api", payload: "{}", maxAttempts: 1, timeoutMs: 1, traceParent: nil),
         claimQuery(jobs: ["j"], worker: "w"), finishQuery(id: 1, status: "succeeded", statsJSON: "{}", error: nil, durationMs: 0),
         auditQuery(id: 1, job: "j", statsJSON: "{}"), progressQuery(id: 1, percent: 1, message: nil), heartbeatQuery(ids: [1]),
         cancelFlagsQuery(ids: [1]), recoverStaleQuery(staleMs: 1), requestCancelQuery(id: 1), findQuery(id: 1),
         listQuery(job: nil, status: nil, beforeID: nil, limit: 1), queueDepthQuery]
    }
}
