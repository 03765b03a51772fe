import Testing
import SystemSupport
@testable import Platform
import HTTPServer
import Postgres
import Foundation

@Suite struct MetricsAndEnvelopeTests {
    @Test func exposition() {
        let registry = MetricsRegistry()
        let c = registry.counter("jobs_total", help: "Jobs.", labels: ["kind"])
        c.inc(["a\"b\\c\nd"])
        c.inc(["plain"], by: 2)
        let h = registry.histogram("latency_seconds", help: "Latency.", buckets: [0.1, 1])
        h.observe(0.05)
        h.observe(0.5)
        h.observe(5)
        let text = String(decoding: registry.render(), as: UTF8.self)
        #expect(text.contains("# TYPE jobs_total counter\n"))
        #expect(text.contains("jobs_total{kind=\"a\\\"b\\\\c\\nd\"} 1\n"))
        #expect(text.contains("jobs_total{kind=\"plain\"} 2\n"))
        #expect(text.contains("latency_seconds_bucket{le=\"0.1\"} 1\n"))
        #expect(text.contains("latency_seconds_bucket{le=\"1\"} 2\n"), "buckets are cumulative")
        #expect(text.contains("latency_seconds_bucket{le=\"+Inf\"} 3\n"))
        #expect(text.contains("latency_seconds_count 3\n"))
        #expect(text.contains("latency_seconds_sum 5.55\n"))
    }

    @Test func errorEnvelopeShape() throws {
        let e = AppError.validation([FieldIssue(field: "amount", issue: "must be greater than 0")])
        let r = Envelope.error(e, requestID: "req-1")
        #expect(r.status.code == 400)
        let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
        #expect(json?["success"] as? Bool == false)
        let error = json?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "VALIDATION_ERROR")
        let details = error?["details"] as? [[String: String]]
        #expect(details == [["field": "amount", "issue": "must be greater than 0"]])
        #expect((json?["meta"] as? [String: Any])?["request_id"] as? String == "req-1")
    }

    @Test func everyErrorCodeMapsToItsStatus() {
        let expected: [ErrorCode: Int] = [.validationError: 400, .unauthorized: 401, .forbidden: 403, .notFound: 404,
                                          .methodNotAllowed: 405, .conflict: 409, .payloadTooLarge: 413,
                                          .unsupportedMediaType: 415, .rateLimited: 429, .internalError: 500,
                                          .processingError: 500, .upstreamError: 502, .databaseUnavailable: 503,
                                          .serviceUnavailable: 503, .timeoutError: 504]
        for (code, status) in expected { #expect(code.status.code == status, "\(code)") }
    }

    @Test func jsonStringEscaping() throws {
        var out: [UInt8] = []
        JSONWriter.appendString("q\"b\\s\n\u{1}é", to: &out)
        let decoded = try JSONSerialization.jsonObject(with: Data(("[" + String(decoding: out, as: UTF8.self) + "]").utf8),
                                                       options: []) as? [String]
        #expect(decoded == ["q\"b\\s\n\u{1}é"])
    }

    @Test func acceptEncodingNegotiation() {
        #expect(CompressionMiddleware.acceptsGzip(["gzip, deflate, br"]))
        #expect(CompressionMiddleware.acceptsGzip(["br;q=1.0, gzip;q=0.5"]))
        #expect(!CompressionMiddleware.acceptsGzip(["gzip;q=0"]))
        #expect(!CompressionMiddleware.acceptsGzip(["identity"]))
        #expect(CompressionMiddleware.acceptsGzip(["*"]))
        #expect(!CompressionMiddleware.acceptsGzip(["*;q=0.5, gzip;q=0"]))
        #expect(!CompressionMiddleware.acceptsGzip([]))
    }

    @Test func requestIDValidation() {
        #expect(RequestIDMiddleware.isWellFormed("abc-123_x.y:z"))
        #expect(!RequestIDMiddleware.isWellFormed(""))
        #expect(!RequestIDMiddleware.isWellFormed(String(repeating: "a", count: 129)))
        #expect(!RequestIDMiddleware.isWellFormed("has space"))
        #expect(!RequestIDMiddleware.isWellFormed("inj\"ection"))
        let id = IdentifierSource.uuidString(IdentifierSource.uuidWords())
        #expect(id.count == 36 && RequestIDMiddleware.isWellFormed(id) && id != IdentifierSource.uuidString(IdentifierSource.uuidWords()))
    }
}

@Suite struct GaugeTests {
    @Test func gaugeSetsAndAdds() {
        let registry = MetricsRegistry()
        let g = registry.gauge("pool_connections", help: "Connections.", labels: ["state"])
        g.set(5, ["idle"])
        g.add(-2, ["idle"])
        g.add(1, ["busy"])
        #expect(g.value(["idle"]) == 3)
        let text = String(decoding: registry.render(), as: UTF8.self)
        #expect(text.contains("# TYPE pool_connections gauge\npool_connections{state=\"busy\"} 1\npool_connections{state=\"idle\"} 3\n"))
    }
}

@Suite struct UnlabelledMetricsTests {
    @Test func unlabelledMetricsExportZeroBeforeTheFirstEvent() {
        let registry = MetricsRegistry()
        _ = registry.counter("timeouts_total", help: "Timeouts.")
        _ = registry.counter("by_kind_total", help: "By kind.", labels: ["kind"])
        _ = registry.histogram("wait_seconds", help: "Wait.", buckets: [0.1])
        let text = String(decoding: registry.render(), as: UTF8.self)
        #expect(text.contains("\ntimeouts_total 0\n"))
        #expect(text.contains("wait_seconds_bucket{le=\"+Inf\"} 0\n") && text.contains("wait_seconds_count 0\n"))
        #expect(!text.contains("by_kind_total{"), "labelled families have no series until a label set is used")
    }
}

