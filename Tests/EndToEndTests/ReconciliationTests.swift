import Crypto
import Foundation
import Synchronization
import Glibc
import ReconciliationFixtures
import Testing

/// Reconciliation end to end: the real binary, a fresh database, HTTP over sockets.
@Suite(.serialized) struct ReconciliationE2ETests {
    typealias C = ReconciliationClient

    static func server(_ url: String, _ env: [String: String] = [:]) throws -> ServerProcess {
        try AccountsTests.server(url, ["JOB_POLL_INTERVAL": "100ms"].merging(env) { _, new in new })
    }

    static func count(_ url: String, _ sql: String) throws -> Int { Int(try DatabaseTests.psql(url, sql).split(separator: "\n").first ?? "") ?? -1 }

    @Test func sourcesValidateTheirMappingAndUploadsAreWholeOrNothing() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url, ["UPLOAD_MAX_BYTES": "300000"])
        defer { s.stop() }
        let owner = try C.user(s, "owner@example.com")
        let p = try owner.project("books")
        let sources = "/api/v1/projects/\(p)/sources"
        // Mapping and options are checked field by field.
        for (body, field) in [
            (#"{"name":"x","kind":"bank","mapping":{"amount":"a"},"options":{"default_currency":"EUR"}}"#, "mapping.date"),
            (#"{"name":"x","kind":"bank","mapping":{"date":"d","amount":"a","colour":"c"},"options":{"default_currency":"EUR"}}"#, "mapping.colour"),
            (#"{"name":"x","kind":"bank","mapping":{"date":"d","amount":"a"}}"#, "options.default_currency"),
            (#"{"name":"x","kind":"bank","mapping":{"date":"d","amount":"a"},"options":{"default_currency":"EUR","date_format":"yyyy"}}"#, "options.date_format"),
            (#"{"name":"x","kind":"bank","mapping":{"date":"d","amount":"a"},"options":{"default_currency":"EUR","tz":"UTC"}}"#, "options.tz"),
            (#"{"name":"x","kind":"vault","mapping":{"date":"d","amount":"a","currency":"c"}}"#, "kind"),
            (#"{"name":null,"kind":"bank","mapping":{"date":"d","amount":"a","currency":"c"}}"#, "name"),
        ] {
            let r = try owner.call("POST", sources, json: body)
            let fields = (r.json?["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []
            #expect(r.status == 400 && fields.contains { $0["field"] as? String == field }, "\(body): \(r.text)")
        }
        let ledger = try owner.source(p, "ledger", kind: "ledger", mapping: C.ledgerMapping)
        #expect(try owner.call("POST", sources, json: #"{"name":"LEDGER","kind":"bank","mapping":\#(C.ledgerMapping)}"#).status == 409)
        let data = SyntheticGenerator.make(count: 300, seed: 3)
        let good = SyntheticCSV.ledger(data.left)

        // Bad rows: 400 naming line and column, nothing stored (not even the good rows).
        var bad = String(decoding: good, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        bad[5] = "X5,2025-02-30,10.00,USD,,,"
        bad[9] = "X9,2025-02-03,ten,USD,,,"
        let refused = try owner.upload(p, ledger, Array(bad.joined(separator: "\n").utf8))
        let details = (refused.json?["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []
        #expect(refused.status == 400 && details.count == 2, "\(refused.text)")
        #expect(details.first?["field"] as? String == "line 6, column date" && details.last?["field"] as? String == "line 10, column amount")
        #expect(try Self.count(url, "SELECT count(*) FROM reconciliation_records") == 0)
        #expect(try Self.count(url, "SELECT count(*) FROM uploaded_files") == 0)

        // A client that goes away half-way leaves nothing either.
        let c = try RawConnection(port: s.port)
        try c.send("POST /api/v1/projects/\(p)/sources/\(ledger)/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(owner.token!)\r\nContent-Type: text/csv\r\nContent-Length: \(good.count)\r\n\r\n")
        try c.send(Array(good.prefix(good.count / 2)))
        shutdown(c.fd, Int32(SHUT_RDWR))
        usleep(500_000)
        #expect(try Self.count(url, "SELECT count(*) FROM reconciliation_records") == 0)

        // The file whole; then the same file again: 409 naming the upload, unless replace=true.
        let first = try owner.upload(p, ledger, good, query: "?file_name=ledger-march.csv")
        #expect(first.status == 201, "\(first.text)")
        let firstID = C.data(first)["id"] as? String ?? ""
        #expect(C.data(first)["row_count"] as? Int == data.left.count && C.data(first)["file_name"] as? String == "ledger-march.csv")
        let again = try owner.upload(p, ledger, good)
        #expect(again.status == 409 && again.text.contains(firstID), "\(again.text)")
        let replaced = try owner.upload(p, ledger, good, query: "?replace=true")
        #expect(replaced.status == 201 && C.data(replaced)["replaced_upload_id"] as? String == firstID, "\(replaced.text)")
        #expect(try Self.count(url, "SELECT count(*) FROM reconciliation_records WHERE deleted_at IS NULL") == data.left.count)
        // Another file repeating ids already stored: 409, nothing added.
        let overlapping = Array((C.ledgerHeaderLine + "L1,2025-03-03,1.00,USD,,,\n").utf8)
        let clash = try owner.upload(p, ledger, overlapping)
        #expect(clash.status == 409 && clash.text.contains("line 2") && clash.text.contains("\"L1\\\" is already stored from upload"), "\(clash.text)")
        // Ids repeated inside one file: 400 naming the lines.
        let repeated = try owner.upload(p, ledger, Array((C.ledgerHeaderLine + "Z1,2025-03-03,1.00,USD,,,\nZ1,2025-03-04,2.00,USD,,,\n").utf8))
        #expect(repeated.status == 400 && repeated.text.contains("appears on lines 2, 3"), "\(repeated.text)")
        // A refused upload leaves no file behind (a direct upload's file row goes in first).
        #expect(try Self.count(url, "SELECT count(*) FROM uploaded_files WHERE status <> 'processed'") == 0)
        #expect(try Self.count(url, "SELECT count(*) FROM reconciliation_records WHERE deleted_at IS NULL") == data.left.count)

        // Multipart, the bank dialect; the preview stores nothing; wrong media type and size.
        let bank = try owner.source(p, "bank", kind: "bank", mapping: C.bankMapping)
        let preview = try owner.call("POST", "\(sources)/\(bank)/preview", contentType: "text/csv", body: SyntheticCSV.bank(data.right))
        let previewData = C.data(preview)
        #expect(preview.status == 200 && (previewData["rows"] as? [Any])?.count == 20, "\(preview.text.prefix(300))")
        #expect((previewData["dialect"] as? [String: Any])?["date_format"] as? String == "dmy-dot")
        #expect(try Self.count(url, "SELECT count(*) FROM reconciliation_records WHERE data_source_id = '\(bank)'") == 0)
        let boundary = "----e2e\(UInt32.random(in: 0...UInt32.max))"
        let multipart = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"statement.csv\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
            + SyntheticCSV.bank(data.right) + Array("\r\n--\(boundary)--\r\n".utf8)
        let mp = try owner.call("POST", "\(sources)/\(bank)/uploads", contentType: "multipart/form-data; boundary=\(boundary)", body: multipart)
        #expect(mp.status == 201 && C.data(mp)["file_name"] as? String == "statement.csv" && C.data(mp)["row_count"] as? Int == data.right.count, "\(mp.text)")
        #expect(try owner.upload(p, bank, SyntheticCSV.bank(data.right)).status == 409, "the same file as text/csv is the same file")
        #expect(try owner.call("POST", "\(sources)/\(bank)/uploads", contentType: "application/json", body: Array("{}".utf8)).status == 415)
        let big = Array(C.ledgerHeaderLine.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 400_000)
        #expect(try owner.upload(p, ledger, big).status == 413)
        // Sources list, one source with counts, rename, delete (its records retire).
        let listed = C.list(try owner.call("GET", sources))
        #expect(listed.count == 2 && listed.first?["record_count"] as? Int == data.left.count)
        let patched = try owner.call("PATCH", "\(sources)/\(bank)", json: #"{"name":"Bank (EUR)","options":{"sign_convention":"flipped"}}"#)
        #expect(patched.status == 200 && (C.data(patched)["options"] as? [String: Any])?["sign_convention"] as? String == "flipped")
        #expect(try owner.call("DELETE", "\(sources)/\(bank)").status == 200)
        #expect(try owner.call("GET", "\(sources)/\(bank)").status == 404)
        #expect(try Self.count(url, "SELECT count(*) FROM reconciliation_records WHERE data_source_id = '\(bank)' AND deleted_at IS NULL") == 0)
        #expect(try Self.count(url, "SELECT count(*) FROM audit_logs WHERE action LIKE 'reconciliation.%'") >= 6)
    }

    @Test func everyRouteAsksTheProjectPolicy() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        let owner = try C.user(s, "owner@example.com")
        let editor = try C.user(s, "editor@example.com"), viewer = try C.user(s, "viewer@example.com"), outsider = try C.user(s, "outsider@example.com")
        let anonymous = C(server: s, token: nil)
        let p = try owner.project("shared")
        try owner.addMember(p, email: "editor@example.com", role: "editor")
        try owner.addMember(p, email: "viewer@example.com", role: "viewer")
        let (left, right, data) = try editor.loadGenerated(p, count: 400)
        let job = try editor.startJob(p, left: left, right: right)
        #expect(try editor.waitForJob(p, job)["status"] as? String == "completed")
        let match = (C.list(try viewer.call("GET", "/api/v1/projects/\(p)/reconciliation-jobs/\(job)/matches?limit=1")).first?["id"] as? String) ?? ""
        #expect(!match.isEmpty)
        let base = "/api/v1/projects/\(p)"
        let jobBase = "\(base)/reconciliation-jobs/\(job)"
        let csv = Array((C.ledgerHeaderLine + "N1,2025-03-03,1.00,USD,,,\n").utf8)
        // (method, path, body, content type, needs write)
        let routes: [(String, String, [UInt8], String?, Bool)] = [
            ("GET", "\(base)/sources", [], nil, false),
            ("GET", "\(base)/sources/\(left)", [], nil, false),
            ("GET", "\(base)/sources/\(left)/uploads", [], nil, false),
            ("POST", "\(base)/sources/\(left)/preview", csv, "text/csv", false),
            ("GET", "\(base)/reconciliation-jobs", [], nil, false),
            ("GET", jobBase, [], nil, false),
            ("GET", "\(jobBase)/matches", [], nil, false),
            ("GET", "\(jobBase)/unmatched?side=right", [], nil, false),
            ("GET", "\(jobBase)/export?format=csv", [], nil, false),
            ("POST", "\(base)/sources", Array(#"{"name":"n\#(UInt16.random(in: 0...9999))","kind":"other","mapping":\#(C.ledgerMapping)}"#.utf8), "application/json", true),
            ("PATCH", "\(base)/sources/\(left)", Array(#"{"kind":"erp"}"#.utf8), "application/json", true),
            ("POST", "\(base)/sources/\(left)/uploads", csv, "text/csv", true),
            ("POST", "\(base)/reconciliation-jobs", Array(#"{"left_source_id":"\#(left)","right_source_id":"\#(right)","rules":{"allow_groups":false}}"#.utf8), "application/json", true),
            ("PATCH", "\(jobBase)/matches/\(match)", Array(#"{"status":"confirmed"}"#.utf8), "application/json", true),
            ("POST", "\(jobBase)/batch-resolve", Array(#"{"decisions":[{"match_id":"\#(match)","status":"proposed"}]}"#.utf8), "application/json", true),
            ("POST", "\(jobBase)/matches", Array(#"{"left_ids":["nope"],"right_ids":["nope"]}"#.utf8), "application/json", true),
            ("POST", "\(jobBase)/cancel", [], nil, true),
        ]
        for (method, path, body, type, writes) in routes {
            #expect(try anonymous.call(method, path, contentType: type, body: body).status == 401, "anonymous \(method) \(path)")
            #expect(try outsider.call(method, path, contentType: type, body: body).status == 404, "outsider \(method) \(path)")
            let asViewer = try viewer.call(method, path, contentType: type, body: body).status
            #expect(writes ? asViewer == 403 : asViewer == 200, "viewer \(method) \(path): \(asViewer)")
            // Editors pass the policy; what follows is the route's own answer, never 403/404.
            let asEditor = try editor.call(method, path, contentType: type, body: body)
            #expect(![401, 403, 404].contains(asEditor.status), "editor \(method) \(path): \(asEditor.status) \(asEditor.text.prefix(200))")
        }
        _ = data
    }

    @Test func jobResultsReviewAndExportRoundTrip() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        let editor = try C.user(s, "editor@example.com")
        let p = try editor.project("review")
        let (left, right, data) = try editor.loadGenerated(p, count: 2000, seed: 5)
        let id = try editor.startJob(p, left: left, right: right, extra: #","name":"March","confidence_threshold":0.8"#)
        let job = try editor.waitForJob(p, id)
        #expect(job["status"] as? String == "completed" && job["progress"] as? Int == 100, "\(job)")
        let counts = job["counts"] as? [String: Any] ?? [:]
        let stats = job["stats"] as? [String: Any] ?? [:]
        #expect((counts["pairs"] as? Int ?? 0) > 1500 && (counts["groups"] as? Int ?? 0) > 30, "\(counts)")
        #expect(stats["left_records"] as? Int == data.left.count && job["started_at"] is String && job["finished_at"] is String)
        #expect(job["total_records"] as? Int == data.left.count && job["records_processed"] as? Int == data.left.count)
        let base = "/api/v1/projects/\(p)/reconciliation-jobs/\(id)"

        // Every match, page by page in confidence order; no record twice.
        var all: [[String: Any]] = []
        var cursor = ""
        repeat {
            let r = try editor.call("GET", "\(base)/matches?limit=500\(cursor)")
            #expect(r.status == 200)
            all += C.list(r)
            cursor = ((r.json?["meta"] as? [String: Any])?["next_cursor"] as? String).map { "&cursor=\($0)" } ?? ""
        } while !cursor.isEmpty
        let confidences = all.map { $0["confidence"] as? Double ?? -1 }
        #expect(all.count == (counts["pairs"] as? Int ?? 0) + (counts["groups"] as? Int ?? 0))
        #expect(confidences == confidences.sorted(by: >) && confidences.allSatisfy { $0 >= 0.8 })
        func ids(_ m: [String: Any], _ side: String) -> [String] { (m[side] as? [[String: Any]] ?? []).compactMap { $0["external_id"] as? String } }
        let usedLeft = all.flatMap { ids($0, "left") }, usedRight = all.flatMap { ids($0, "right") }
        #expect(Set(usedLeft).count == usedLeft.count && Set(usedRight).count == usedRight.count)
        let predicted = Set(all.flatMap { m in ids(m, "left").flatMap { l in ids(m, "right").map { SyntheticDataset.Pair(l, $0) } } })
        let precision = Double(predicted.intersection(data.truth).count) / Double(predicted.count)
        #expect(precision >= 0.995, "precision \(precision) over HTTP")
        let groups = C.list(try editor.call("GET", "\(base)/matches?type=group&limit=5"))
        #expect(!groups.isEmpty && groups.allSatisfy { ["one_to_many", "many_to_one"].contains($0["type"] as? String ?? "") })
        #expect(try editor.call("GET", "\(base)/matches?min_confidence=2").status == 400)

        // Decisions: one, then a batch that fails as a whole, then one that applies.
        let a = all[0]["id"] as! String, b = all[1]["id"] as! String, c = all[2]["id"] as! String
        let one = try editor.call("PATCH", "\(base)/matches/\(a)", json: #"{"status":"confirmed","note":"checked against the statement"}"#)
        #expect(one.status == 200 && C.data(one)["status"] as? String == "confirmed" && C.data(one)["reviewed_by"] is String)
        let failing = try editor.call("POST", "\(base)/batch-resolve", json: #"{"decisions":[{"match_id":"\#(b)","status":"rejected"},{"match_id":"\#(UUID().uuidString)","status":"rejected"},{"match_id":"\#(c)","status":"maybe"}]}"#)
        let issues = (failing.json?["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []
        #expect(failing.status == 400 && issues.count == 1 && issues[0]["field"] as? String == "decisions[2].status", "\(failing.text)")
        let unknown = try editor.call("POST", "\(base)/batch-resolve", json: #"{"decisions":[{"match_id":"\#(b)","status":"rejected"},{"match_id":"\#(UUID().uuidString)","status":"rejected"}]}"#)
        #expect(unknown.status == 400 && unknown.text.contains("decisions[1].match_id"), "\(unknown.text)")
        #expect(try Self.count(url, "SELECT count(*) FROM matches WHERE status = 'rejected'") == 0, "all or nothing")
        let batch = try editor.call("POST", "\(base)/batch-resolve", json: #"{"decisions":[{"match_id":"\#(b)","status":"rejected","note":"wrong invoice"},{"match_id":"\#(c)","status":"confirmed"}]}"#)
        #expect(batch.status == 200 && C.data(batch)["resolved"] as? Int == 2)
        #expect(try Self.count(url, "SELECT count(*) FROM audit_logs WHERE action IN ('reconciliation.match_confirmed', 'reconciliation.match_rejected')") == 3)

        // The rejected match's records are unmatched again; match two of them by hand.
        var unmatchedLeft: [String] = [], unmatchedRight: [String] = []
        for (side, into) in [("left", 0), ("right", 1)] {
            var after = ""
            repeat {
                let r = try editor.call("GET", "\(base)/unmatched?side=\(side)&limit=1000\(after)")
                let page = C.list(r).compactMap { $0["external_id"] as? String }
                if into == 0 { unmatchedLeft += page } else { unmatchedRight += page }
                after = ((r.json?["meta"] as? [String: Any])?["next_cursor"] as? String).map { "&cursor=\($0)" } ?? ""
            } while !after.isEmpty
        }
        let rejected = all[1]
        #expect(ids(rejected, "left").allSatisfy(unmatchedLeft.contains) && ids(rejected, "right").allSatisfy(unmatchedRight.contains))
        #expect(unmatchedLeft.count == data.left.count - Set(usedLeft).count + ids(rejected, "left").count)
        let manual = try editor.call("POST", "\(base)/matches", json: #"{"left_ids":\#(jsonList(ids(rejected, "left"))),"right_ids":\#(jsonList(ids(rejected, "right"))),"note":"by hand"}"#)
        #expect(manual.status == 201 && C.data(manual)["type"] as? String == "manual" && C.data(manual)["status"] as? String == "confirmed", "\(manual.text)")
        let twice = try editor.call("POST", "\(base)/matches", json: #"{"left_ids":\#(jsonList(ids(all[0], "left"))),"right_ids":\#(jsonList([unmatchedRight.first!]))}"#)
        #expect(twice.status == 409, "a record already matched cannot be matched again: \(twice.text)")
        #expect(try editor.call("POST", "\(base)/matches", json: #"{"left_ids":["nope"],"right_ids":["B1"]}"#).status == 400)

        // Every paged route: 1-1000 and meta.limit with meta.next_cursor.
        for path in ["\(base)/matches?limit=1000", "\(base)/unmatched?side=left&limit=1000", "/api/v1/projects?limit=1000"] {
            let r = try editor.call("GET", path)
            let meta = r.json?["meta"] as? [String: Any] ?? [:]
            #expect(r.status == 200 && meta["limit"] as? Int == 1000 && meta.keys.contains("next_cursor"), "\(path): \(r.text.prefix(300))")
            #expect(try editor.call("GET", path.replacingOccurrences(of: "limit=1000", with: "limit=1001")).status == 400, "\(path)")
        }
        // Export: JSON and CSV say the same as the API, with the files' external ids.
        let exported = try editor.call("GET", "\(base)/export?format=json")
        #expect(exported.status == 200 && exported.header("Content-Disposition")?.contains(".json") == true)
        let doc = try JSONSerialization.jsonObject(with: Data(exported.body)) as? [String: Any] ?? [:]
        let exportedMatches = doc["matches"] as? [[String: Any]] ?? []
        #expect(exportedMatches.count == all.count, "rejected left out, manual added")
        let exportedPairs = Set(exportedMatches.flatMap { m in (m["left_ids"] as? [String] ?? []).flatMap { l in (m["right_ids"] as? [String] ?? []).map { "\(l)>\($0)" } } })
        var expectedPairs = Set(all.filter { $0["id"] as? String != b }.flatMap { m in ids(m, "left").flatMap { l in ids(m, "right").map { "\(l)>\($0)" } } })
        for l in ids(rejected, "left") { for r in ids(rejected, "right") { expectedPairs.insert("\(l)>\(r)") } }
        #expect(exportedPairs == expectedPairs)
        #expect(Set(doc["unmatched_left"] as? [String] ?? []) == Set(unmatchedLeft).subtracting(ids(rejected, "left")))
        let csv = try editor.call("GET", "\(base)/export?format=csv")
        let lines = csv.text.split(separator: "\r\n").dropFirst()
        #expect(csv.status == 200 && csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(lines.count == predictedRecords(exportedMatches) + (doc["unmatched_left"] as? [Any] ?? []).count + (doc["unmatched_right"] as? [Any] ?? []).count)
        var csvPairs: [String: (l: [String], r: [String])] = [:]
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f[2] != "" else { continue }
            if f[0] == "left" { csvPairs[f[2], default: ([], [])].l.append(f[1]) } else { csvPairs[f[2], default: ([], [])].r.append(f[1]) }
        }
        #expect(Set(csvPairs.values.flatMap { v in v.l.flatMap { l in v.r.map { "\(l)>\($0)" } } }) == exportedPairs)
        // Each CSV row carries its record as a person reviews it: date, amount, currency, texts.
        #expect(csv.text.hasPrefix("side,external_id,match_id,match_type,match_status,confidence,date,amount,currency,reference,counterparty,description\r\n"))
        let byID = Dictionary(uniqueKeysWithValues: data.left.map { ($0.id, $0) })
        var checked = 0
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f[0] == "left", let r = byID[f[1]], f.count >= 9 else { continue }
            let date = ISO8601DateFormatter.string(from: Date(timeIntervalSince1970: Double(r.day) * 86_400), timeZone: TimeZone(identifier: "UTC")!,
                                                    formatOptions: [.withFullDate])
            let m = r.amount.magnitude
            let amount = (r.amount < 0 ? "-" : "") + "\(m / 10_000)." + String(String(m % 10_000 + 10_000).dropFirst())
            #expect(f[6] == date && f[7] == amount && f[8] == r.currency, "\(line) against \(date) \(amount)")
            checked += 1
        }
        #expect(checked == data.left.count, "every ledger record, matched or not, with its fields")
        // gzip as it streams, when asked for: the same document.
        let gz = try editor.call("GET", "\(base)/export?format=json", headers: [("Accept-Encoding", "gzip")])
        #expect(gz.status == 200 && gz.header("Content-Encoding") == "gzip" && gz.body.count * 4 < exported.body.count, "\(gz.body.count) of \(exported.body.count)")
        #expect(try Gzip.decompress(gz.body, maxOutput: 1 << 26) == exported.body)
        #expect(exported.header("Content-Encoding") == nil && exported.header("Vary") == "Accept-Encoding")
        // What an operator sees.
        let metrics = try s.request("GET", "/metrics").text
        for line in ["reconciliation_uploads_total{outcome=\"stored\"} 2", "reconciliation_jobs_total{outcome=\"completed\"} 1",
                     "reconciliation_review_decisions_total{status=\"manual\"} 1", "reconciliation_review_decisions_total{status=\"rejected\"} 1"] {
            #expect(metrics.contains(line), "\(line)")
        }
        #expect(metrics.contains("reconciliation_matches_proposed_total{type=\"one_to_many\"}"))
    }

    /// Ten parallel manual matches of the same records: the database lets exactly one through.
    /// A rejected match whose records were matched again meanwhile cannot be revived.
    @Test func aRecordIsInAtMostOneLiveMatchUnderConcurrency() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        let editor = try C.user(s, "editor@example.com")
        let p = try editor.project("race")
        let (left, right, _) = try editor.loadGenerated(p, count: 500, seed: 3)
        let id = try editor.startJob(p, left: left, right: right)
        #expect(try editor.waitForJob(p, id)["status"] as? String == "completed")
        let base = "/api/v1/projects/\(p)/reconciliation-jobs/\(id)"
        let m = try #require(C.list(try editor.call("GET", "\(base)/matches?type=exact&limit=1")).first)
        func ids(_ side: String) -> String {
            "[" + (m[side] as? [[String: Any]] ?? []).compactMap { $0["external_id"] as? String }.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        }
        let matchID = m["id"] as? String ?? ""
        #expect(try editor.call("PATCH", "\(base)/matches/\(matchID)", json: #"{"status":"rejected"}"#).status == 200)
        let body = #"{"left_ids":\#(ids("left")),"right_ids":\#(ids("right"))}"#
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 10) { _ in
            let status = (try? editor.call("POST", "\(base)/matches", json: body).status) ?? -1
            statuses.withLock { $0.append(status) }
        }
        let all = statuses.withLock { $0 }
        #expect(all.filter { $0 == 201 }.count == 1 && all.filter { $0 == 409 }.count == 9, "\(all)")
        let revive = try editor.call("PATCH", "\(base)/matches/\(matchID)", json: #"{"status":"confirmed"}"#)
        #expect(revive.status == 409, "\(revive.text)")
        #expect(try Self.count(url, """
            SELECT count(*) FROM (SELECT i.record_id FROM match_items i JOIN matches x ON x.id = i.match_id
            WHERE x.job_id = '\(id)' AND x.status <> 'rejected' GROUP BY i.record_id HAVING count(*) > 1) d
            """) == 0)
    }

    func predictedRecords(_ matches: [[String: Any]]) -> Int {
        matches.reduce(0) { $0 + ($1["left_ids"] as? [Any] ?? []).count + ($1["right_ids"] as? [Any] ?? []).count }
    }

    func jsonList(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
}

extension ReconciliationClient {
    static let ledgerHeaderLine = SyntheticCSV.ledgerHeader + "\n"
}
