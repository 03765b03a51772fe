import Foundation
import Testing

/// The server against a real PostgreSQL: pool limits, failures and recovery, migrations.
@Suite struct DatabaseTests {
    static var databaseURL: String { ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "" }

    /// Runs a program and returns (status, stdout + stderr), with posix_spawn and waitpid.
    /// Foundation's Process can miss the exit of a child that started a daemon (the script
    /// that starts postgres), leaving a zombie and a hung test; waitpid cannot.
    @discardableResult
    static func run(_ path: String, _ args: [String], env: [String: String] = [:]) throws -> (Int32, String) {
        let outPath = NSTemporaryDirectory() + "e2e-run-" + UUID().uuidString
        defer { unlink(outPath) }
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let assignments = env.map { "\($0.key)=\(quote($0.value))" }.joined(separator: " ")
        let command = "\(assignments) \(([path] + args).map(quote).joined(separator: " ")) > \(quote(outPath)) 2>&1 < /dev/null"
        var argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { (s: String) in strdup(s) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else { throw E2EError("posix_spawn failed") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        return ((status >> 8) & 0xFF, output)
    }

    static func psql(_ url: String, _ sql: String) throws -> String {
        let (status, out) = try run("/usr/bin/psql", [url, "-tAc", sql])
        guard status == 0 else { throw E2EError("psql failed: \(out)") }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fresh, empty database on the test cluster; returns its URL.
    static func freshDatabase() throws -> String {
        let name = "e2e_" + UUID().uuidString.prefix(8).lowercased()
        _ = try psql(databaseURL, "CREATE DATABASE \(name)")
        return String(databaseURL[..<databaseURL.lastIndex(of: "/")!]) + "/" + name
    }

    /// A port nothing listens on right now: bind to port 0 and ask the kernel which it chose.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw E2EError("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func errorCode(_ r: WireResponse) -> String? { (r.json?["error"] as? [String: Any])?["code"] as? String }

    @Test func poolExhaustionGives503ThenRecovers() throws {
        let server = try ServerProcess(["DB_POOL_SIZE": "1", "DB_POOL_MAX_OVERFLOW": "0", "DB_POOL_TIMEOUT": "300ms"])
        defer { server.stop() }
        let holder = try RawConnection(port: server.port)
        try holder.send("GET /__test/db/sleep?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(300_000)
        let refused = try server.request("GET", "/__test/db/pid")
        #expect(refused.status == 503)
        #expect(Self.errorCode(refused) == "DATABASE_UNAVAILABLE")
        #expect(refused.header("Retry-After") == "1")
        #expect(try holder.readResponse().status == 200)
        #expect(try server.request("GET", "/__test/db/pid").status == 200, "recovers once the connection is back")
        let metrics = try server.request("GET", "/metrics").text
        #expect(metrics.contains("db_pool_checkout_timeouts_total 1"))
        #expect(metrics.contains("db_pool_connections{state=\"idle\"} 1"))
        #expect(metrics.contains("db_query_duration_seconds_count "))
        #expect(metrics.contains("db_pool_checkout_seconds_bucket{le=\"0.0001\"}"))
    }

    @Test func killedBackendIsReplacedAndTheNextRequestSucceeds() throws {
        let server = try ServerProcess(["DB_POOL_SIZE": "1", "DB_POOL_MAX_OVERFLOW": "0"])
        defer { server.stop() }
        let first = try server.request("GET", "/__test/db/pid")
        let pid = try #require((first.json?["data"] as? [String: Any])?["pid"] as? Int)
        #expect(try Self.psql(Self.databaseURL, "SELECT pg_terminate_backend(\(pid))") == "t")
        usleep(200_000)
        let next = try server.request("GET", "/__test/db/pid")
        #expect(next.status == 200)
        let newPID = (next.json?["data"] as? [String: Any])?["pid"] as? Int
        #expect(newPID != nil && newPID != pid)
    }

    @Test func survivesPostgresStopAndStart() throws {
        let script = try #require(ProcessInfo.processInfo.environment["APISERVER_PG_SCRIPT"], "run through scripts/test")
        let dir = NSTemporaryDirectory() + "e2e-pg-" + UUID().uuidString.prefix(8)
        let port = String(try Self.freePort())
        let (started, url) = try Self.run(script, ["start", dir, port, "--throwaway"])
        #expect(started == 0, "\(url)")
        defer {
            _ = try? Self.run(script, ["stop", dir, "immediate"])
            try? FileManager.default.removeItem(atPath: dir)
        }
        let dbURL = url.split(separator: "\n").last.map(String.init) ?? ""
        let server = try ServerProcess(["DATABASE_URL": dbURL, "DB_POOL_TIMEOUT": "500ms", "DB_CONNECT_TIMEOUT": "2s"])
        defer { server.stop() }
        #expect(try server.request("GET", "/ready").status == 200)
        #expect(try server.request("GET", "/__test/db/pid").status == 200)

        #expect(try Self.run(script, ["stop", dir, "fast"]).0 == 0)
        let down = try server.request("GET", "/__test/db/pid")
        #expect(down.status == 503 && Self.errorCode(down) == "DATABASE_UNAVAILABLE")
        let notReady = try server.request("GET", "/ready")
        #expect(notReady.status == 503)
        #expect(notReady.text.contains("\"database\":\"unreachable\""))
        #expect(try server.request("GET", "/health").status == 200, "liveness does not depend on the database")

        #expect(try Self.run(script, ["start", dir, port, "--throwaway"]).0 == 0)
        var recovered = false
        for _ in 0..<50 where !recovered {
            recovered = try server.request("GET", "/__test/db/pid").status == 200
            if !recovered { usleep(100_000) }
        }
        #expect(recovered, "requests succeed again without restarting the server")
        #expect(try server.request("GET", "/ready").status == 200)
        #expect(server.process.isRunning)
    }

    @Test func readinessReportsPendingMigrationsUntilMigrated() throws {
        let url = try Self.freshDatabase()
        let server = try ServerProcess(["DATABASE_URL": url, "MIGRATE_ON_START": "false"])
        defer { server.stop() }
        let pending = try server.request("GET", "/ready")
        #expect(pending.status == 503)
        #expect(pending.text.contains("migration 1 pending"))
        let (status, out) = try Self.run(ServerProcess.binaryPath, ["migrate", "--database-url", url],
                                         env: ["MIGRATIONS_DIR": ServerProcess.repositoryRoot + "/migrations"])
        #expect(status == 0, "\(out)")
        #expect(try server.request("GET", "/ready").status == 200)
    }

    @Test func concurrentMigrateProcessesApplyEachMigrationOnce() throws {
        let url = try Self.freshDatabase()
        let env = ["MIGRATIONS_DIR": ServerProcess.repositoryRoot + "/migrations"]
        let processes = (0..<3).map { _ -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath)
            p.arguments = ["migrate", "--database-url", url]
            var environment = ProcessInfo.processInfo.environment
            environment.merge(env) { _, new in new }
            p.environment = environment
            p.standardOutput = Pipe()
            p.standardError = Pipe()
            return p
        }
        for p in processes { try p.run() }
        for p in processes { p.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let files = try FileManager.default.contentsOfDirectory(atPath: ServerProcess.repositoryRoot + "/migrations").filter { $0.hasSuffix(".sql") }
        #expect(try Self.psql(url, "SELECT count(*) FROM schema_migrations") == String(files.count))
        let (status, listing) = try Self.run(ServerProcess.binaryPath, ["migrate", "--status", "--database-url", url], env: env)
        #expect(status == 0 && listing.contains("\tapplied\t"))
    }

    @Test func constraintViolationBecomes409WithoutInternals() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let r = try server.request("POST", "/__test/db/conflict")
        #expect(r.status == 409)
        #expect(Self.errorCode(r) == "CONFLICT")
        let details = (r.json?["error"] as? [String: Any])?["details"] as? [[String: String]]
        #expect(details?.first?["field"] == "email")
        #expect(!r.text.contains("a@example.com") && !r.text.contains("INSERT") && !r.text.contains("23505"))
        #expect(try server.request("GET", "/metrics").text.contains("db_transactions_total{outcome=\"rollback\"} 1"))
    }

    @Test func statementTimeoutBecomes504() throws {
        let server = try ServerProcess(["DB_STATEMENT_TIMEOUT": "200ms"])
        defer { server.stop() }
        let r = try server.request("GET", "/__test/db/sleep?ms=2000")
        #expect(r.status == 504 && Self.errorCode(r) == "TIMEOUT_ERROR")
        #expect(try server.request("GET", "/__test/db/pid").status == 200)
    }

    @Test func unreachableDatabaseAtStartWithMigrateOnStartExitsClearly() throws {
        let (status, out) = try Self.run(ServerProcess.binaryPath, ["serve", "--port", "0"], env: [
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "DB_CONNECT_TIMEOUT": "2s", "MIGRATE_ON_START": "true",
            "MIGRATIONS_DIR": ServerProcess.repositoryRoot + "/migrations"])
        #expect(status == 1)
        #expect(out.contains("migrations failed"))
        #expect(!out.contains("password"))
    }
}
