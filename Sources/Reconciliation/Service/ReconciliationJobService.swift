import Foundation
import Platform
import Postgres

/// Reconciliation jobs: created in the request (the row, then a run on the platform's shared
/// queue), executed by whichever instance's worker claims the run (`ReconciliationRun`),
/// watched and cancelled through the queue.
final class ReconciliationJobService: Sendable {
    static let jobName = "reconciliation"
    let pool: ConnectionPool
    let access: ProjectAccess
    let jobs: JobRunner

    init(pool: ConnectionPool, access: ProjectAccess, jobs: JobRunner) {
        self.pool = pool
        self.access = access
        self.jobs = jobs
    }

    static let notFound = AppError.notFound("No reconciliation job with this id in this project")

    func create(_ p: Principal, project: UUID, name: String, left: UUID, right: UUID, threshold: Double, rules: JobRules, audit: AuditEntry,
                traceParent: String?) throws -> ReconciliationJobRecord {
        guard let user = UUID(uuidString: p.id) else { throw AppError(.forbidden, "Jobs belong to user accounts; log in as a user") }
        guard left != right else {
            throw AppError.validation([FieldIssue(field: "right_source_id", issue: "must differ from left_source_id")])
        }
        let rulesText = String(decoding: try JSONEncoder.sorted.encode(rules), as: UTF8.self)
        let id: UUID = try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .write)
            for (field, source) in [("left_source_id", left), ("right_source_id", right)] {
                guard try tx.query(SourceRepository.find(project: project, id: source)).first != nil else {
                    throw AppError.validation([FieldIssue(field: field, issue: "is not a data source of this project")])
                }
            }
            guard let id = try tx.query(ReconciliationJobRepository.insert(project: project, name: name, left: left, right: right, threshold: threshold,
                                                                           rules: rulesText, by: user)).first.map({ try $0.decode("id", as: UUID.self) }) else {
                throw AppError(.internalError, "the job was not stored")
            }
            var entry = audit
            entry.resourceID = id.uuidString.lowercased()
            entry.newValues = #"{"left_source_id":"\#(left.uuidString.lowercased())","right_source_id":"\#(right.uuidString.lowercased())","confidence_threshold":\#(threshold),"rules":\#(rulesText)}"#
            try AuditTrail.record(tx, entry)
            return id
        }
        do {
            let run = try jobs.enqueue(Self.jobName, payload: #"{"job_id":"\#(id.uuidString.lowercased())"}"#, traceParent: traceParent)
            _ = try pool.transaction { tx in try tx.query(ReconciliationJobRepository.attachRun(id, run: run)) }
        } catch {
            // The job could not be queued: say so on the job rather than leave it waiting forever.
            _ = try? pool.transaction { tx in try tx.query(ReconciliationJobRepository.finish(id, status: "failed", error: "could not be queued: \(error)")) }
            throw error
        }
        return try pool.transaction { tx in try Self.load(tx, project: project, id: id) }
    }

    static func load(_ tx: Transaction, project: UUID, id: UUID) throws -> ReconciliationJobRecord {
        guard let j = try tx.query(ReconciliationJobRepository.find(project: project, id: id)).first.map(ReconciliationJobRecord.decode) else {
            throw notFound
        }
        return j
    }

    func get(_ p: Principal, project: UUID, id: UUID) throws -> (job: ReconciliationJobRecord, counts: MatchCounts) {
        try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .read)
            let job = try Self.load(tx, project: project, id: id)
            return (job, try MatchCounts.load(tx, job: id))
        }
    }

    func list(_ p: Principal, project: UUID, before: (String, UUID)?, limit: Int) throws -> [(job: ReconciliationJobRecord, cursor: String)] {
        try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .read)
            return try tx.query(ReconciliationJobRepository.page(project: project, before: before, limit: limit))
                .map { (try ReconciliationJobRecord.decode($0), try $0.decode("cursor_text")) }
        }
    }

    /// Cancels a queued or running job; a running one stops within about a second.
    func cancel(_ p: Principal, project: UUID, id: UUID, audit: AuditEntry) throws -> ReconciliationJobRecord {
        let job = try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .write)
            let job = try Self.load(tx, project: project, id: id)
            guard !job.isFinished else { throw AppError(.conflict, "The job already \(job.status)") }
            try AuditTrail.record(tx, audit)
            return job
        }
        if let run = job.runID { _ = try jobs.cancel(run) }
        if job.status == "queued" {
            _ = try pool.transaction { tx in try tx.query(ReconciliationJobRepository.finish(id, status: "cancelled", error: "cancelled by request")) }
        }
        return try pool.transaction { tx in try Self.load(tx, project: project, id: id) }
    }
}

/// Counts of a job's matches by shape and review status.
struct MatchCounts: Sendable {
    var pairs = 0, groups = 0, proposed = 0, confirmed = 0, rejected = 0

    static func load(_ tx: Transaction, job: UUID) throws -> MatchCounts {
        guard let row = try tx.query(MatchRepository.counts(job: job)).first else { return MatchCounts() }
        return MatchCounts(pairs: try row.decode("pairs"), groups: try row.decode("groups"), proposed: try row.decode("proposed"),
                           confirmed: try row.decode("confirmed"), rejected: try row.decode("rejected"))
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
