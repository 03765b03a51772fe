import Foundation
import Reconciliation
import ReconciliationFixtures
import Testing

/// The matcher's quality where a client sees it: an independent development set
/// (`Fixtures/recon-dev`, a copy of ../shared/recon-dev/dev_10k_a with its own scorer) driven
/// through the HTTP API, and a project that learns from its reviewers.
@Suite(.serialized) struct ReconciliationQualityTests {
    typealias C = ReconciliationClient

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/recon-dev")
    static let plainMapping = #"{"id":"id","date":"date","amount":"amount","currency":"currency","reference":"reference","description":"description","counterparty":"counterparty"}"#

    /// Runs `score.py` (the set's own scorer) on an export; its last line is the summary.
    static func score(truth: URL, export: [UInt8]) throws -> [String: Double] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recon-export-\(UUID().uuidString).json")
        try Data(export).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", fixtures.appendingPathComponent("score.py").path, "--truth", truth.path, "--pred", file.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        print(output)
        var summary: [String: Double] = [:]
        for part in (output.split(separator: "\n").last ?? "").split(separator: " ") {
            let kv = part.split(separator: "=")
            if kv.count == 2, let v = Double(kv[1]) { summary[String(kv[0])] = v }
        }
        if let line = output.split(separator: "\n").first(where: { $0.contains("double-booked records:") }),
           let n = line.components(separatedBy: "double-booked records: ").last?.split(separator: " ").first, let v = Double(n) {
            summary["double_booked"] = v
        }
        return summary
    }

    @Test func anIndependentDevelopmentSetScoresOverHTTP() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try ReconciliationE2ETests.server(url)
        defer { s.stop() }
        let client = try C.user(s, "reviewer@example.com")
        let p = try client.project("dev_10k_a")
        let set = Self.fixtures.appendingPathComponent("dev_10k_a")
        let left = try client.source(p, "ledger", kind: "ledger", mapping: Self.plainMapping)
        let right = try client.source(p, "bank", kind: "bank", mapping: Self.plainMapping)
        for (source, file) in [(left, "left.csv"), (right, "right.csv")] {
            let r = try client.upload(p, source, [UInt8](try Data(contentsOf: set.appendingPathComponent(file))))
            #expect(r.status == 201, "\(r.text.prefix(300))")
        }
        let id = try client.startJob(p, left: left, right: right)
        let job = try client.waitForJob(p, id, timeout: 180)
        #expect(job["status"] as? String == "completed", "\(job)")
        // The model the job estimated is stored with it: every field's levels with m, u and weight.
        let model = job["model"] as? [String: Any] ?? [:]
        let fields = model["fields"] as? [[String: Any]] ?? []
        #expect(fields.map { $0["field"] as? String ?? "" } == ["amount", "date", "reference", "counterparty"], "\(model)")
        #expect((model["candidate_pairs"] as? Int ?? 0) > 10_000 && (model["match_share"] as? Double ?? 0) > 0)
        #expect((job["stats"] as? [String: Any])?["duplicates_right"] as? Int ?? 0 >= 20, "the set's overlapping statement rows")
        // Both sides' totals, and finished_at is when the results were committed: at least the
        // phases' time after the start (it was the store transaction's start before).
        let stats = job["stats"] as? [String: Int] ?? [:]
        #expect((job["records"] as? [String: Int]).map { [$0["left"], $0["right"]] } == [stats["left_records"], stats["right_records"]])
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let started = (job["started_at"] as? String).flatMap(iso.date), let finished = (job["finished_at"] as? String).flatMap(iso.date) {
            let phases = Double((stats["load_ms"] ?? 0) + (stats["match_ms"] ?? 0) + (stats["store_ms"] ?? 0)) / 1000
            #expect(finished.timeIntervalSince(started) >= phases - 0.05, "finished \(finished.timeIntervalSince(started)) s after the start, phases took \(phases) s")
        } else {
            Issue.record("job times unreadable: \(job["started_at"] ?? "-") \(job["finished_at"] ?? "-")")
        }
        // Every pair says why it scored as it did.
        let page = C.list(try client.call("GET", "/api/v1/projects/\(p)/reconciliation-jobs/\(id)/matches?type=tolerant&limit=5"))
        let contributions = page.compactMap { ($0["signals"] as? [String: Any])?["contributions"] as? [[String: Any]] }
        #expect(page.count == 5 && contributions.count == page.count && contributions.allSatisfy { $0.count == 4 }, "\(page.first ?? [:])")
        let export = try client.call("GET", "/api/v1/projects/\(p)/reconciliation-jobs/\(id)/export?format=json")
        #expect(export.status == 200)
        let duplicates = (export.json?["duplicates"] as? [[String: Any]]) ?? []
        #expect(duplicates.count >= 20 && duplicates.allSatisfy { $0["side"] as? String == "right" && $0["duplicate_of"] is String })
        let score = try Self.score(truth: set.appendingPathComponent("truth.csv"), export: export.body)
        #expect(score["F1"] ?? 0 >= 0.97, "\(score)")
        #expect(score["precision"] ?? 0 >= 0.99, "\(score)")
        #expect(score["double_booked"] == 0, "\(score)")
    }

    /// After a reviewer rejects the decoys of one job and pairs the true records by hand, a
    /// second job of the same project on new books scores higher than the same job on a fresh
    /// project (books where the evidence alone misleads: `MisleadingBooks`).
    @Test func aProjectLearnsFromItsReviewers() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try ReconciliationE2ETests.server(url)
        defer { s.stop() }
        let client = try C.user(s, "reviewer@example.com")
        let mapping = #"{"id":"id","date":"date","amount":"amount","currency":"currency"}"#
        func run(_ project: String, _ books: MisleadingBooks, _ name: String) throws -> (job: String, f1: Double) {
            let left = try client.source(project, "ledger \(name)", kind: "ledger", mapping: mapping)
            let right = try client.source(project, "bank \(name)", kind: "bank", mapping: mapping)
            #expect(try client.upload(project, left, MisleadingBooks.csv(books.left)).status == 201)
            #expect(try client.upload(project, right, MisleadingBooks.csv(books.right)).status == 201)
            let id = try client.startJob(project, left: left, right: right)
            #expect(try client.waitForJob(project, id)["status"] as? String == "completed")
            let export = try client.call("GET", "/api/v1/projects/\(project)/reconciliation-jobs/\(id)/export?format=json")
            let predicted = Set((export.json?["matches"] as? [[String: Any]] ?? []).flatMap { m in
                (m["left_ids"] as? [String] ?? []).flatMap { l in (m["right_ids"] as? [String] ?? []).map { [Int64(l) ?? -1, Int64($0) ?? -1] } }
            })
            let correct = Double(predicted.intersection(books.truth).count)
            return (id, correct == 0 ? 0 : 2 * correct / Double(predicted.count + books.truth.count))
        }
        let taught = try client.project("taught")
        let first = MisleadingBooks(seed: 1, count: 200, idBase: 0)
        let (firstJob, firstF1) = try run(taught, first, "march")
        // The reviewer rejects every proposed match that is wrong and pairs the true records by hand.
        let base = "/api/v1/projects/\(taught)/reconciliation-jobs/\(firstJob)"
        for m in C.list(try client.call("GET", "\(base)/matches?limit=500")) {
            let l = (m["left"] as? [[String: Any]] ?? []).compactMap { Int64($0["external_id"] as? String ?? "") }
            let r = (m["right"] as? [[String: Any]] ?? []).compactMap { Int64($0["external_id"] as? String ?? "") }
            if l.count == 1 && r.count == 1 && !first.truth.contains([l[0], r[0]]) {
                #expect(try client.call("PATCH", "\(base)/matches/\(m["id"] as? String ?? "")", json: #"{"status":"rejected"}"#).status == 200)
            }
        }
        for t in first.truth.sorted(by: { $0[0] < $1[0] }) {
            let r = try client.call("POST", "\(base)/matches", json: #"{"left_ids":["\#(t[0])"],"right_ids":["\#(t[1])"]}"#)
            #expect(r.status == 201, "\(r.text.prefix(200))")
        }
        let second = MisleadingBooks(seed: 2, count: 200, idBase: 1_000_000)
        let (secondJob, learned) = try run(taught, second, "april")
        let (_, fresh) = try run(try client.project("fresh"), second, "april")
        #expect(learned > fresh + 0.2, "F1 after review \(learned), on a fresh project \(fresh) (first job \(firstF1))")
        let labelled = (try client.job(taught, secondJob)["model"] as? [String: Any])?["labelled_pairs"] as? Int ?? 0
        #expect(labelled >= first.truth.count, "labelled pairs \(labelled)")
    }
}