@Suite struct DatabaseErrorMappingTests {
    @Test func lockFreeCellsRenderWithTheirFamily() {
        let registry = MetricsRegistry()
        let c = registry.counter("hits_total", help: "Hits.", labels: ["route"])
        c.inc(["/a"], by: 2)
        let cell = c.cell(["/a"])
        cell.inc()
        c.cell(["/b"]).inc(by: 5)
        #expect(c.value(["/a"]) == 3 && c.value(["/b"]) == 5)
        let h = registry.histogram("lat_seconds", help: "Latency.", labels: ["route"], buckets: [0.1, 1])
        h.observe(0.05, ["/a"])
        let hc = h.cell(["/a"])
        hc.observe(0.5)
        hc.observe(2)
        #expect(h.count(["/a"]) == 3)
        let text = String(decoding: registry.render(), as: UTF8.self)
        #expect(text.contains("hits_total{route=\"/a\"} 3\n") && text.contains("hits_total{route=\"/b\"} 5\n"))
        #expect(text.contains("lat_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"))
        #expect(text.contains("lat_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"))
        #expect(text.contains("lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"))
        #expect(text.contains("lat_seconds_sum{route=\"/a\"} 2.55\n"))
    }

    @Test func perThreadShardsAreSummedIntoOneSeries() throws {
        let registry = MetricsRegistry()
        let c = registry.counter("shard_hits_total", help: "Hits.", labels: ["route"])
        let h = registry.histogram("shard_seconds", help: "Latency.", labels: ["route"], buckets: [0.1, 1])
        c.cell(["/a"]).inc(by: 2)
        h.cell(["/a"]).observe(0.05)
        // Four threads, each with its own shards of the same series.
        let threads = try (0..<4).map { _ in
            try OSThread.spawn(name: "shard") {
                let mine = c.shard(["/a"]), hist = h.shard(["/a"])
                for _ in 0..<1_000 {
                    mine.inc()
                    hist.observe(0.5)
                }
            }
        }
        for t in threads { t.join() }
        #expect(c.value(["/a"]) == 4_002 && h.count(["/a"]) == 4_001)
        #expect(c.cell(["/a"]) === c.cell(["/a"]), "cell() stays one shared series cell")
        let text = String(decoding: registry.render(), as: UTF8.self)
        #expect(text.contains("shard_hits_total{route=\"/a\"} 4002\n"))
        #expect(text.contains("shard_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"))
        #expect(text.contains("shard_seconds_bucket{route=\"/a\",le=\"1\"} 4001\n"))
        #expect(text.contains("shard_seconds_count{route=\"/a\"} 4001\n"))
    }

    @Test func shardedCountSumsItsShards() throws {
        let count = ShardedCount()
        let threads = try (0..<4).map { i in
            try OSThread.spawn(name: "count") {
                let shard = count.makeShard()
                for _ in 0..<1_000 { shard.add(2) }
                shard.subtract(i)
            }
        }
        for t in threads { t.join() }
        #expect(count.total == 8_000 - (0 + 1 + 2 + 3))
    }

    @Test func httpMetricsCacheKeepsMethodsAndStatusesApart() {
        let registry = MetricsRegistry()
        let m = HTTPMetrics(registry: registry)
        for (method, status) in [("GET", 200), ("PUT", 200), ("POST", 200), ("GET", 404), ("-", 400), ("GET", 200)] {
            m.record(method: method, route: "/x", routeKey: 3, status: status, seconds: 0.001)
        }
        m.record(method: "DELETE", route: "/x/:id", routeKey: nil, status: 405, seconds: 0.001)
        #expect(m.requests.value(["GET", "/x", "200"]) == 2)
        #expect(m.requests.value(["PUT", "/x", "200"]) == 1 && m.requests.value(["POST", "/x", "200"]) == 1)
        #expect(m.requests.value(["GET", "/x", "404"]) == 1 && m.requests.value(["-", "/x", "400"]) == 1)
        #expect(m.requests.value(["DELETE", "/x/:id", "405"]) == 1)
        #expect(m.duration.count(["GET", "/x"]) == 3)
    }

    @Test func databaseErrorsMapToTheRightStatus() {
        #expect(AppError.from(PostgresError(.server, "bind message supplies 1 parameters", sqlState: "08P01")).status == .internalServerError,
                "a protocol violation is our bug: 500, not 503")
        #expect(AppError.from(PostgresError(.server, "terminated", sqlState: "08006")).status == .serviceUnavailable)
        #expect(AppError.from(PostgresError(.usage, "statement uses 2 placeholders but 1 values were bound")).status == .internalServerError)
        var unknown = PostgresError(.commitFailed, "connection lost during COMMIT")
        unknown.outcomeUnknown = true
        let mapped = AppError.from(unknown)
        #expect(mapped.status == .serviceUnavailable && mapped.headers.isEmpty, "no automatic retry when the outcome is unknown")
        var refused = PostgresError(.commitFailed, "COMMIT failed", sqlState: "23505")
        refused.column = "email"
        #expect(AppError.from(refused).status == .conflict, "a refused COMMIT maps by its SQLSTATE")
    }

    @Test func keyColumnNamesTheColumnNotItsWrapper() {
        #expect(AppError.keyColumn("Key (lower(email))=(a@x) already exists.") == "email")
        #expect(AppError.keyColumn("Key (follower_count)=(3) already exists.") == "follower_count")
        #expect(AppError.keyColumn("Key (data_source_id, external_id)=(x, y) already exists.") == "data_source_id, external_id")
        #expect(AppError.keyColumn("no key here") == nil)
    }
}
