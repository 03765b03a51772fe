import Foundation
import Testing
import Glibc
import Synchronization

/// The HTTP core's defects found from outside, each driven over real sockets against the real
/// binary: pipelining under back-pressure, early refusals, deadlines, budgets, the port.
@Suite struct HTTPCoreTests {
    /// Reads responses until `count` arrived or the connection stops delivering.
    func readResponses(_ c: RawConnection, _ count: Int) -> Int {
        var n = 0
        while n < count, (try? c.readResponse()) != nil { n += 1 }
        return n
    }

    @Test func pipelinedBurstsToInlineRoutesAreAllAnswered() throws {
        let server = try ServerProcess(["RATE_LIMIT_ENABLED": "false"])
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send(String(repeating: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", count: 600))
        #expect(readResponses(c, 600) == 600)
        let m = try RawConnection(port: server.port)
        try m.send(String(repeating: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", count: 2_000))
        #expect(readResponses(m, 2_000) == 2_000)
    }

    @Test func pipelinedRequestsFromASlowReaderAreAllAnswered() throws {
        let server = try ServerProcess(["RATE_LIMIT_ENABLED": "false"])
        defer { server.stop() }
        let c = try RawConnection(port: server.port, receiveBuffer: 4096)
        let total = 17_000
        let payload = Array(String(repeating: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", count: total).utf8)
        // The server stops reading while its output is backed up, so the send blocks: send
        // from another thread and start reading only after a second.
        let fd = c.fd
        let sender = Thread {
            var off = 0
            while off < payload.count {
                let n = payload[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return }
                off += n
            }
        }
        sender.start()
        sleep(1)
        #expect(readResponses(c, total) == total)
    }

    @Test func randomBytesAreRefusedAtOnce() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        var rng = SystemRandomNumberGenerator()
        let c = try RawConnection(port: server.port, timeout: 3)
        let start = Date()
        // A first byte that can start no method, then noise.
        try c.send([0x01] + (0..<511).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let r = try c.readResponse()
        #expect(r.status == 400)
        #expect(Date().timeIntervalSince(start) < 1.0, "not after the 10 s header timeout")
        #expect(c.isClosedByPeer())
    }

    @Test func requestPastItsDeadlineGets504AndItsStatementIsCancelled() throws {
        let server = try ServerProcess(["REQUEST_TIMEOUT": "1s", "WORKER_THREADS": "1", "DB_POOL_SIZE": "1", "DB_POOL_MAX_OVERFLOW": "0"])
        defer { server.stop() }
        let start = Date()
        let r = try server.request("GET", "/__test/db/sleep?ms=20000")
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == 504)
        #expect((r.json?["error"] as? [String: Any])?["code"] as? String == "TIMEOUT_ERROR")
        #expect(elapsed >= 0.9 && elapsed < 3)
        // The only worker and the only connection are free again at once: the statement was
        // cancelled, not left to run its 20 s.
        let after = Date()
        #expect(try server.request("GET", "/__test/db/pid").status == 200)
        #expect(Date().timeIntervalSince(after) < 2)
    }

    @Test func aBusyPortStopsStartUpUnlessReusePortIsAsked() throws {
        let first = try ServerProcess()
        defer { first.stop() }
        do {
            let second = try ServerProcess(["PORT": String(first.port)])
            second.stop()
            Issue.record("a second server started on a port in use")
        } catch let e as E2EError {
            #expect(e.description.contains("in use"))
        }
        let sharing = try ServerProcess(["PORT": String(first.port), "REUSE_PORT": "true"])
        #expect(sharing.stop() == 0)
    }

    @Test func refusalsAreLoggedWithTheirClientAndMethodAndCarryCORS() throws {
        let server = try ServerProcess(["CORS_ALLOWED_ORIGINS": "https://app.example", "MAX_HEADER_BYTES": "1024"])
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("PUT /api/v1/x HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 431)
        #expect(r.header("Access-Control-Allow-Origin") == "https://app.example")
        usleep(300_000)
        let line = server.log.split(separator: "\n").first { $0.contains("\"status\":431") }
        #expect(line?.contains("\"method\":\"PUT\"") == true && line?.contains("\"client\":\"127.0.0.1\"") == true, "\(String(describing: line))")
    }

    @Test func bodiesToInlineRoutesAreRefused() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try c.readResponse().status == 413)
    }

    @Test func newBodiesPastTheMemoryBudgetGet503() throws {
        let server = try ServerProcess(["BODY_MEMORY_BUDGET": "1048576"])
        defer { server.stop() }
        let a = try RawConnection(port: server.port)
        try a.send("POST /__test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n")
        try a.send([UInt8](repeating: 0x61, count: 900_000))
        usleep(200_000)
        let b = try RawConnection(port: server.port)
        try b.send("POST /__test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\nabc")
        let refused = try b.readResponse()
        #expect(refused.status == 503 && refused.header("Retry-After") == "1")
        try a.send([UInt8](repeating: 0x61, count: 100_000))
        #expect(try a.readResponse().status == 200, "the body already admitted completes")
        let c = try RawConnection(port: server.port)
        try c.send("POST /__test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n")
        try c.send([UInt8](repeating: 0x62, count: 500_000))
        #expect(try c.readResponse().status == 200, "the budget was given back")
    }
}

/// The admin API token over real sockets.
@Suite struct AdminTokenTests {
    @Test func adminRoutesAcceptOnlyTheConfiguredToken() throws {
        let token = "e2e-admin-token-0123456789abcdefghij"
        let server = try ServerProcess(["ADMIN_API_TOKEN": token])
        defer { server.stop() }
        let none = try server.request("GET", "/__test/admin")
        #expect(none.status == 401 && none.header("WWW-Authenticate") == "Bearer realm=\"apiserver\"")
        let wrong = try server.request("GET", "/__test/admin", headers: [("Authorization", "Bearer \(token.dropLast())")])
        #expect(wrong.status == 401 && wrong.header("WWW-Authenticate")?.contains("invalid_token") == true)
        let right = try server.request("GET", "/__test/admin", headers: [("Authorization", "Bearer \(token)")])
        #expect(right.status == 200)
        #expect((right.json?["data"] as? [String: Any])?["role"] as? String == "admin")
        usleep(300_000)
        #expect(!server.log.contains(token), "the token never reaches the log")
    }

    @Test func jobAdminRoutes() throws {
        let token = "e2e-admin-token-0123456789abcdefghij"
        let server = try ServerProcess(["ADMIN_API_TOKEN": token])
        defer { server.stop() }
        let auth = [("Authorization", "Bearer \(token)")]
        #expect(try server.request("GET", "/admin/jobs").status == 401)
        let list = try server.request("GET", "/admin/jobs?limit=5", headers: auth)
        #expect(list.status == 200 && list.json?["data"] is [Any])
        let bad = try server.request("GET", "/admin/jobs?status=bogus&limit=0&colour=red", headers: auth)
        let fields = ((bad.json?["error"] as? [String: Any])?["details"] as? [[String: Any]])?.compactMap { $0["field"] as? String }
        #expect(bad.status == 400 && Set(fields ?? []) == ["status", "limit", "colour"])
        #expect(try server.request("GET", "/admin/jobs/999999999", headers: auth).status == 404)
        #expect(try server.request("GET", "/admin/jobs/abc", headers: auth).status == 400)
        #expect(try server.request("POST", "/admin/jobs/999999999/cancel", headers: auth).status == 404)
    }
}

/// Trace context over real sockets: continued, returned, and in the log lines.
@Suite struct TracingTests {
    @Test func incomingTraceIsContinuedAndLogged() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let trace = "0af7651916cd43dd8448eb211c80319c"
        let r = try server.request("GET", "/__test/fail", headers: [("traceparent", "00-\(trace)-b7ad6b7169203331-01")])
        #expect(r.status == 500)
        let parts = r.header("traceparent")?.split(separator: "-") ?? []
        #expect(parts.count == 4 && parts[1] == trace && parts[2] != "b7ad6b7169203331")
        usleep(300_000)
        let lines = server.log.split(separator: "\n").filter { $0.contains(trace) }
        #expect(lines.contains { $0.contains("\"msg\":\"request\"") }, "the access line")
        #expect(lines.contains { $0.contains("unhandled error") && $0.contains("\"span_id\":\"\(parts[2])\"") }, "the error line")
    }
}

/// Rate limits shared by two real server instances through the real Redis.
@Suite struct SharedRateLimitTests {
    static func metric(_ server: ServerProcess, _ name: String) throws -> Double {
        let line = try server.request("GET", "/metrics").text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
    }

    @Test func redisKilledAndRestartedUnderLoad() throws {
        let redis = RedisProcess()
        try redis.start()
        let server = try ServerProcess(["RATE_LIMIT_BACKEND": "redis", "REDIS_URL": redis.url, "RATE_LIMIT_RPS": "100000",
                                        "RATE_LIMIT_BURST": "100000"])
        defer { server.stop() }
        let port = server.port
        let statuses = Mutex<[Int: Int]>([:])
        let stop = Mutex(false)
        let load = Thread {
            guard let c = try? RawConnection(port: port, timeout: 5) else { return }
            while !stop.withLock({ $0 }) {
                guard (try? c.send("GET /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n")) != nil,
                      let r = try? c.readResponse() else { statuses.withLock { $0[-1, default: 0] += 1 }; return }
                statuses.withLock { $0[r.status, default: 0] += 1 }
            }
        }
        load.start()
        usleep(500_000)
        #expect(try Self.metric(server, "rate_limit_backend_checks_total") > 0)
        redis.kill()
        usleep(1_000_000)
        let fallbacks = try Self.metric(server, "rate_limit_backend_fallbacks_total")
        #expect(fallbacks > 0, "checks fell back to memory while Redis was gone")
        try redis.start()
        usleep(2_000_000)
        let checks = try Self.metric(server, "rate_limit_backend_checks_total")
        usleep(500_000)
        #expect(try Self.metric(server, "rate_limit_backend_checks_total") > checks, "back on Redis by itself")
        stop.withLock { $0 = true }
        usleep(200_000)
        let seen = statuses.withLock { $0 }
        #expect(seen.keys.allSatisfy { $0 == 200 }, "every request answered 200 throughout: \(seen)")
        #expect((seen[200] ?? 0) > 100)
    }

    @Test func twoInstancesOnOneRedisShareOneBurst() throws {
        guard let redis = ProcessInfo.processInfo.environment["REDIS_URL"] else { return }
        let env = ["RATE_LIMIT_BACKEND": "redis", "REDIS_URL": redis, "RATE_LIMIT_RPS": "0.001", "RATE_LIMIT_BURST": "4"]
        let a = try ServerProcess(env), b = try ServerProcess(env)
        defer {
            a.stop()
            b.stop()
        }
        // A client address of this run's own, so no earlier run's bucket is reused.
        let client = "127.0.\(Int.random(in: 1...250)).\(Int.random(in: 2...250))"
        var statuses: [Int] = []
        for i in 0..<10 {
            let c = try RawConnection(port: (i % 2 == 0 ? a : b).port, source: client)
            try c.send("GET /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
            statuses.append(try c.readResponse().status)
        }
        #expect(statuses.filter { $0 == 200 }.count == 4, "\(statuses)")
        #expect(statuses.filter { $0 == 429 }.count == 6)
        let metrics = try a.request("GET", "/metrics").text
        #expect(metrics.contains("rate_limit_backend_checks_total"))
    }
}

/// The contract and its reference page, served by the real binary.
@Suite struct APIDocsTests {
    @Test func openAPIDocumentAndReferencePage() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let spec = try server.request("GET", "/api/v1/openapi.json")
        #expect(spec.status == 200 && spec.json?["openapi"] as? String == "3.1.0")
        let ops = (spec.json?["paths"] as? [String: Any])?["/admin/jobs/{id}/cancel"] as? [String: Any]
        #expect((ops?["post"] as? [String: Any])?["security"] != nil)
        let page = try server.request("GET", "/docs")
        #expect(page.status == 200 && page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.text.contains("/admin/jobs/:id/cancel") && !page.text.contains("<script") && !page.text.contains("src=\"http") && !page.text.contains("href=\"http"))
        // A client can program from it: every property says what it means, every operation has
        // a curl example, its JSON body and response an example, and its errors by status.
        var undescribed = Set<String>()
        func walk(_ schema: Any?, _ at: String) {
            guard let s = schema as? [String: Any] else { return }
            for (name, property) in s["properties"] as? [String: Any] ?? [:] {
                let p = property as? [String: Any] ?? [:]
                if (p["description"] as? String ?? "").isEmpty { undescribed.insert(name) }
                walk(p, at)
            }
            walk(s["items"], at)
            for option in s["anyOf"] as? [Any] ?? [] { walk(option, at) }
        }
        var missingExamples: [String] = []
        for (path, methods) in spec.json?["paths"] as? [String: Any] ?? [:] {
            for (method, raw) in methods as? [String: Any] ?? [:] {
                let op = raw as? [String: Any] ?? [:]
                let where_ = "\(method.uppercased()) \(path)"
                if (op["x-curl"] as? String ?? "").isEmpty { missingExamples.append(where_ + " curl") }
                if let json = ((op["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any] {
                    walk(json["schema"], where_)
                    if json["example"] == nil { missingExamples.append(where_ + " body") }
                }
                let responses = op["responses"] as? [String: Any] ?? [:]
                for (status, r) in responses where status.hasPrefix("2") {
                    if let json = ((r as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any],
                       let data = ((json["schema"] as? [String: Any])?["properties"] as? [String: Any])?["data"] {
                        walk(data, where_)
                        if json["example"] == nil { missingExamples.append(where_ + " response") }
                    }
                }
                if op["security"] as? [Any] != nil, !(op["security"] as! [Any]).isEmpty, responses["401"] == nil { missingExamples.append(where_ + " 401") }
            }
        }
        #expect(undescribed.isEmpty, "properties without a description: \(undescribed.sorted())")
        #expect(missingExamples.isEmpty, "\(missingExamples.sorted())")
        #expect((spec.json?["servers"] as? [[String: Any]])?.isEmpty == false)
        // The root and the API's base path lead a person to the reference.
        for path in ["/", "/api/v1"] {
            let r = try server.request("GET", path)
            #expect(r.status == 302 && r.header("Location") == "/docs", "\(path): \(r.status)")
        }
    }
}
