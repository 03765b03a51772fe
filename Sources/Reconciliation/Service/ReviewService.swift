import Foundation
import Platform
import Postgres

/// A match with its records, for review.
struct ReviewedMatch: Sendable {
    var match: MatchRow
    var left: [RecordRow]
    var right: [RecordRow]
}

/// One review decision.
struct Decision: Sendable {
    var matchID: UUID
    var status: String
    var note: String?
}

/// Review of a job's results: pages of matches and unmatched records, decisions (one, or
/// many all-or-nothing), manual matches; every decision is audited in its transaction.
final class ReviewService: Sendable {
    let pool: ConnectionPool
    let access: ProjectAccess
    let metrics: ReconciliationMetrics

    init(pool: ConnectionPool, access: ProjectAccess, metrics: ReconciliationMetrics) {
        self.pool = pool
        self.access = access
        self.metrics = metrics
    }

    static let matchNotFound = AppError.notFound("No match with this id in this job")

    /// Authorizes and loads the job; review needs a finished (completed) job.
    func job(_ tx: Transaction, _ p: Principal, project: UUID, job: UUID, action: ProjectAction) throws -> ReconciliationJobRecord {
        try access.authorize(tx, project: project, principal: p, action: action)
        return try ReconciliationJobService.load(tx, project: project, id: job)
    }

    func matches(_ p: Principal, project: UUID, job id: UUID, status: String?, minConfidence: Double?, kinds: [String]?,
                 after: (String, UUID)?, limit: Int) throws -> [ReviewedMatch] {
        try pool.transaction { tx in
            _ = try job(tx, p, project: project, job: id, action: .read)
            let rows = try tx.query(MatchRepository.page(job: id, status: status, minConfidence: minConfidence, kinds: kinds, after: after, limit: limit))
                .map(MatchRow.decode)
            return try Self.withRecords(tx, rows)
        }
    }

    static func withRecords(_ tx: Transaction, _ rows: [MatchRow]) throws -> [ReviewedMatch] {
        guard !rows.isEmpty else { return [] }
        var left: [UUID: [RecordRow]] = [:], right: [UUID: [RecordRow]] = [:]
        for row in try tx.query(MatchRepository.items(matches: rows.map(\.id))) {
            let m: UUID = try row.decode("match_id")
            let r = try RecordRow.decode(row)
            if try row.decode("side", as: String.self) == "left" { left[m, default: []].append(r) } else { right[m, default: []].append(r) }
        }
        return rows.map { ReviewedMatch(match: $0, left: left[$0.id] ?? [], right: right[$0.id] ?? []) }
    }

    func unmatched(_ p: Principal, project: UUID, job id: UUID, side: String, afterID: Int64?, limit: Int) throws -> [RecordRow] {
        try pool.transaction { tx in
            let j = try job(tx, p, project: project, job: id, action: .read)
            let source = side == "left" ? j.leftSourceID : j.rightSourceID
            guard j.status == "completed" else { throw AppError(.conflict, "The job is \(j.status); unmatched records are known once it completed") }
            return try tx.query(MatchRepository.unmatched(job: id, source: source, afterID: afterID, limit: limit)).map(RecordRow.decode)
        }
    }

    func resolve(_ p: Principal, project: UUID, job id: UUID, decisions: [Decision], audit: (Decision) -> AuditEntry) throws -> [ReviewedMatch] {
        guard let user = UUID(uuidString: p.id) else { throw AppError(.forbidden, "Decisions belong to user accounts; log in as a user") }
        let done = try pool.transaction { tx in
            _ = try job(tx, p, project: project, job: id, action: .write)
            // Every decision is checked before any is applied: all or nothing, every problem named.
            var issues: [FieldIssue] = []
            var seen = Set<UUID>()
            var before: [UUID: MatchRow] = [:]
            for (i, d) in decisions.enumerated() {
                let field = decisions.count == 1 ? "match_id" : "decisions[\(i)].match_id"
                if !seen.insert(d.matchID).inserted {
                    issues.append(FieldIssue(field: field, issue: "appears twice in the batch"))
                    continue
                }
                guard let m = try tx.query(MatchRepository.find(job: id, id: d.matchID, forUpdate: true)).first.map(MatchRow.decode) else {
                    issues.append(FieldIssue(field: field, issue: "is not a match of this job"))
                    continue
                }
                before[d.matchID] = m
            }
            if !issues.isEmpty {
                if decisions.count == 1 { throw Self.matchNotFound }
                throw AppError.validation(issues, message: "\(issues.count) of \(decisions.count) decisions cannot be applied; none was")
            }
            for d in decisions {
                try tx.query(MatchRepository.resolve(d.matchID, status: d.status, note: d.note, by: user))
                try Self.holdingRecords { try tx.query(MatchRepository.release(d.matchID, released: d.status == "rejected")) }
                var entry = audit(d)
                entry.oldValues = #"{"status":"\#(before[d.matchID]!.status)"}"#
                entry.newValues = #"{"status":"\#(d.status)","note":\#(d.note.map(JSONWriter.quoted) ?? "null")}"#
                try AuditTrail.record(tx, entry)
            }
            let rows = try decisions.compactMap { try tx.query(MatchRepository.find(job: id, id: $0.matchID)).first.map(MatchRow.decode) }
            return try Self.withRecords(tx, rows)
        }
        for d in decisions { metrics.decisions.inc([d.status]) }
        return done
    }

