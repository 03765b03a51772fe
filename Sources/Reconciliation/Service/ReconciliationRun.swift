import Foundation
import Platform
import Postgres
import SystemSupport

/// The body of a queued reconciliation job: load both sides, match (pure), store every match
/// and mark the job completed in one transaction. Progress goes to the queue run; cancellation
/// and the timeout come from it. A run that fails or is cancelled records that on the job.
enum ReconciliationRun {
    struct Stats: Encodable {
        var leftRecords: Int
        var rightRecords: Int
        var candidatePairs: Int
        var matchedPairs: Int
        var matchedGroups: Int
        var unmatchedLeft: Int
        var unmatchedRight: Int
        var ambiguous: Int
        var duplicatesLeft: Int
        var duplicatesRight: Int
        var labelledPairs: Int
        var loadMs: Int
        var matchMs: Int
        var storeMs: Int

        enum CodingKeys: String, CodingKey {
            case leftRecords = "left_records", rightRecords = "right_records", candidatePairs = "candidate_pairs", matchedPairs = "matched_pairs"
            case matchedGroups = "matched_groups", unmatchedLeft = "unmatched_left", unmatchedRight = "unmatched_right", ambiguous
            case duplicatesLeft = "duplicates_left", duplicatesRight = "duplicates_right", labelledPairs = "labelled_pairs"
            case loadMs = "load_ms", matchMs = "match_ms", storeMs = "store_ms"
        }
    }

    static func execute(_ context: JobContext, metrics: ReconciliationMetrics) throws -> JobOutcome {
        struct Payload: Decodable { var job_id: UUID }
        let payload = try JSONDecoder().decode(Payload.self, from: Data(context.payload.utf8))
        do {
            let outcome = try run(context, job: payload.job_id, metrics: metrics)
            metrics.jobs.inc(["completed"])
            return outcome
        } catch {
            let cancelled = error is JobCancelled
            let reason = (error as? JobCancelled)?.reason ?? String(describing: error)
            let status = cancelled && !reason.hasPrefix("timed out") ? "cancelled" : "failed"
            metrics.jobs.inc([status])
            context.logger.warning("reconciliation job \(status)", metadata: ["job_id": "\(payload.job_id.uuidString.lowercased())", "reason": "\(reason.prefix(300))"])
            _ = try? context.pool.transaction { tx in
                try tx.query(ReconciliationJobRepository.finish(payload.job_id, status: status, error: String(reason.prefix(2000))))
            }
            throw error
        }
    }

