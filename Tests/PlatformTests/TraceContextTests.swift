import Testing
@testable import Platform
import HTTPServer
import Logging

@Suite struct TraceContextTests {
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func validTraceparentIsContinuedWithANewSpan() {
        let t = TraceContext(traceparent: incoming, tracestate: "congo=t61rcWkgMzE")
        #expect(t.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && t.parentID == "00f067aa0ba902b7" && t.flags == 1)
        #expect(t.spanID.count == 16 && t.spanID != "00f067aa0ba902b7")
        #expect(t.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-\(t.spanID)-01")
        #expect(t.childHeaders.map(\.0) == ["traceparent", "tracestate"])
    }

    @Test(arguments: [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  // short
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", // extra field in version 00
        "garbage",
    ])
    func invalidTraceparentStartsANewTrace(_ header: String) {
        let t = TraceContext(traceparent: header, tracestate: "a=b")
        #expect(t.parentID == nil && t.traceState == nil && t.traceID.count == 32 && t.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func laterVersionsAreReadByTheirFirstFields() {
        let t = TraceContext(traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", tracestate: nil)
        #expect(t.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func responsesCarryTraceAndVersionHeaders() throws {
        var routes = Routes()
        try TestRoutes.register(&routes)
        try OperationalRoutes.register(&routes, metrics: MetricsRegistry(), lifecycle: Lifecycle(), checks: [], environment: .test)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = Application(config: try AppConfig.load(from: Environment([:])), routes: routes, metrics: MetricsRegistry(),
                              lifecycle: Lifecycle(), logger: logger)
        let r = app.respond(to: Request(method: .GET, target: "/api/v1/status", headers: [("traceparent", incoming)]))
        #expect(r.headers["traceparent"]?.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-") == true)
        #expect(r.headers["API-Version"] == "1")
        #expect(app.respond(to: Request(method: .GET, target: "/health")).headers["API-Version"] == nil)
        // Ids written into headers from their numbers match the ones the body and logs use.
        let missing = app.respond(to: Request(method: .GET, target: "/api/v1/no-such-route"))
        let id = try #require(missing.headers["X-Request-ID"])
        #expect(id.count == 36 && String(decoding: missing.body, as: UTF8.self).contains("\"request_id\":\"\(id)\""))
        let parent = try #require(missing.headers["traceparent"])
        #expect(parent.count == 55 && parent.hasPrefix("00-") && parent.hasSuffix("-00"))
        let continued = app.respond(to: Request(method: .GET, target: "/health", headers: [("traceparent", incoming), ("X-Request-ID", "abc-123")]))
        #expect(continued.headers["X-Request-ID"] == "abc-123")
        let old = app.respond(to: Request(method: .GET, target: "/__test/old-items"))
        #expect(old.headers["Deprecation"] == "@1780272000")
        #expect(old.headers["Sunset"] == "Fri, 01 Jan 2027 00:00:00 GMT")
        #expect(old.headers["Link"] == "</__test/items/:id>; rel=\"successor-version\"")
        #expect(app.respond(to: Request(method: .GET, target: "/__test/items/7")).headers["Deprecation"] == nil)
    }
}

@Suite struct IdentifierSourceTests {
    @Test func idsAreWellFormedAndDistinct() {
        var seen = Set<String>()
        for _ in 0..<20_000 {
            let id = IdentifierSource.uuidString(IdentifierSource.uuidWords())
            let parts = id.split(separator: "-").map(\.count)
            #expect(parts == [8, 4, 4, 4, 12])
            #expect(Array(id.utf8)[14] == UInt8(ascii: "4") && "89ab".utf8.contains(Array(id.utf8)[19]))
            seen.insert(id)
        }
        #expect(seen.count == 20_000)
        let a = TraceContext(traceparent: nil, tracestate: nil), b = TraceContext(traceparent: nil, tracestate: nil)
        #expect(a.traceID.count == 32 && a.traceID.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(a.spanID.count == 16 && a.spanID.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(a.traceparent == "00-\(a.traceID)-\(a.spanID)-00")
        #expect(a.traceID != b.traceID && a.spanID != b.spanID)
    }
}
