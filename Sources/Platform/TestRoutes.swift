import Glibc
import HTTPServer
import Crypto
import FoundationEssentials
import Synchronization
import Postgres

/// Diagnostic routes mounted only with ENABLE_TEST_ROUTES=true (refused in production). The
/// end-to-end tests use them to drive real bodies, slow handlers and failures over real sockets.
public enum TestRoutes {
    public static func register(_ routes: inout Routes, database: Database? = nil) throws {
        try registerStream(&routes)
        try registerJSON(&routes)
        if let database { try registerDatabase(&routes, database.pool, streams: database.streamPool) }
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
        try routes.post("/__test/echo", RouteOptions(access: .public), echo)
        try routes.post("/__test/upload", RouteOptions(access: .public, maxBodyBytes: 64 * 1024 * 1024), echo)
        try routes.get("/__test/items/:id", RouteOptions(access: .public, inline: true)) { _, context in
            try context.success(["id": try context.parameter("id")])
        }
        try routes.get("/__test/sleep", RouteOptions(access: .public)) { request, context in
            var q = QueryParameters(request)
            let ms = q.int("ms", default: 100, in: 0...30_000)
            try q.validate()
            usleep(UInt32(ms) * 1000)
            return try context.success(["slept_ms": ms])
        }
        try routes.get("/__test/large", RouteOptions(access: .public)) { request, context in
            var q = QueryParameters(request)
            let n = q.int("bytes", default: 10_000, in: 0...(8 * 1024 * 1024))
            try q.validate()
            return try context.success(["text": String(repeating: "abcdefghij", count: n / 10)])
        }
        try routes.get("/__test/admin", RouteOptions(access: .admin, inline: true)) { _, context in
            try context.success(["principal": context.principal?.id ?? "", "role": context.principal?.role ?? ""])
        }
        // A deprecated route, replaced by /__test/items/:id (deprecated 2026-06-01, gone 2027-01-01).
        try routes.get("/__test/old-items", RouteOptions(access: .public, inline: true,
                                                         deprecation: Deprecation(deprecatedAt: 1_780_272_000, sunsetAt: 1_798_761_600,
                                                                                  successor: "/__test/items/:id"))) { _, context in
            try context.success(["items": [String]()])
        }
        try routes.get("/__test/fail", RouteOptions(access: .public)) { _, _ in
            struct SecretFailure: Error { let detail = "internal detail that must not reach clients" }
            throw SecretFailure()
        }
    }
}

extension TestRoutes {
    /// `/__test/stream?chunks=N&size=M[&fail_after=K][&delay_ms=D]`: a streamed body of N
    /// pieces of M bytes ("0000...", "1111..."), optionally failing after K pieces or pausing
    /// D ms between pieces. `/__test/stream/status` says how many producers ran and how many
    /// stopped because the client went away.
    static func registerStream(_ routes: inout Routes) throws {
        let stats = StreamStats()
        try routes.get("/__test/stream", RouteOptions(access: .public)) { request, _ in
            var q = QueryParameters(request)
            let chunks = q.int("chunks", default: 3, in: 0...1_000_000)
            let size = q.int("size", default: 10, in: 1...(1 << 20))
            let failAfter = q.optionalInt("fail_after", in: 0...1_000_000)
            let delayMs = q.int("delay_ms", default: 0, in: 0...10_000)
            try q.validate()
            let stream = ResponseStream { out in
                stats.started.add(1, ordering: .relaxed)
                do {
                    for i in 0..<chunks {
                        if let f = failAfter, i >= f { throw StreamFailure() }
                        if delayMs > 0 { usleep(UInt32(delayMs) * 1000) }
                        try out.write([UInt8](repeating: UInt8(ascii: "0") + UInt8(i % 10), count: size))
                    }
                } catch let e as ResponseStream.Cancelled {
                    stats.cancelled.add(1, ordering: .relaxed)
                    throw e
                }
            }
            return Response(status: .ok, contentType: "text/plain", stream: stream)
        }
        try routes.get("/__test/stream/status", RouteOptions(access: .public, inline: true)) { _, context in
            try context.success(["started": stats.started.load(ordering: .relaxed), "cancelled": stats.cancelled.load(ordering: .relaxed)])
        }

        // A body read while it arrives: its size and SHA-256, in constant memory.
        try routes.post("/__test/upload-stream", RouteOptions(access: .public, maxBodyBytes: 1 << 30, streamsBody: true)) { request, context in
            let hasher = SHA256Hasher()
            var total = 0
            while let piece = try request.bodyStream?.read() {
                hasher.update(piece)
                total += piece.count
            }
            return try context.success(["bytes": String(total), "sha256": Hex.encode(hasher.finalize())])
        }

        let hub = EventHub(heartbeatSeconds: 1)
        try routes.get("/__test/events", RouteOptions(access: .public, inline: true, timeoutMs: 0)) { _, _ in hub.subscribe() }
        try routes.post("/__test/events/publish", RouteOptions(access: .public)) { request, context in
            var q = QueryParameters(request)
            let event = q.oneOf("event", ["tick", "refresh"], default: "tick")
            try q.validate()
            let delivered = hub.publish(event: event, data: String(decoding: request.body, as: UTF8.self))
            return try context.success(["delivered": delivered, "subscribers": hub.subscriberCount])
        }
    }