    static func run(_ context: JobContext, job id: UUID, metrics: ReconciliationMetrics) throws -> JobOutcome {
        let started = Date()
        context.progress(1, "loading records")
        let loaded: (job: ReconciliationJobRecord, left: [MatchInput], right: [MatchInput], feedback: ReviewFeedback)? = try context.pool.transaction { tx in
            guard let job = try tx.query(ReconciliationJobRepository.byID(id, forUpdate: true)).first.map(ReconciliationJobRecord.decode) else {
                return nil
            }
            if job.isFinished { return nil }
            let left = try records(tx, job.leftSourceID), right = try records(tx, job.rightSourceID)
            let feedback = try reviewFeedback(tx, project: job.projectID, job: id)
            try tx.query(ReconciliationJobRepository.markRunning(id, total: left.count))
            return (job, left, right, feedback)
        }
        guard var pending = loaded else { return .nothing }
        let job = pending.job, feedback = pending.feedback
        // The store needs the records' ids only: the records themselves (their texts most of a
        // job's memory before matching) go to the matcher, which lets them go once prepared.
        let left = pending.left.map(\.id), right = pending.right.map(\.id)
        let leftInputs = pending.left, rightInputs = pending.right
        pending.left = []
        pending.right = []
        try context.checkCancelled()
        let loadedAt = Date()
        let rules = try JobRules.stored(job.rules)
        let total = max(1, left.count), leftCount = left.count
        var lastWrite = MonotonicClock.milliseconds()
        let outcome = try Matcher(rules: rules, threshold: job.threshold, feedback: feedback).run(left: consume leftInputs, right: consume rightInputs, progress: { done in
            context.progress(5 + 75 * done / total, "matching: \(done) of \(leftCount) records")
            // The job row's own count, at most once a second (the queue run throttles its own).
            let now = MonotonicClock.milliseconds()
            if now - lastWrite >= 1_000 {
                lastWrite = now
                _ = try? context.pool.transaction { tx in try tx.query(ReconciliationJobRepository.processed(id, done)) }
            }
        }, checkCancelled: context.checkCancelled)
        let matchedAt = Date()
        context.progress(85, "storing \(outcome.matches.count) matches")
        let groups = outcome.matches.filter { $0.kind == .oneToMany || $0.kind == .manyToOne }.count
        var stats = Stats(leftRecords: left.count, rightRecords: right.count, candidatePairs: outcome.candidatePairs,
                          matchedPairs: outcome.matches.count - groups, matchedGroups: groups, unmatchedLeft: outcome.unmatchedLeft.count,
                          unmatchedRight: outcome.unmatchedRight.count, ambiguous: outcome.ambiguous,
                          duplicatesLeft: outcome.duplicatesLeft.count, duplicatesRight: outcome.duplicatesRight.count,
                          labelledPairs: outcome.model.labelledPairs,
                          loadMs: Int(loadedAt.timeIntervalSince(started) * 1000), matchMs: Int(matchedAt.timeIntervalSince(loadedAt) * 1000), storeMs: 0)
        // Stored in the review order (confidence, then id) with ids that increase in it: the
        // indexes then grow at their right edge instead of at random places.
        let ordered = outcome.matches.sorted { $0.confidence > $1.confidence }
        // Each id's text made once (Foundation formats a UUID with printf): a match's id goes into
        // its row and every item's.
        let ids = SequentialUUIDs.make(ordered.count).map { Array($0.uuidString.lowercased().utf8) }
        let jobText = id.uuidString.lowercased()
        try context.pool.transaction { tx in
            try tx.query(MatchRepository.clear(job: id))
            try tx.query(ReconciliationJobRepository.clearDuplicates(job: id))
            let duplicates = outcome.duplicatesLeft.map { (left[$0.record], left[$0.of]) } + outcome.duplicatesRight.map { (right[$0.record], right[$0.of]) }
            if !duplicates.isEmpty {
                _ = try tx.copyIn(unsafeSQL: ReconciliationJobRepository.copyDuplicates, rows: duplicates.lazy.map { record, of in
                    PostgresCopy.line([jobText, String(record), String(of)])
                })
            }
            let projectText = Array(job.projectID.uuidString.lowercased().utf8)
            let jobBytes = Array(jobText.utf8)
            // Rows straight into one buffer, flushed every 256 KiB: no array or String per row.
            var rows = CopyRowBuilder()
            _ = try tx.copyIn(unsafeSQL: MatchRepository.copyMatches) { writer in
                for (matchID, m) in zip(ids, ordered) {
                    rows.plain(matchID)
                    rows.plain(jobBytes)
                    rows.plain(projectText)
                    rows.plain(Array(confidenceText(m.confidence).utf8))
                    rows.text(m.kind.rawValue)
                    rows.plain(detailsJSON(m.signals))
                    rows.endRow()
                    if rows.count >= 256 * 1024 { try writer.write(rows.bytes); rows.removeAll() }
                }
                try writer.write(rows.bytes)
                rows.removeAll()
            }
            _ = try tx.copyIn(unsafeSQL: MatchRepository.copyItems) { writer in
                func item(_ matchID: [UInt8], _ record: Int64, _ side: StaticString) {
                    rows.plain(matchID)
                    rows.plain(jobBytes)
                    rows.integer(record)
                    rows.plain(side)
                    rows.endRow()
                }
                for (matchID, m) in zip(ids, ordered) {
                    for r in m.left { item(matchID, left[r], "left") }
                    for r in m.right { item(matchID, right[r], "right") }
                    if rows.count >= 256 * 1024 { try writer.write(rows.bytes); rows.removeAll() }
                }
                try writer.write(rows.bytes)
                rows.removeAll()
            }
            try context.checkCancelled()
            stats.storeMs = Int(Date().timeIntervalSince(matchedAt) * 1000)
            let statsText = String(decoding: try JSONEncoder.sorted.encode(stats), as: UTF8.self)
            let modelText = String(decoding: try JSONEncoder.sorted.encode(ModelReport(outcome)), as: UTF8.self)
            try tx.query(ReconciliationJobRepository.complete(id, total: left.count, matched: outcome.matches.count,
                                                              unmatched: outcome.unmatchedLeft.count + outcome.unmatchedRight.count, stats: statsText,
                                                              model: modelText))
        }
        context.progress(100, "completed")
        metrics.jobPhaseSeconds.observe(Double(stats.loadMs) / 1000, ["load"])
        metrics.jobPhaseSeconds.observe(Double(stats.matchMs) / 1000, ["match"])
        metrics.jobPhaseSeconds.observe(Double(stats.storeMs) / 1000, ["store"])
        for m in outcome.matches { metrics.matches.inc([m.kind.rawValue]) }
        context.logger.info("reconciliation job completed", metadata: [
            "job_id": "\(id.uuidString.lowercased())", "left": "\(left.count)", "right": "\(right.count)", "matches": "\(outcome.matches.count)",
            "load_ms": "\(stats.loadMs)", "match_ms": "\(stats.matchMs)", "store_ms": "\(stats.storeMs)"])
        return try JobOutcome(stats: stats, changedData: true)
    }

