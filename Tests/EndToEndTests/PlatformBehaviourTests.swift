import Foundation
import Testing

/// Middleware, operations and lifecycle of the real binary over real sockets.
@Suite struct PlatformBehaviourTests {
    @Test func securityHeadersAndRequestIDs() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let generated = try server.request("GET", "/api/v1/status")
        #expect(generated.status == 200)
        let id = try #require(generated.header("X-Request-ID"))
        #expect(id.count == 36)
        #expect((generated.json?["meta"] as? [String: Any])?["request_id"] as? String == id)
        for (name, value) in [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                              ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store")] {
            #expect(generated.header(name) == value, "\(name)")
        }
        #expect(generated.header("Content-Security-Policy") != nil)
        #expect(generated.header("Strict-Transport-Security") != nil)
        let echoed = try server.request("GET", "/api/v1/status", headers: [("X-Request-ID", "trace-abc.123")])
        #expect(echoed.header("X-Request-ID") == "trace-abc.123")
        // The id is in the access log line of that request.
        usleep(300_000)
        #expect(server.log.split(separator: "\n").contains { $0.contains("\"request_id\":\"trace-abc.123\"") && $0.contains("\"msg\":\"request\"") })
        let tooLong = try server.request("GET", "/health", headers: [("X-Request-ID", String(repeating: "z", count: 129))])
        #expect(tooLong.header("X-Request-ID")?.count == 36)
    }

    @Test func notFoundVersusMethodNotAllowed() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let nf = try server.request("GET", "/api/v1/nope")
        #expect(nf.status == 404 && (nf.json?["error"] as? [String: Any])?["code"] as? String == "NOT_FOUND")
        let mna = try server.request("DELETE", "/api/v1/status")
        #expect(mna.status == 405)
        #expect(mna.header("Allow") == "GET, HEAD, OPTIONS")
    }

    @Test func corsPreflightAllowedAndDenied() throws {
        let server = try ServerProcess(["CORS_ALLOWED_ORIGINS": "https://app.example"])
        defer { server.stop() }
        let ok = try server.request("OPTIONS", "/api/v1/status", headers: [
            ("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "Authorization")])
        #expect(ok.status == 204)
        #expect(ok.header("Access-Control-Allow-Origin") == "https://app.example")
        #expect(ok.header("Access-Control-Allow-Headers") == "Authorization")
        #expect(ok.header("Access-Control-Max-Age") == "600")
        let denied = try server.request("OPTIONS", "/api/v1/status", headers: [
            ("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
        #expect(denied.status == 403)
        #expect(denied.header("Access-Control-Allow-Origin") == nil)
        #expect(!denied.headers.contains { $0.0.lowercased().hasPrefix("access-control-") })
    }

    @Test func rateLimitAfterTheBurst() throws {
        let server = try ServerProcess(["RATE_LIMIT_RPS": "1", "RATE_LIMIT_BURST": "5"])
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        var statuses: [Int] = []
        var last: WireResponse? = nil
        for _ in 0..<7 {
            try c.send("GET /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            statuses.append(r.status)
            last = r
        }
        #expect(statuses == [200, 200, 200, 200, 200, 429, 429])
        let r = try #require(last)
        #expect((r.json?["error"] as? [String: Any])?["code"] as? String == "RATE_LIMITED")
        #expect(Int(r.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(r.header("RateLimit-Policy") == "\"default\";q=5;w=5")
        #expect(r.header("RateLimit")?.hasPrefix("\"default\";r=0;t=") == true)
        #expect(try server.request("GET", "/health").status == 200, "health is exempt")
        let metrics = try server.request("GET", "/metrics").text
        #expect(metrics.contains("rate_limit_rejections_total{policy=\"default\"} 2"))
    }

    @Test func metricsAreValidPrometheusTextWithRoutePatterns() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        _ = try server.request("GET", "/__test/items/12345")
        _ = try server.request("GET", "/__test/items/67890")
        _ = try server.request("GET", "/no/such/path")
        let r = try server.request("GET", "/metrics")
        #expect(r.status == 200)
        #expect(r.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = r.text
        #expect(text.contains("http_requests_total{method=\"GET\",route=\"/__test/items/:id\",status=\"200\"} 2"))
        #expect(!text.contains("12345"), "raw paths never become labels")
        #expect(text.contains("route=\"(unmatched)\""))
        for name in ["http_request_duration_seconds_bucket", "http_open_connections", "http_requests_in_flight",
                     "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
                     "process_start_time_seconds", "apiserver_build_info"] {
            #expect(text.contains(name), "\(name) missing")
        }
        guard FileManager.default.fileExists(atPath: "/usr/bin/promtool") else {
            if ProcessInfo.processInfo.environment["REQUIRE_PROMTOOL"] == "1" { Issue.record("promtool is required but missing") }
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        p.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        input.fileHandleForWriting.write(Data(r.body))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "promtool: \(report)")
    }

    @Test func unexpectedErrorIsGeneric500AndLoggedInFull() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let r = try server.request("GET", "/__test/fail")
        #expect(r.status == 500)
        #expect((r.json?["error"] as? [String: Any])?["code"] as? String == "INTERNAL_ERROR")
        #expect(!r.text.contains("SecretFailure") && !r.text.contains("must not reach"))
        usleep(300_000)
        let id = try #require(r.header("X-Request-ID"))
        #expect(server.log.split(separator: "\n").contains { $0.contains("unhandled error") && $0.contains(id) })
    }

    @Test func gracefulShutdownFinishesInFlightRequest() throws {
        let server = try ServerProcess()
        let slow = try RawConnection(port: server.port)
        try slow.send("GET /__test/sleep?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try RawConnection(port: server.port)
        try idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try idle.readResponse().status == 200)
        usleep(200_000)
        kill(server.process.processIdentifier, SIGTERM)
        #expect(idle.isClosedByPeer(), "idle keep-alive connections are closed at once")
        let r = try slow.readResponse()
        #expect(r.status == 200, "the in-flight request completes")
        #expect(r.header("Connection") == "close")
        #expect(server.stop() == 0, "exit status 0")
        #expect((try? RawConnection(port: server.port)) == nil, "no longer accepting")
        #expect(server.log.contains("\"drained\":\"true\""))
    }

    @Test func drainDelayKeepsServingWhileReadinessFails() throws {
        let server = try ServerProcess(["SHUTDOWN_DRAIN_DELAY": "1500ms"])
        let c = try RawConnection(port: server.port)
        try c.send("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 200)
        kill(server.process.processIdentifier, SIGTERM)
        usleep(300_000)
        try c.send("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n")
        let draining = try c.readResponse()
        #expect(draining.status == 503 && draining.text.contains("draining"), "load balancers see not-ready first")
        #expect(try server.request("GET", "/health").status == 200, "new connections are still served during the delay")
        #expect(server.stop() == 0)
    }

    @Test func shutdownTimeoutBoundsTheWait() throws {
        let server = try ServerProcess(["SHUTDOWN_TIMEOUT": "500ms"])
        let slow = try RawConnection(port: server.port)
        try slow.send("GET /__test/sleep?ms=5000 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(200_000)
        let start = Date()
        kill(server.process.processIdentifier, SIGTERM)
        #expect(server.stop(timeout: 10) == 0)
        // Exits at the timeout, not when the 5 s handler finishes.
        #expect(Date().timeIntervalSince(start) < 2.5)
        #expect(server.log.contains("\"drained\":\"false\""))
    }

    @Test func connectionLimitAnswers503UnlessIdleConnectionsCanMakeRoom() throws {
        let server = try ServerProcess(["MAX_CONNECTIONS": "2", "HTTP_THREADS": "1"])
        defer { server.stop() }
        // Two connections in the middle of a request: nothing can be reclaimed.
        let a = try RawConnection(port: server.port)
        let b = try RawConnection(port: server.port)
        try a.send("GET /health HTTP/1.1\r\n")
        try b.send("GET /health HTTP/1.1\r\n")
        usleep(100_000)
        let third = try RawConnection(port: server.port)
        try third.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try third.readResponse()
        #expect(r.status == 503)
        #expect((r.json?["error"] as? [String: Any])?["code"] as? String == "SERVICE_UNAVAILABLE")
        #expect(third.isClosedByPeer())
        shutdown(third.fd, Int32(SHUT_WR)) // the server stops lingering and frees the slot
        usleep(100_000)
        // Both finish their requests and sit idle: the next client (a probe) gets in, and the
        // longest-idle connection is the one closed to make room.
        try a.send("Host: x\r\n\r\n")
        #expect(try a.readResponse().status == 200)
        usleep(20_000)
        try b.send("Host: x\r\n\r\n")
        #expect(try b.readResponse().status == 200)
        let probe = try RawConnection(port: server.port)
        try probe.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try probe.readResponse().status == 200)
        #expect(a.isClosedByPeer(), "the longest-idle keep-alive connection made room")
        try b.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try b.readResponse().status == 200, "the other one is untouched")
        try b.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let metrics = try b.readResponse().text
        #expect(metrics.contains("http_connections_evicted_total 1\n"), "the eviction is counted")
        #expect(metrics.contains("http_request_body_buffer_bytes 0\n"))
    }

    @Test func oneClientCannotHoldEveryConnection() throws {
        let server = try ServerProcess(["MAX_CONNECTIONS_PER_CLIENT": "3", "HTTP_THREADS": "2"])
        defer { server.stop() }
        let held = try (0..<3).map { _ in try RawConnection(port: server.port) }
        for c in held { try c.send("GET /health HTTP/1.1\r\n") } // mid-request, not reclaimable
        usleep(100_000)
        let fourth = try RawConnection(port: server.port)
        try fourth.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let refused = try fourth.readResponse()
        #expect(refused.status == 503 && refused.text.contains("from this client"))
        let other = try RawConnection(port: server.port, source: "127.0.0.2")
        try other.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try other.readResponse().status == 200, "another client is not affected")
        // A closed connection gives its slot back.
        try held[0].send("Host: x\r\nConnection: close\r\n\r\n")
        #expect(try held[0].readResponse().status == 200)
        shutdown(held[0].fd, Int32(SHUT_WR))
        usleep(100_000)
        let again = try RawConnection(port: server.port)
        try again.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try again.readResponse().status == 200)
        for c in held.dropFirst() { shutdown(c.fd, Int32(SHUT_RDWR)) } // unfinished heads would delay the drain
    }

    /// A client at its cap with idle keep-alive connections is not locked out: its longest idle
    /// one makes room (nginx answers such a client too).
    @Test func aClientsOwnIdleConnectionsMakeRoomForItsNextOne() throws {
        let server = try ServerProcess(["MAX_CONNECTIONS_PER_CLIENT": "3", "HTTP_THREADS": "1"])
        defer { server.stop() }
        let idle = try (0..<3).map { _ in try RawConnection(port: server.port) }
        for c in idle {
            try c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().status == 200)
        }
        var newer: [RawConnection] = []  // held open, so each new one needs room
        for _ in 0..<3 {
            // Apart in time, so "longest idle" is one connection (the loop's clock is coarse).
            usleep(30_000)
            let next = try RawConnection(port: server.port)
            try next.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try next.readResponse().status == 200, "an idle keep-alive of the same client made room")
            newer.append(next)
        }
        #expect(idle.filter { $0.isClosedByPeer() }.count == 3, "the idle ones were closed, oldest first")
        try newer[2].send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try newer[2].readResponse().status == 200, "the newest stays open")
    }

    @Test func fullWorkerQueueAnswers503Immediately() throws {
        let server = try ServerProcess(["WORKER_THREADS": "1", "WORKER_QUEUE_LIMIT": "1"])
        defer { server.stop() }
        let connections = try (0..<4).map { _ in try RawConnection(port: server.port) }
        // The first request must be running on the only worker before the others arrive,
        // otherwise it may still occupy the single queue slot.
        try connections[0].send("GET /__test/sleep?ms=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
        var running = false
        for _ in 0..<100 where !running {
            usleep(20_000)
            let metrics = try server.request("GET", "/metrics").text
            // In flight: the sleeper and this /metrics request itself; nothing left queued.
            running = metrics.contains("http_requests_in_flight 2") && metrics.contains("http_worker_queue_depth 0")
        }
        #expect(running)
        for c in connections.dropFirst() { try c.send("GET /__test/sleep?ms=100 HTTP/1.1\r\nHost: x\r\n\r\n") }
        let statuses = try connections.map { try $0.readResponse().status }
        #expect(statuses[0] == 200)
        #expect(statuses.dropFirst().sorted() == [200, 503, 503], "one queued, two refused: \(statuses)")
        #expect(try server.request("GET", "/health").status == 200, "inline routes still answer")
    }

    @Test func durationsIncludeTimeQueuedForAWorker() throws {
        let server = try ServerProcess(["WORKER_THREADS": "1"])
        defer { server.stop() }
        let a = try RawConnection(port: server.port), b = try RawConnection(port: server.port)
        try a.send("GET /__test/sleep?ms=300 HTTP/1.1\r\nHost: x\r\nX-Request-ID: first-sleeper\r\n\r\n")
        try b.send("GET /__test/sleep?ms=300 HTTP/1.1\r\nHost: x\r\nX-Request-ID: second-sleeper\r\n\r\n")
        #expect(try a.readResponse().status == 200 && b.readResponse().status == 200)
        usleep(300_000)
        let durations = server.log.split(separator: "\n").filter { $0.contains("\"msg\":\"request\"") && $0.contains("sleeper") }
            .compactMap { line -> Double? in
                guard let r = line.range(of: "\"duration_ms\":") else { return nil }
                return Double(line[r.upperBound...].prefix { $0.isNumber || $0 == "." })
            }
        #expect(durations.count == 2)
        // One worker: whichever ran second waited ~300 ms in the queue, and that wait counts.
        #expect((durations.max() ?? 0) >= 550, "\(durations)")
    }

    @Test func invalidConfigurationStopsStartupNamingTheVariable() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath)
        p.arguments = ["serve"]
        p.environment = ["PORT": "not-a-port"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 78)
        #expect(message.contains("PORT"))
    }

    /// A command run in a checkout reads its `.env` and the embedded default's `.data/dev.env`
    /// (scripts/run writes it), weakest last; the process environment wins; a malformed line
    /// stops the command with its line named.
    @Test func commandsReadTheCheckoutsEnvFiles() throws {
        let dir = NSTemporaryDirectory() + "envfiles-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/.data", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# overrides\nPORT=9123\nexport HOST='10.1.2.3'\n".write(toFile: dir + "/.env", atomically: true, encoding: .utf8)
        try "PORT=7000\nBACKUP_DIR=.data/backups\nLOG_LEVEL=debug\n".write(toFile: dir + "/.data/dev.env", atomically: true, encoding: .utf8)
        func config(_ env: String) throws -> (Int32, String) {
            try DatabaseTests.run("/bin/sh", ["-c", "cd '\(dir)' && env -u APISERVER_IGNORE_ENV_FILES \(env) '\(ServerProcess.binaryPath)' config"])
        }
        let (status, text) = try config("LOG_LEVEL=warning")
        #expect(status == 0, "\(text)")
        for line in ["PORT=9123", "HOST=10.1.2.3", "BACKUP_DIR=.data/backups", "LOG_LEVEL=warning"] {
            #expect(text.split(separator: "\n").contains { $0.hasPrefix(line) }, "\(line) in \(text.prefix(2000))")
        }
        let (ignored, ignoredText) = try config("APISERVER_IGNORE_ENV_FILES=1")
        #expect(ignored == 0 && ignoredText.split(separator: "\n").contains { $0.hasPrefix("PORT=8080") }, "\(ignoredText.prefix(500))")
        try "PORT=9123\nthis is not a setting\n".write(toFile: dir + "/.env", atomically: true, encoding: .utf8)
        let (bad, badText) = try config("")
        #expect(bad == 78 && badText.contains(".env, line 2"), "\(bad) \(badText)")
    }

    /// A command the database fails says what failed and where (password hidden), exits 1 and
    /// prints nothing on stdout; an unknown status is refused.
    @Test func cliErrorsNameWhatFailed() throws {
        let port = try DatabaseTests.freePort()
        let env = "APISERVER_IGNORE_ENV_FILES=1 DATABASE_URL=postgresql://postgres:hunter2@127.0.0.1:\(port)/none MIGRATIONS_DIR='\(ServerProcess.repositoryRoot)/migrations'"
        for command in ["jobs list", "backup list"] {
            let (status, both) = try DatabaseTests.run("/bin/sh", ["-c", "env \(env) '\(ServerProcess.binaryPath)' \(command)"])
            let (_, stdout) = try DatabaseTests.run("/bin/sh", ["-c", "env \(env) '\(ServerProcess.binaryPath)' \(command) 2>/dev/null"])
            #expect(status == 1 && both.contains("cannot reach PostgreSQL at postgresql://postgres:****@127.0.0.1:\(port)/none")
                    && both.contains("Connection refused") && !both.contains("hunter2"), "\(command): \(both)")
            #expect(stdout.isEmpty, "\(command) printed before failing: \(stdout)")
        }
        let (status, text) = try DatabaseTests.run("/bin/sh", ["-c", "env \(env) '\(ServerProcess.binaryPath)' jobs list --status bogus"])
        #expect(status == 64 && text.contains("--status must be one of"), "\(status) \(text)")
    }

    /// A production server states its price provider: unset, the default would serve
    /// synthetic demo prices to real users.
    @Test func productionNeedsAnExplicitPriceProvider() throws {
        func config(_ extra: [String: String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath)
            p.arguments = ["config"]
            p.environment = ["PATH": "/usr/bin:/bin", "APP_ENV": "production", "ADMIN_API_TOKEN": String(repeating: "t", count: 40),
                             "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "JWT_SECRET": String(repeating: "s", count: 40),
                             "MIGRATIONS_DIR": ServerProcess.repositoryRoot + "/migrations"].merging(extra) { _, n in n }
            let out = Pipe()
            p.standardError = out
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, text)
        }
        let (status, text) = try config([:])
        #expect(status == 78 && text.contains("PRICE_PROVIDER"), "\(status) \(text.suffix(300))")
        let (given, givenText) = try config(["PRICE_PROVIDER": "demo"])
        #expect(!givenText.contains("PRICE_PROVIDER is required"), "\(given) \(givenText.suffix(300))")
    }
}