    /// A reviewer's own match of chosen records (external ids of each side), confirmed at once.
    func manual(_ p: Principal, project: UUID, job id: UUID, leftIDs: [String], rightIDs: [String], note: String?, audit: AuditEntry) throws -> ReviewedMatch {
        guard let user = UUID(uuidString: p.id) else { throw AppError(.forbidden, "Decisions belong to user accounts; log in as a user") }
        let created = try pool.transaction { tx in
            let j = try job(tx, p, project: project, job: id, action: .write)
            guard j.status == "completed" else { throw AppError(.conflict, "The job is \(j.status); match records once it completed") }
            var issues: [FieldIssue] = []
            var records: [(Int64, String)] = []
            for (field, source, ids) in [("left_ids", j.leftSourceID, leftIDs), ("right_ids", j.rightSourceID, rightIDs)] {
                let found = try tx.query(MatchRepository.records(source: source, externalIDs: ids)).map(RecordRow.decode)
                let known = Set(found.map(\.externalID))
                for missing in ids where !known.contains(missing) {
                    issues.append(FieldIssue(field: field, issue: "\"\(missing.prefix(100))\" is not a record of this side"))
                }
                records += found.map { ($0.id, field == "left_ids" ? "left" : "right") }
            }
            if !issues.isEmpty { throw AppError.validation(issues, message: "Some records cannot be matched") }
            let taken = try tx.query(MatchRepository.taken(job: id, records: records.map(\.0))).map { Int64(try $0.decode("record_id", as: Int.self)) }
            if !taken.isEmpty { throw Self.recordsTaken(taken.count) }
            let matchID = UUID()
            try tx.query(MatchRepository.insertManual(id: matchID, job: id, project: project, note: note, by: user))
            // The check above names the common case; the unique index decides a race with a
            // concurrent match of the same records.
            try Self.holdingRecords {
                for (record, side) in records { try tx.query(MatchRepository.insertItem(match: matchID, job: id, record: record, side: side)) }
            }
            var entry = audit
            entry.resourceID = matchID.uuidString.lowercased()
            entry.newValues = #"{"job_id":"\#(id.uuidString.lowercased())","left_ids":\#(JSONWriter.quotedList(leftIDs)),"right_ids":\#(JSONWriter.quotedList(rightIDs))}"#
            try AuditTrail.record(tx, entry)
            guard let row = try tx.query(MatchRepository.find(job: id, id: matchID)).first.map(MatchRow.decode) else { throw Self.matchNotFound }
            return try Self.withRecords(tx, [row])[0]
        }
        metrics.decisions.inc(["manual"])
        return created
    }
}

extension ReviewService {
    static func recordsTaken(_ count: Int?) -> AppError {
        AppError(.conflict, "\(count.map { "\($0) of the" } ?? "Some of the") records are already in a match of this job; reject that match first")
    }

    /// Runs a write of match items, turning the one-live-match-per-record index's violation
    /// into the conflict a client can act on.
    static func holdingRecords(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as PostgresError where e.sqlState == "23505" && e.constraint == MatchRepository.oneLiveMatchPerRecord {
            throw recordsTaken(nil)
        }
    }
}

extension JSONWriter {
    static func quotedList(_ items: [String]) -> String { "[" + items.map(JSONWriter.quoted).joined(separator: ",") + "]" }
}