    /// Read in place (a job loads every record of both sides: no row is materialised twice).
    static func records(_ tx: Transaction, _ source: UUID) throws -> [MatchInput] {
        var out: [MatchInput] = []
        try tx.forEachRow(ReconciliationJobRepository.records(source: source), columns: ReconciliationJobRepository.recordColumns) { r in
            guard let id = r.int(0), let day = r.int(1), let units = r.int(2), let currency = r.string(3) else {
                throw AppError(.internalError, "a record of source \(source.uuidString.lowercased()) cannot be read")
            }
            out.append(MatchInput(id: id, amount: units, day: Int32(truncatingIfNeeded: day), currency: currency, reference: r.string(4),
                                  description: r.string(5), counterparty: r.string(6)))
        }
        return out
    }

    /// A record as the matcher reads it, from columns named `prefix` + id, day, amount, ...
    static func input(_ row: PostgresRow, _ prefix: String = "") throws -> MatchInput {
        let text: String = try row.decode(prefix + "amount")
        guard let amount = Amounts.units(text) else { throw AppError(.internalError, "amount \(text) out of range") }
        return MatchInput(id: Int64(try row.decode(prefix + "id", as: Int.self)), amount: amount, day: Int32(try row.decode(prefix + "day", as: Int.self)),
                          currency: try row.decode(prefix + "currency"), reference: try row.decode(prefix + "reference"),
                          description: try row.decode(prefix + "description"), counterparty: try row.decode(prefix + "counterparty"))
    }

    /// Most labelled pairs a job reads from its project's earlier reviews.
    static let maxLabelledPairs = 20_000

    static func reviewFeedback(_ tx: Transaction, project: UUID, job: UUID) throws -> ReviewFeedback {
        var feedback = ReviewFeedback()
        for row in try tx.query(ReconciliationJobRepository.reviewedPairs(project: project, except: job, limit: maxLabelledPairs)) {
            let pair = ReviewFeedback.Pair(left: try input(row, "l_"), right: try input(row, "r_"))
            if try row.decode("status", as: String.self) == "confirmed" { feedback.confirmed.append(pair) } else { feedback.rejected.append(pair) }
        }
        return feedback
    }

    /// numeric(5,4) text: the confidence in 1e-4 units, rounded down.
    static func confidenceText(_ c: Double) -> String { Amounts.text(Int64((min(1, max(0, c)) * 10_000).rounded(.down))) }

    /// The signals as the match's details, as bytes (one per match, up to millions per job).
    /// Field, level and level names are the matcher's own identifiers (no quoting needed); the
    /// numbers are rounded to 1e-3 by the matcher and written in their shortest form.
    static func detailsJSON(_ s: MatchSignals) -> [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(512)
        b.append(contentsOf: #"{"amount_difference":""#.utf8)
        b.append(contentsOf: Amounts.text(s.amountDifference).utf8)
        b.append(contentsOf: #"","date_distance_business_days":"#.utf8)
        CopyRowBuilder.appendDecimal(Int64(s.dateDistance), to: &b)
        b.append(contentsOf: #","reference":""#.utf8)
        b.append(contentsOf: s.reference.utf8)
        b.append(contentsOf: #"","counterparty_similarity":"#.utf8)
        if let c = s.counterparty { appendMilli(c, to: &b) } else { b.append(contentsOf: "null".utf8) }
        b.append(contentsOf: #","score":"#.utf8)
        appendMilli(s.score, to: &b)
        b.append(contentsOf: #","competitors":"#.utf8)
        CopyRowBuilder.appendDecimal(Int64(s.competitors), to: &b)
        b.append(contentsOf: #","contributions":["#.utf8)
        for (i, c) in s.contributions.enumerated() {
            if i > 0 { b.append(UInt8(ascii: ",")) }
            b.append(contentsOf: #"{"field":""#.utf8)
            b.append(contentsOf: c.field.utf8)
            b.append(contentsOf: #"","level":""#.utf8)
            b.append(contentsOf: c.level.utf8)
            b.append(contentsOf: #"","weight":"#.utf8)
            appendMilli(c.weight, to: &b)
            b.append(UInt8(ascii: "}"))
        }
        b.append(contentsOf: "]}".utf8)
        return b
    }

    /// A number to three decimals in its shortest form ("3.25", "-1", "0.004"); null when not
    /// finite (JSON has no infinity).
    static func appendMilli(_ v: Double, to b: inout [UInt8]) {
        guard v.isFinite, abs(v) < 1e15 else { b.append(contentsOf: "null".utf8); return }
        let n = Int64((v * 1000).rounded())
        if n < 0 { b.append(UInt8(ascii: "-")) }
        let m = Int64(n.magnitude)
        CopyRowBuilder.appendDecimal(m / 1000, to: &b)
        var fraction = m % 1000
        guard fraction != 0 else { return }
        var digits = 3
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        b.append(UInt8(ascii: "."))
        let text = String(fraction)
        b.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits - text.utf8.count))
        b.append(contentsOf: text.utf8)
    }
}
