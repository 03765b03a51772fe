import Testing
@testable import Platform
import HTTPServer
import Logging

/// The middleware chain in process, with plain values: routing, envelope, headers, CORS, limits.
@Suite struct ApplicationTests {
    func makeApp(_ env: [String: String] = [:]) throws -> Application {
        let config = try AppConfig.load(from: Environment(env))
        var routes = Routes()
        let lifecycle = Lifecycle()
        let metrics = MetricsRegistry()
        try OperationalRoutes.register(&routes, metrics: metrics, lifecycle: lifecycle, checks: [], environment: .test)
        try TestRoutes.register(&routes)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return Application(config: config, routes: routes, metrics: metrics, lifecycle: lifecycle, logger: logger)
    }

    @Test func securityHeadersAndRequestIDOnEveryResponse() throws {
        let app = try makeApp()
        for target in ["/health", "/api/v1/status", "/nowhere"] {
            let r = app.respond(to: Request(method: .GET, target: target))
            #expect(r.headers["X-Content-Type-Options"] == "nosniff")
            #expect(r.headers["X-Frame-Options"] == "DENY")
            #expect(r.headers["Content-Security-Policy"]?.contains("default-src 'none'") == true)
            #expect(r.headers["Referrer-Policy"] == "no-referrer")
            #expect(r.headers["Cache-Control"] == "no-store")
            #expect(r.headers["Strict-Transport-Security"]?.hasPrefix("max-age=31536000") == true)
            #expect(r.headers["X-Request-ID"]?.count == 36)
        }
        let kept = app.respond(to: Request(method: .GET, target: "/health", headers: [("X-Request-ID", "client-id-1")]))
        #expect(kept.headers["X-Request-ID"] == "client-id-1")
        let replaced = app.respond(to: Request(method: .GET, target: "/health", headers: [("X-Request-ID", "bad id\"")]))
        #expect(replaced.headers["X-Request-ID"] != "bad id\"")
        #expect(try makeApp(["HSTS_MAX_AGE": "0"]).respond(to: Request(method: .GET, target: "/health")).headers["Strict-Transport-Security"] == nil)
    }

    @Test func notFoundMethodNotAllowedAndOptions() throws {
        let app = try makeApp()
        #expect(app.respond(to: Request(method: .GET, target: "/api/v1/nothing")).status.code == 404)
        let wrong = app.respond(to: Request(method: .POST, target: "/health"))
        #expect(wrong.status.code == 405)
        #expect(wrong.headers["Allow"] == "GET, HEAD, OPTIONS")
        #expect(String(decoding: wrong.body, as: UTF8.self).contains("\"METHOD_NOT_ALLOWED\""))
        let options = app.respond(to: Request(method: .OPTIONS, target: "/__test/echo"))
        #expect(options.status.code == 204 && options.headers["Allow"] == "POST, OPTIONS")
    }

    @Test func unexpectedErrorsBecomeGeneric500WithoutInternals() throws {
        let r = try makeApp().respond(to: Request(method: .GET, target: "/__test/fail"))
        let body = String(decoding: r.body, as: UTF8.self)
        #expect(r.status.code == 500)
        #expect(body.contains("\"INTERNAL_ERROR\""))
        #expect(!body.contains("must not reach") && !body.contains("SecretFailure"))
        #expect(body.contains(r.headers["X-Request-ID"]!))
    }

    @Test func corsAllowedAndDenied() throws {
        let app = try makeApp(["CORS_ALLOWED_ORIGINS": "https://app.example"])
        let preflight = app.respond(to: Request(method: .OPTIONS, target: "/api/v1/status", headers: [
            ("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type, x-evil")]))
        #expect(preflight.status.code == 204)
        #expect(preflight.headers["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(preflight.headers["Access-Control-Allow-Methods"]?.contains("POST") == true)
        #expect(preflight.headers["Access-Control-Allow-Headers"] == "content-type")
        #expect(preflight.headers["Access-Control-Max-Age"] == "600")
        let denied = app.respond(to: Request(method: .OPTIONS, target: "/api/v1/status", headers: [
            ("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")]))
        #expect(denied.status.code == 403)
        #expect(denied.headers["Access-Control-Allow-Origin"] == nil)
        let simple = app.respond(to: Request(method: .GET, target: "/api/v1/status", headers: [("Origin", "https://app.example")]))
        #expect(simple.headers["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(simple.headers.fields.contains { $0.name == "Vary" && $0.value == "Origin" })
        let other = app.respond(to: Request(method: .GET, target: "/api/v1/status", headers: [("Origin", "https://evil.example")]))
        #expect(other.status.code == 200 && other.headers["Access-Control-Allow-Origin"] == nil)
    }

