import Foundation
import Testing
import Glibc
import Crypto

/// Streamed request and response bodies against the real binary: memory stays flat, producers
/// stop when nobody listens, and event-stream subscribers hold no threads.
@Suite struct LargeStreamTests {
    /// A field of /proc/PID/status in kB (VmRSS, VmHWM) or a count (Threads).
    static func procStatus(_ pid: Int32, _ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) ?? -1
        }
        return -1
    }

    @Test func hundredMebibyteUploadIsReadWhileItArrivesInFlatMemory() throws {
        let server = try ServerProcess(["RATE_LIMIT_ENABLED": "false"])
        defer { server.stop() }
        let pid = server.process.processIdentifier
        _ = try server.request("GET", "/health")
        let before = Self.procStatus(pid, "VmHWM")
        let size = 100 * 1024 * 1024
        let c = try RawConnection(port: server.port, timeout: 60)
        try c.send("POST /__test/upload-stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: \(size)\r\n\r\n")
        let hasher = SHA256Hasher()
        var piece = [UInt8](repeating: 0, count: 1 << 20)
        for i in 0..<100 {
            for k in stride(from: 0, to: piece.count, by: 4096) { piece[k] = UInt8(truncatingIfNeeded: i &* 31 &+ k) }
            hasher.update(piece)
            try c.send(piece)
        }
        let r = try c.readResponse()
        #expect(r.status == 200)
        let data = r.json?["data"] as? [String: Any]
        #expect(data?["bytes"] as? String == String(size))
        #expect(data?["sha256"] as? String == Hex.encode(hasher.finalize()))
        let growthKB = Self.procStatus(pid, "VmHWM") - before
        #expect(growthKB < 16 * 1024, "peak RSS grew by \(growthKB) kB while 100 MiB arrived")
    }

    @Test func millionRowExportFromACursorStreamsInFlatMemory() throws {
        let server = try ServerProcess(["RATE_LIMIT_ENABLED": "false"])
        defer { server.stop() }
        let pid = server.process.processIdentifier
        _ = try server.request("GET", "/__test/db/pid")
        let before = Self.procStatus(pid, "VmHWM")
        let c = try RawConnection(port: server.port, timeout: 120)
        try c.send("GET /__test/db/export?rows=1000000 HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200 && r.header("Transfer-Encoding") == "chunked")
        var lines = 0
        var last: ArraySlice<UInt8> = []
        var start = 0
        for (i, b) in r.body.enumerated() where b == 0x0A {
            lines += 1
            last = r.body[start..<i]
            start = i + 1
        }
        #expect(lines == 1_000_000)
        #expect(String(decoding: last, as: UTF8.self).hasPrefix("1000000,"))
        let growthKB = Self.procStatus(pid, "VmHWM") - before
        #expect(growthKB < 24 * 1024, "peak RSS grew by \(growthKB) kB for a ~45 MB export")
    }

    func streamStats(_ server: ServerProcess) throws -> (started: Int, cancelled: Int) {
        let data = try server.request("GET", "/__test/stream/status").json?["data"] as? [String: Any]
        return (data?["started"] as? Int ?? -1, data?["cancelled"] as? Int ?? -1)
    }

    @Test func producerStopsWhenTheClientGoesAwayAndNeverStartsForHEAD() throws {
        let server = try ServerProcess(["RATE_LIMIT_ENABLED": "false"])
        defer { server.stop() }
        let head = try server.request("HEAD", "/__test/stream?chunks=1000&size=1000")
        #expect(head.status == 200 && head.body.isEmpty)
        usleep(200_000)
        #expect(try streamStats(server).started == 0, "HEAD never runs the producer")

        let c = try RawConnection(port: server.port)
        try c.send("GET /__test/stream?chunks=1000000&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n")
        var buffer = [UInt8](repeating: 0, count: 65536)
        _ = recv(c.fd, &buffer, buffer.count, 0)
        shutdown(c.fd, Int32(SHUT_RDWR))
        let deadline = Date().addingTimeInterval(2)
        var stats = try streamStats(server)
        while stats.cancelled < 1 && Date() < deadline {
            usleep(50_000)
            stats = try streamStats(server)
        }
        #expect(stats == (1, 1), "the producer learned within 2 s that the client left")
    }

    @Test func eventStreamSubscribersHoldNoThreads() throws {
        let server = try ServerProcess(["RATE_LIMIT_ENABLED": "false", "MAX_CONNECTIONS_PER_CLIENT": "0"])
        defer { server.stop() }
        let pid = server.process.processIdentifier
        _ = try server.request("GET", "/health")
        let threadsBefore = Self.procStatus(pid, "Threads")
        let subscribers = try (0..<300).map { _ -> RawConnection in
            let c = try RawConnection(port: server.port)
            try c.send("GET /__test/events HTTP/1.1\r\nHost: x\r\n\r\n")
            return c
        }
        for s in subscribers {
            let r = try s.readResponse(head: true)
            #expect(r.status == 200 && r.header("Content-Type") == "text/event-stream")
        }
        usleep(300_000)
        // The heartbeat thread may have started; no thread per subscriber.
        #expect(Self.procStatus(pid, "Threads") <= threadsBefore + 2)
        let published = try server.request("POST", "/__test/events/publish?event=refresh", body: Array("{\"run\":7}".utf8))
        #expect((published.json?["data"] as? [String: Any])?["delivered"] as? Int == 300)
        for s in subscribers.prefix(20) {
            #expect(s.readUntil("event: refresh\ndata: {\"run\":7}\n\n"), "each subscriber receives the event")
        }
        for s in subscribers.prefix(100) { shutdown(s.fd, Int32(SHUT_RDWR)) }
        usleep(500_000)
        let after = try server.request("POST", "/__test/events/publish?event=tick", body: Array("x".utf8))
        #expect((after.json?["data"] as? [String: Any])?["subscribers"] as? Int == 200, "disconnected subscribers are removed")
    }
}
