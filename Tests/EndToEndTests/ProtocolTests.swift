import Foundation
import Testing

/// HTTP/1.1 behaviour of the real binary over real sockets.
@Suite struct ProtocolTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        for _ in 0..<3 {
            try c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 200 && r.text == "{\"status\":\"ok\"}")
            #expect(r.header("Connection") == nil, "HTTP/1.1 keep-alive is implicit")
        }
    }

    @Test func pipelinedBurstOfTenAnsweredInOrder() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        // Inline and worker routes interleaved: a slow worker request must not let later inline
        // answers overtake it.
        var burst = ""
        for i in 0..<10 {
            burst += i % 3 == 1 ? "GET /__test/sleep?ms=\(30 + i) HTTP/1.1\r\nHost: x\r\n\r\n"
                                : "GET /__test/items/\(i) HTTP/1.1\r\nHost: x\r\n\r\n"
        }
        try c.send(burst)
        for i in 0..<10 {
            let r = try c.readResponse()
            #expect(r.status == 200)
            let data = r.json?["data"] as? [String: Any]
            if i % 3 == 1 {
                #expect(data?["slept_ms"] as? Int == 30 + i, "response \(i) out of order: \(r.text)")
            } else {
                #expect(data?["id"] as? String == String(i), "response \(i) out of order: \(r.text)")
            }
        }
    }

    @Test func chunkedUploadArrivingInPieces() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("POST /__test/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        let pieces = ["5;note=first\r\nhello\r", "\n6\r\n wor", "ld\r\n0\r\n", "X-Checksum: abc\r\n\r\n"]
        for p in pieces {
            usleep(20_000)
            try c.send(p)
        }
        let r = try c.readResponse()
        let data = r.json?["data"] as? [String: Any]
        #expect(r.status == 200)
        #expect(data?["bytes"] as? Int == 11)
        #expect(data?["sha256"] as? String == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9") // "hello world"
    }

    @Test func expect100ContinueThenBody() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("POST /__test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        #expect(try c.readResponse().status == 100)
        try c.send("abcd")
        let r = try c.readResponse()
        #expect(r.status == 200 && (r.json?["data"] as? [String: Any])?["bytes"] as? Int == 4)
    }

    @Test func oversizedBodyIsRefusedWithout100Continue() throws {
        let server = try ServerProcess(["MAX_BODY_BYTES": "1000"])
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("POST /__test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\nExpect: 100-continue\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 413)
        #expect((r.json?["error"] as? [String: Any])?["code"] as? String == "PAYLOAD_TOO_LARGE")
        #expect(r.header("Connection") == "close")
        #expect(c.isClosedByPeer())
    }

    @Test func bodyLimitsPerRoute() throws {
        let server = try ServerProcess(["MAX_BODY_BYTES": "1000"])
        defer { server.stop() }
        let big = [UInt8](repeating: 0x61, count: 5000)
        #expect(try server.request("POST", "/__test/echo", body: big).status == 413)
        // The upload route raises its own limit.
        let ok = try server.request("POST", "/__test/upload", body: big)
        #expect(ok.status == 200 && (ok.json?["data"] as? [String: Any])?["bytes"] as? Int == 5000)
        // A 413 is delivered even while the client is still sending a large body.
        let c = try RawConnection(port: server.port)
        try c.send("POST /__test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
        _ = try? c.send([UInt8](repeating: 0x62, count: 100_000))
        #expect(try c.readResponse().status == 413)
    }

    @Test func requestLineAndHeaderLimits() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let longURI = try server.request("GET", "/" + String(repeating: "a", count: 9000))
        #expect(longURI.status == 414)
        #expect((longURI.json?["error"] as? [String: Any])?["code"] as? String == "URI_TOO_LONG")
        let many = (0..<101).map { ("X-H\($0)", "v") }
        #expect(try server.request("GET", "/health", headers: many).status == 431)
        let huge = [("X-Big", String(repeating: "b", count: 33 * 1024))]
        #expect(try server.request("GET", "/health", headers: huge).status == 431)
    }

    @Test func slowlorisIsCutOffAtTheHeaderTimeout() throws {
        let server = try ServerProcess(["HEADER_TIMEOUT": "1s"])
        defer { server.stop() }
        let c = try RawConnection(port: server.port, timeout: 5)
        let start = Date()
        try c.send("GET /health HTTP/1.1\r\nHost: x\r\n")
        usleep(300_000)
        try c.send("X-Slow: 1\r\n") // trickling more bytes does not extend the deadline
        let r = try c.readResponse()
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == 408)
        #expect(elapsed >= 0.9 && elapsed < 3, "took \(elapsed) s")
        #expect(c.isClosedByPeer())
        // A connection that sends nothing at all is closed too.
        let silent = try RawConnection(port: server.port, timeout: 5)
        #expect(silent.isClosedByPeer())
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        let server = try ServerProcess(["KEEPALIVE_TIMEOUT": "500ms"])
        defer { server.stop() }
        let c = try RawConnection(port: server.port, timeout: 5)
        try c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 200)
        let start = Date()
        #expect(c.isClosedByPeer())
        #expect(Date().timeIntervalSince(start) < 3)
    }

    @Test func framingErrorsAreAnsweredAndClosedNeverResynchronised() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let attacks = [
            "POST /__test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
            "POST /__test/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
            "POST /__test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "GET /health HTTP/1.1\r\nHost: x\r\nX-Bad : y\r\n\r\n",
            "GET /health HTTP/1.1\nHost: x\n\n",
        ]
        for attack in attacks {
            let c = try RawConnection(port: server.port)
            // A smuggled second request follows in the same packet: it must never be answered.
            try c.send(attack + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 400, "\(attack.debugDescription) -> \(r.status)")
            #expect((r.json?["error"] as? [String: Any])?["code"] as? String == "MALFORMED_REQUEST")
            #expect(r.header("Connection") == "close")
            #expect(c.isClosedByPeer(), "connection must close after \(attack.debugDescription)")
        }
    }

    @Test func unknownMethodAndVersion() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        #expect(try server.request("BREW", "/health").status == 501)
        let c = try RawConnection(port: server.port)
        try c.send("GET /health HTTP/2.0\r\nHost: x\r\n\r\n")
        #expect(try c.readResponse().status == 505)
    }

    @Test func http10ClosesAndHeadHasNoBody() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("GET /health HTTP/1.0\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200 && r.text == "{\"status\":\"ok\"}")
        #expect(c.isClosedByPeer())
        let ka = try RawConnection(port: server.port)
        try ka.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try ka.readResponse().header("Connection") == "keep-alive")
        try ka.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try ka.readResponse().status == 200)

        let h = try RawConnection(port: server.port)
        try h.send("HEAD /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try h.readResponse(head: true)
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(Int(head.header("Content-Length") ?? "0") ?? 0 > 0, "HEAD reports the GET length")
        #expect(try h.readResponse().text == "{\"status\":\"ok\"}", "no stray body bytes after HEAD")
    }

    @Test func gzipWhenAccepted() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let plain = try server.request("GET", "/__test/large?bytes=50000")
        let gz = try server.request("GET", "/__test/large?bytes=50000", headers: [("Accept-Encoding", "gzip")])
        #expect(gz.header("Content-Encoding") == "gzip")
        #expect(gz.body.count < plain.body.count / 10)
        #expect(gz.headers("Vary").contains("Accept-Encoding"))
        // Decompress with the system gunzip to check the bytes on the wire are real gzip.
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString).gz")
        try Data(gz.body).write(to: tmp)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -dc '\(tmp.path)'"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let decompressed = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let plainData = (plain.json?["data"] as? [String: Any])?["text"] as? String
        let gzData = ((try? JSONSerialization.jsonObject(with: decompressed)) as? [String: Any]).flatMap { $0["data"] as? [String: Any] }?["text"] as? String
        #expect(plainData != nil && plainData == gzData)
    }

    @Test func ipv6Works() throws {
        let server = try ServerProcess(["HOST": "::1"])
        defer { server.stop() }
        let c = try RawConnection(port: server.port, host: "::1")
        try c.send("GET /health HTTP/1.1\r\nHost: [::1]\r\n\r\n")
        #expect(try c.readResponse().status == 200)
    }
}