    @Test func rateLimitReturns429WithHeaders() throws {
        let app = try makeApp(["RATE_LIMIT_RPS": "1", "RATE_LIMIT_BURST": "3"])
        let statuses = (0..<4).map { _ in app.respond(to: Request(method: .GET, target: "/api/v1/status")) }
        #expect(statuses.prefix(3).allSatisfy { $0.status.code == 200 })
        let limited = statuses[3]
        #expect(limited.status.code == 429)
        #expect(limited.headers["Retry-After"] == "1")
        #expect(limited.headers["RateLimit-Policy"] == "\"default\";q=3;w=3")
        #expect(limited.headers["RateLimit"]?.hasPrefix("\"default\";r=0;") == true)
        #expect(String(decoding: limited.body, as: UTF8.self).contains("\"RATE_LIMITED\""))
        // Operational endpoints are exempt.
        #expect((0..<10).allSatisfy { _ in app.respond(to: Request(method: .GET, target: "/health")).status.code == 200 })
        // Another client has its own bucket.
        #expect(app.respond(to: Request(method: .GET, target: "/api/v1/status", remoteAddress: "10.9.9.9")).status.code == 200)
    }

    @Test func largeJSONIsGzippedOnlyWhenAccepted() throws {
        let app = try makeApp()
        let plain = app.respond(to: Request(method: .GET, target: "/__test/large?bytes=20000"))
        #expect(plain.headers["Content-Encoding"] == nil)
        let gz = app.respond(to: Request(method: .GET, target: "/__test/large?bytes=20000", headers: [("Accept-Encoding", "gzip")]))
        #expect(gz.headers["Content-Encoding"] == "gzip")
        #expect(gz.body.count < plain.body.count / 5)
        #expect(gz.headers.fields.contains { $0.name == "Vary" && $0.value == "Accept-Encoding" })
        let small = app.respond(to: Request(method: .GET, target: "/health", headers: [("Accept-Encoding", "gzip")]))
        #expect(small.headers["Content-Encoding"] == nil, "below GZIP_MIN_BYTES")
    }

    @Test func readinessFailsWhileDraining() throws {
        let config = try AppConfig.load(from: Environment([:]))
        var routes = Routes()
        let lifecycle = Lifecycle()
        try OperationalRoutes.register(&routes, metrics: MetricsRegistry(), lifecycle: lifecycle, checks: [], environment: .test)
        let app = Application(config: config, routes: routes, metrics: MetricsRegistry(), lifecycle: lifecycle, logger: Logger(label: "t"))
        #expect(app.respond(to: Request(method: .GET, target: "/ready")).status.code == 200)
        lifecycle.beginDraining()
        let r = app.respond(to: Request(method: .GET, target: "/ready"))
        #expect(r.status.code == 503)
        #expect(String(decoding: r.body, as: UTF8.self).contains("draining"))
    }

    @Test func rejectionsUseTheEnvelope() throws {
        let app = try makeApp()
        let r = app.rejection(.malformed(.uriTooLong), RefusedRequest(request: nil, peer: "203.0.113.4"))
        #expect(r.status.code == 414)
        #expect(String(decoding: r.body, as: UTF8.self).contains("\"URI_TOO_LONG\""))
        #expect(r.headers["X-Request-ID"] != nil && r.headers["X-Content-Type-Options"] == "nosniff")
        #expect(app.rejection(.overloaded, RefusedRequest(request: nil, peer: "203.0.113.4")).headers["Retry-After"] == "1")
        #expect(app.rejection(.deadlineExceeded, RefusedRequest(request: nil, peer: "203.0.113.4")).status.code == 504)
        let browser = try makeApp(["CORS_ALLOWED_ORIGINS": "https://app.example"])
        let tooLarge = browser.rejection(.malformed(.payloadTooLarge(limit: 10)),
                                         RefusedRequest(request: Request(method: .POST, target: "/x", headers: [("Origin", "https://app.example")]),
                                                        peer: "203.0.113.4"))
        #expect(tooLarge.status.code == 413)
        #expect(tooLarge.headers["Access-Control-Allow-Origin"] == "https://app.example", "a browser can read why it was refused")
        let unparsed = browser.rejection(.malformed(.headerFieldsTooLarge("x")),
                                         RefusedRequest(request: nil, peer: "203.0.113.4", method: .PUT, origin: "https://app.example"))
        #expect(unparsed.headers["Access-Control-Allow-Origin"] == "https://app.example", "Origin sniffed from an unparsed head counts")
        let evil = browser.rejection(.malformed(.headerFieldsTooLarge("x")),
                                     RefusedRequest(request: nil, peer: "203.0.113.4", origin: "https://evil.example"))
        #expect(evil.headers["Access-Control-Allow-Origin"] == nil)
    }
}