@Suite struct JSONInputTests {
    @Test func badJSONInputGetsFieldLevelErrorsAndGoodInputIsAccepted() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let json = [("Content-Type", "application/json")]
        let ok = try server.request("POST", "/__test/transfer", headers: json, body: Array(#"{"amount":5,"currency":"EUR"}"#.utf8))
        #expect(ok.status == 201)
        #expect((ok.json?["data"] as? [String: Any])?["amount"] as? Int == 5)
        let cases: [(String, Int, String?)] = [
            (#"{"amount":5,"currency":"EUR","admin":true}"#, 400, "admin"),
            (#"{"amount":"5","currency":"EUR"}"#, 400, "amount"),
            (#"{"currency":"EUR"}"#, 400, "amount"),
            (#"{"amount":0,"currency":"EUR"}"#, 400, "amount"),
            (#"{"amount":5,"currency":"EUR""#, 400, "body"),
        ]
        for (body, status, field) in cases {
            let r = try server.request("POST", "/__test/transfer", headers: json, body: Array(body.utf8))
            #expect(r.status == status, "\(body)")
            let error = r.json?["error"] as? [String: Any]
            #expect(error?["code"] as? String == "VALIDATION_ERROR", "\(body)")
            #expect((error?["details"] as? [[String: String]])?.first?["field"] == field, "\(body): \(r.text)")
        }
        let wrongType = try server.request("POST", "/__test/transfer", headers: [("Content-Type", "text/plain")], body: Array("{}".utf8))
        #expect(wrongType.status == 415)
    }
}