    struct StreamFailure: Error {}

    final class StreamStats: Sendable {
        let started = Atomic<Int>(0)
        let cancelled = Atomic<Int>(0)
    }
}

extension TestRoutes {
    /// Routes that hold, probe and break database work, for pool and failure tests.
    static func registerDatabase(_ routes: inout Routes, _ pool: ConnectionPool, streams: ConnectionPool) throws {
        try routes.get("/__test/db/sleep", RouteOptions(access: .public)) { request, context in
            var q = QueryParameters(request)
            let ms = q.int("ms", default: 100, in: 0...30_000)
            try q.validate()
            try pool.withConnection { try $0.query("SELECT pg_sleep(\(Double(ms) / 1000))") }
            return try context.success(["slept_ms": ms])
        }
        try routes.get("/__test/db/pid", RouteOptions(access: .public)) { _, context in
            // Asked of the server, not read from libpq's cache: it proves a live round trip.
            try context.success(["pid": try pool.withConnection { try $0.query("SELECT pg_backend_pid() AS pid").first!.decode("pid", as: Int.self) }])
        }
        // `/__test/db/export?rows=N`: N CSV rows from a server-side cursor, one page at a
        // time inside one transaction on a stream connection, as an export reads: memory stays
        // flat however many rows, and a slow reader holds a stream thread and connection only.
        try routes.get("/__test/db/export", RouteOptions(access: .public, timeoutMs: 0)) { request, _ in
            var q = QueryParameters(request)
            let rows = q.int("rows", default: 1000, in: 0...10_000_000)
            try q.validate()
            let stream = ResponseStream(capacity: 256 * 1024) { out in
                try streams.transaction { tx in
                    try tx.query("DECLARE export CURSOR FOR SELECT g AS id, md5(g::text) AS digest FROM generate_series(1, \(rows)) g")
                    while true {
                        let page = try tx.query("FETCH 5000 FROM export")
                        if page.count == 0 { break }
                        var text: [UInt8] = []
                        text.reserveCapacity(page.count * 48)
                        for row in page {
                            text.append(contentsOf: try row.decode("id", as: Int.self).description.utf8)
                            text.append(UInt8(ascii: ","))
                            text.append(contentsOf: try row.decode("digest", as: String.self).utf8)
                            text.append(0x0A)
                        }
                        try out.write(text)
                    }
                }
            }
            return Response(status: .ok, contentType: "text/csv", stream: stream)
        }
        // A unique violation inside a transaction: must become 409 CONFLICT and leave nothing.
        try routes.post("/__test/db/conflict", RouteOptions(access: .public)) { _, context in
            try pool.transaction { tx in
                try tx.query("CREATE TEMP TABLE conflict_probe (email text CONSTRAINT conflict_probe_email_key UNIQUE) ON COMMIT DROP")
                try tx.query("INSERT INTO conflict_probe VALUES (\("a@example.com"))")
                try tx.query("INSERT INTO conflict_probe VALUES (\("a@example.com"))")
            }
            return try context.success(["inserted": 2])
        }
    }
}

extension TestRoutes {
    /// A strict JSON body, echoed back: exercises JSONBody end to end.
    struct Transfer: StrictDecodable, Encodable {
        let amount: Int
        let currency: String
        let note: String?
        static let fields: Set<String> = ["amount", "currency", "note"]
    }

    static func registerJSON(_ routes: inout Routes) throws {
        try routes.post("/__test/transfer", RouteOptions(access: .public)) { request, context in
            let transfer = try JSONBody.decode(Transfer.self, from: request)
            guard transfer.amount > 0 else {
                throw AppError.validation([FieldIssue(field: "amount", issue: "must be greater than 0")])
            }
            return try context.success(transfer, status: .created)
        }
    }
}
