import Foundation
import Glibc
import ReconciliationFixtures
import Testing

/// Reconciliation jobs on the shared queue: cancel, timeout, a worker killed mid-job, two
/// instances sharing the queue; and a large upload in flat memory.
@Suite(.serialized) struct ReconciliationJobTests {
    typealias C = ReconciliationClient

    static func count(_ url: String, _ sql: String) throws -> Int { try ReconciliationE2ETests.count(url, sql) }

    /// Waits until the job runs and has made some progress matching.
    static func waitUntilMatching(_ client: C, _ p: String, _ id: String, timeout: TimeInterval = 60) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let j = try client.job(p, id)
            if j["status"] as? String == "running", (j["progress"] as? Int ?? 0) >= 5 { return true }
            if let s = j["status"] as? String, !["queued", "running"].contains(s) { return false }
            usleep(50_000)
        }
        return false
    }

    @Test func cancellingARunningJobStopsItWithinASecondAndStoresNothing() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try ReconciliationE2ETests.server(url)
        defer { s.stop() }
        let editor = try C.user(s, "editor@example.com")
        let p = try editor.project("cancel")
        let (left, right, _) = try editor.loadGenerated(p, count: 20_000)
        let id = try editor.startJob(p, left: left, right: right)
        #expect(try Self.waitUntilMatching(editor, p, id))
        let asked = Date()
        let r = try editor.call("POST", "/api/v1/projects/\(p)/reconciliation-jobs/\(id)/cancel")
        #expect(r.status == 200, "\(r.text)")
        let done = try editor.waitForJob(p, id, timeout: 10)
        let took = Date().timeIntervalSince(asked)
        #expect(done["status"] as? String == "cancelled" && took < 1.2, "\(done["status"] ?? "-") after \(took) s")
        print("cancel honoured after \(took) s")
        #expect(try Self.count(url, "SELECT count(*) FROM matches") == 0)
        #expect(try editor.call("POST", "/api/v1/projects/\(p)/reconciliation-jobs/\(id)/cancel").status == 409, "already cancelled")
        #expect(try editor.call("GET", "/api/v1/projects/\(p)/reconciliation-jobs/\(id)/export").status == 409)
        // A queued job is cancelled at once (no worker takes it).
        let s2 = try ReconciliationE2ETests.server(url, ["JOB_WORKERS": "0"])
        defer { s2.stop() }
        let queuedClient = C(server: s2, token: editor.token)
        s.stop()
        let queued = try queuedClient.startJob(p, left: left, right: right)
        #expect(try queuedClient.job(p, queued)["status"] as? String == "queued")
        #expect(try queuedClient.call("POST", "/api/v1/projects/\(p)/reconciliation-jobs/\(queued)/cancel").status == 200)
        #expect(try queuedClient.job(p, queued)["status"] as? String == "cancelled")
    }

    @Test func aJobPastRECON_JOB_TIMEOUTFails() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try ReconciliationE2ETests.server(url, ["RECON_JOB_TIMEOUT": "1s"])
        defer { s.stop() }
        let editor = try C.user(s, "editor@example.com")
        let p = try editor.project("timeout")
        let (left, right, _) = try editor.loadGenerated(p, count: 20_000)
        let id = try editor.startJob(p, left: left, right: right)
        let done = try editor.waitForJob(p, id, timeout: 30)
        #expect(done["status"] as? String == "failed" && (done["error"] as? String ?? "").contains("timed out"), "\(done)")
        #expect(try Self.count(url, "SELECT count(*) FROM matches") == 0)
    }

    @Test func aJobWhoseInstanceDiedIsRecoveredAndRunsToCompletionOnce() throws {
        let url = try DatabaseTests.freshDatabase()
        let env = ["JOB_HEARTBEAT_INTERVAL": "200ms", "JOB_STALE_AFTER": "1s"]
        let first = try ReconciliationE2ETests.server(url, env)
        let editor = try C.user(first, "editor@example.com")
        let p = try editor.project("recovery")
        let (left, right, _) = try editor.loadGenerated(p, count: 20_000)
        let id = try editor.startJob(p, left: left, right: right)
        #expect(try Self.waitUntilMatching(editor, p, id))
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let second = try ReconciliationE2ETests.server(url, env)
        defer { second.stop() }
        let client = C(server: second, token: editor.token)
        let done = try client.waitForJob(p, id, timeout: 90)
        #expect(done["status"] as? String == "completed", "\(done)")
        let run = try DatabaseTests.psql(url, "SELECT r.attempts || ',' || r.status FROM job_runs r JOIN reconciliation_jobs j ON j.run_id = r.id WHERE j.id = '\(id)'")
        #expect(run.hasPrefix("2,succeeded"), "\(run)")
        let matched = (done["stats"] as? [String: Any]).map { ($0["matched_pairs"] as? Int ?? 0) + ($0["matched_groups"] as? Int ?? 0) } ?? -1
        #expect(try Self.count(url, "SELECT count(*) FROM matches WHERE job_id = '\(id)'") == matched, "one set of results")
    }

    @Test func twoInstancesSharingTheQueueRunEachJobOnce() throws {
        let url = try DatabaseTests.freshDatabase()
        let a = try ReconciliationE2ETests.server(url), b = try ReconciliationE2ETests.server(url)
        defer { a.stop(); b.stop() }
        let editor = try C.user(a, "editor@example.com")
        let p = try editor.project("shared queue")
        let (left, right, _) = try editor.loadGenerated(p, count: 1500)
        let onB = C(server: b, token: editor.token)
        let ids = try (0..<6).map { i in try (i % 2 == 0 ? editor : onB).startJob(p, left: left, right: right) }
        for id in ids { #expect(try editor.waitForJob(p, id)["status"] as? String == "completed") }
        #expect(try Self.count(url, "SELECT count(*) FROM job_runs WHERE job = 'reconciliation' AND attempts = 1 AND status = 'succeeded'") == 6)
        #expect(try Self.count(url, "SELECT count(DISTINCT worker) FROM job_runs WHERE job = 'reconciliation'") >= 2, "both instances worked")
        let perJob = try DatabaseTests.psql(url, "SELECT string_agg(DISTINCT n::text, ',') FROM (SELECT count(*) AS n FROM matches GROUP BY job_id) c")
        #expect(!perJob.contains(","), "every job stored the same number of matches once: \(perJob)")
    }

    @Test func theDemoCommandSeedsAProjectWhoseJobTheServerRuns() throws {
        let url = try DatabaseTests.freshDatabase()
        let passwordFile = NSTemporaryDirectory() + "demo-password-" + UUID().uuidString
        defer { unlink(passwordFile) }
        let env = ["DATABASE_URL": url, "APP_ENV": "development", "MIGRATIONS_DIR": ServerProcess.repositoryRoot + "/migrations"]
        let (status, out) = try DatabaseTests.run(ServerProcess.binaryPath, ["demo", "--records", "300", "--password-out", passwordFile], env: env)
        #expect(status == 0 && out.contains("is queued"), "\(out)")
        let password = (try? String(contentsOfFile: passwordFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        #expect(password.count >= 12 && out.contains(password), "the password is printed once and written to the file")
        let again = try DatabaseTests.run(ServerProcess.binaryPath, ["demo"], env: env)
        #expect(again.0 == 0 && again.1.contains("already present"))
        let refused = try DatabaseTests.run(ServerProcess.binaryPath, ["demo", "--email", "x@example.com"], env: env.merging(["APP_ENV": "production"]) { _, n in n })
        #expect(refused.0 != 0)
        let s = try ReconciliationE2ETests.server(url)
        defer { s.stop() }
        let login = try AccountsTests.post(s, "/api/v1/auth/login", #"{"email":"demo@example.com","password":"\#(password)"}"#)
        let client = C(server: s, token: AccountsTests.data(login)["access_token"] as? String)
        let project = (C.list(try client.call("GET", "/api/v1/projects")).first?["id"] as? String) ?? ""
        let job = (C.list(try client.call("GET", "/api/v1/projects/\(project)/reconciliation-jobs")).first?["id"] as? String) ?? ""
        #expect(try client.waitForJob(project, job)["status"] as? String == "completed")
    }

    @Test func aLargeUploadIsParsedAsItArrivesInFlatMemory() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try ReconciliationE2ETests.server(url)
        defer { s.stop() }
        let editor = try C.user(s, "editor@example.com")
        let p = try editor.project("large")
        let ledger = try editor.source(p, "ledger", kind: "ledger", mapping: C.ledgerMapping)
        // ~20 MB: 250,000 rows, generated as they are sent.
        let rows = 250_000
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        func row(_ i: Int) -> String { "R\(i),2025-\(two(i % 12 + 1))-\(two(i % 28 + 1)),\(i % 100_000).\(i % 100 < 10 ? "0" : "")\(i % 100),USD,INV-\(i),Invoice \(i) for services rendered,Counterparty \(i % 5000) Ltd\n" }
        var total = C.ledgerHeaderLine.utf8.count
        for i in 0..<rows { total += row(i).utf8.count }
        let pid = s.process.processIdentifier
        _ = try editor.call("GET", "/api/v1/projects/\(p)/sources")
        let before = LargeStreamTests.procStatus(pid, "VmHWM")
        let c = try RawConnection(port: s.port, timeout: 300)
        try c.send("POST /api/v1/projects/\(p)/sources/\(ledger)/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(editor.token!)\r\nContent-Type: text/csv\r\nContent-Length: \(total)\r\n\r\n")
        var chunk = Array(C.ledgerHeaderLine.utf8)
        for i in 0..<rows {
            chunk += Array(row(i).utf8)
            if chunk.count > 256 * 1024 {
                try c.send(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try c.send(chunk)
        let r = try c.readResponse()
        #expect(r.status == 201 && (r.json?["data"] as? [String: Any])?["row_count"] as? Int == rows, "\(r.text.prefix(300))")
        let growthKB = LargeStreamTests.procStatus(pid, "VmHWM") - before
        #expect(growthKB < 16 * 1024, "peak RSS grew by \(growthKB) kB while \(total / 1_000_000) MB arrived")
        #expect(try Self.count(url, "SELECT count(*) FROM reconciliation_records") == rows)
    }
}
