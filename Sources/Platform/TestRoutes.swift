import Glibc
import HTTPServer
import Crypto
import FoundationEssentials
import Synchronization

/// Diagnostic routes mounted only with ENABLE_TEST_ROUTES=true (refused in production). The
/// end-to-end tests use them to drive real bodies, slow handlers and failures over real sockets.
public enum TestRoutes {
    public static func register(_ routes: inout Routes) throws {
        try registerStream(&routes)
        struct Echo: Encodable {
            let bytes: Int
            let sha256: String
            let method: String
            let path: String
            let query: [String: String]
        }
        let echo: Handler = { request, context in
            try context.success(Echo(bytes: request.body.count, sha256: SHA256.hex(request.body), method: request.method.description,
                                     path: request.path, query: Dictionary(request.queryItems.map { ($0.name, $0.value) }) { a, _ in a }))
        }
        try routes.post("/__test/echo", RouteOptions(), echo)
        try routes.post("/__test/upload", RouteOptions(maxBodyBytes: 64 * 1024 * 1024), echo)
        try routes.get("/__test/items/:id", RouteOptions(inline: true)) { _, context in
            try context.success(["id": try context.parameter("id")])
        }
        try routes.get("/__test/sleep") { request, context in
            let ms = min(Int(request.query("ms") ?? "100") ?? 100, 30_000)
            usleep(UInt32(ms) * 1000)
            return try context.success(["slept_ms": ms])
        }
        try routes.get("/__test/large") { request, context in
            let n = min(Int(request.query("bytes") ?? "10000") ?? 10_000, 8 * 1024 * 1024)
            return try context.success(["text": String(repeating: "abcdefghij", count: n / 10)])
        }
        try routes.get("/__test/fail") { _, _ in
            struct SecretFailure: Error { let detail = "internal detail that must not reach clients" }
            throw SecretFailure()
        }
    }
}

extension TestRoutes {
    /// `/__test/stream?chunks=N&size=M[&fail_after=K]`: a streamed body of N pieces of M bytes
    /// ("0000...", "1111..."), optionally failing after K pieces.
    static func registerStream(_ routes: inout Routes) throws {
        try routes.get("/__test/stream") { request, _ in
            let chunks = min(Int(request.query("chunks") ?? "3") ?? 3, 10_000)
            let size = min(Int(request.query("size") ?? "10") ?? 10, 1 << 20)
            let failAfter = request.query("fail_after").flatMap { Int($0) }
            let counter = StreamCounter()
            var response = Response(status: .ok, contentType: "text/plain", body: [])
            response.stream = BodyStream {
                let i = counter.next()
                if let f = failAfter, i >= f { throw StreamFailure() }
                guard i < chunks else { return nil }
                return [UInt8](repeating: UInt8(ascii: "0") + UInt8(i % 10), count: size)
            }
            return response
        }
    }

    struct StreamFailure: Error {}
}

/// A counter a @Sendable producer can advance.
final class StreamCounter: Sendable {
    private let value = Mutex(0)

    func next() -> Int {
        value.withLock { v in
            defer { v += 1 }
            return v
        }
    }
}
