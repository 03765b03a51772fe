import Testing
import Logging
@testable import Platform
import HTTPServer
import Foundation

@Suite struct AccessLogTests {
    func capture(json: Bool, level: Logger.Level = .info, _ entries: [AccessLog.Entry]) throws -> [String] {
        let path = NSTemporaryDirectory() + "access-\(UUID().uuidString).log"
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        defer { close(fd); unlink(path) }
        let sink = LogSink(fd: fd)
        let log = AccessLog(sink: sink, json: json, minimumLevel: level)
        for e in entries { log.write(e) }
        sink.flush()
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    let ok = AccessLog.Entry(requestID: "rid-1", method: "GET", route: "/api/v1/projects/:id", status: 200,
                             durationMicros: 12_345, bytes: 321, client: "203.0.113.5")

    @Test func jsonLinesCarryEveryField() throws {
        var failing = ok
        failing.status = 503
        failing.route = "quote\"and\\slash"
        let lines = try capture(json: true, [ok, failing])
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["msg"] as? String == "request" && first["level"] as? String == "info")
        #expect(first["request_id"] as? String == "rid-1")
        #expect(first["method"] as? String == "GET" && first["route"] as? String == "/api/v1/projects/:id")
        #expect(first["status"] as? Int == 200 && first["bytes"] as? Int == 321)
        #expect(first["duration_ms"] as? Double == 12.345)
        #expect(first["client"] as? String == "203.0.113.5")
        #expect((first["ts"] as? String)?.count == 24, "RFC 3339 with milliseconds")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["level"] as? String == "error", "5xx is logged at error level")
        #expect(second["route"] as? String == "quote\"and\\slash")
    }

    @Test func levelFilterAndTextFormat() throws {
        var failing = ok
        failing.status = 500
        #expect(try capture(json: true, level: .warning, [ok, failing]).count == 1, "info lines dropped at warning")
        let text = try capture(json: false, [ok])
        #expect(text.count == 1 && text[0].contains(" INFO request request_id=rid-1 method=GET route=/api/v1/projects/:id status=200"))
    }
}