/// Streamed (chunked) response bodies.
@Suite struct StreamingTests {
    @Test func chunkedResponseThenKeepAlive() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("GET /__test/stream?chunks=50&size=3000 HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.header("Transfer-Encoding") == "chunked" && r.header("Content-Length") == nil)
        #expect(r.body.count == 150_000)
        #expect(r.body.prefix(3000).allSatisfy { $0 == UInt8(ascii: "0") } && r.body.suffix(3000).allSatisfy { $0 == UInt8(ascii: "9") })
        #expect(try c.readResponse().text == "{\"status\":\"ok\"}", "the pipelined request is answered after the stream")
    }

    @Test func slowReaderAppliesBackpressure() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        func rss() throws -> Double {
            try server.request("GET", "/metrics").text.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }
                .flatMap { Double($0.split(separator: " ")[1]) } ?? 0
        }
        // A small stream first, so code and pools touched by streaming are already resident.
        let warm = try RawConnection(port: server.port)
        try warm.send("GET /__test/stream?chunks=4&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try warm.readResponse()
        // Background start-up work (the market snapshot warm-up) settles first.
        var baseline = try rss()
        for _ in 0..<20 {
            usleep(300_000)
            let now = try rss()
            defer { baseline = now }
            if abs(now - baseline) < 1_000_000 { break }
        }
        let c = try RawConnection(port: server.port)
        // 32 MB streamed to a client that does not read yet: the server must not buffer it.
        try c.send("GET /__test/stream?chunks=32&size=1048576 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(1_500_000)
        let grown = try rss() - baseline
        #expect(grown < 16_000_000, "RSS grew by \(grown) while a 32 MB stream waits on a slow reader")
        let r = try c.readResponse()
        #expect(r.body.count == 32 * 1_048_576)
    }

    @Test func http10StreamIsDelimitedByClose() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("GET /__test/stream?chunks=4&size=5 HTTP/1.0\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.header("Transfer-Encoding") == nil && r.header("Connection") == "close")
        #expect(r.text == "00000111112222233333")
    }

    @Test func headOfAStreamSendsNoBody() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("HEAD /__test/stream HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let h = try c.readResponse(head: true)
        #expect(h.status == 200 && h.body.isEmpty)
        #expect(try c.readResponse().status == 200)
    }

    @Test func failingStreamCutsTheConnectionWithoutTheLastChunk() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let c = try RawConnection(port: server.port)
        try c.send("GET /__test/stream?chunks=10&size=4&fail_after=2 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(throws: E2EError.self) { try c.readResponse() }
    }
}

/// Timeouts that protect the server from slow or stalled clients.
@Suite struct SlowClientTests {
    @Test func stalledBodyGets408() throws {
        let server = try ServerProcess(["BODY_TIMEOUT": "1s"])
        defer { server.stop() }
        let c = try RawConnection(port: server.port, timeout: 5)
        try c.send("POST /__test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        let start = Date()
        let r = try c.readResponse()
        #expect(r.status == 408)
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(c.isClosedByPeer())
    }

    @Test func readerThatNeverReadsIsDisconnected() throws {
        let server = try ServerProcess(["WRITE_TIMEOUT": "1s"])
        defer { server.stop() }
        // A small receive window so the server's writes stall quickly.
        let c = try RawConnection(port: server.port, timeout: 10, receiveBuffer: 4096)
        try c.send("GET /__test/stream?chunks=64&size=1048576 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(3_000_000)
        // Everything the server managed to send before giving up, then EOF: far less than 64 MB.
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(c.fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += n
        }
        #expect(received < 16 * 1_048_576, "received \(received) bytes")
        let open = try server.request("GET", "/metrics").text
            .split(separator: "\n").first { $0.hasPrefix("http_open_connections ") }
        #expect(open == "http_open_connections 1", "only the metrics request itself remains")
    }
}
