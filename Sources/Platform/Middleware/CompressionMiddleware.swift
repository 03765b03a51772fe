import SystemSupport
import HTTPServer
import Crypto

/// gzip for large, compressible responses when the client accepts it (RFC 9110 12.5.3, with
/// q-values). Compressible types always get `Vary: Accept-Encoding` so caches keep the variants
/// apart; a body is sent compressed only when that makes it smaller.
public struct CompressionMiddleware: Middleware {
    let minBytes: Int
    let level: Int32

    public init(minBytes: Int, level: Int32) {
        self.minBytes = minBytes
        self.level = level
    }

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        var response = try next(request, context)
        compress(&response, for: request)
        return response
    }

    /// In place, so the common case (a small response, left alone) costs no copy of it.
    private func compress(_ response: inout Response, for request: Request) {
        // Below the threshold a response is never compressed, so it does not vary either.
        guard minBytes > 0, response.body.count >= minBytes, Self.isCompressible(response.headers["Content-Type"]),
              response.headers["Content-Encoding"] == nil else {
            return
        }
        response.headers.add("Vary", "Accept-Encoding")
        guard Self.acceptsGzip(request.headers.values("Accept-Encoding")),
              let compressed = Gzip.compress(response.body, level: level), compressed.count < response.body.count else {
            return
        }
        response.body = compressed
        response.headers.set("Content-Encoding", "gzip")
    }

    static func isCompressible(_ contentType: String?) -> Bool {
        guard let t = contentType else { return false }
        return compressibleTypes.contains { prefix in
            t.utf8.count >= prefix.utf8.count && zip(t.utf8, prefix.utf8).allSatisfy { a, b in a | 0x20 == b | 0x20 || a == b }
        }
    }

    private static let compressibleTypes = ["application/json", "text/", "application/javascript", "application/xml",
                                            "image/svg+xml", "application/problem+json"]

    /// True when gzip (or *) is listed with a non-zero q-value and not refused explicitly.
    public static func acceptsGzip(_ values: [String]) -> Bool {
        var gzipQ: Double? = nil
        var starQ: Double? = nil
        for element in values.flatMap({ $0.split(separator: ",") }) {
            let parts = element.split(separator: ";").map { String($0).trimmingWhitespace().lowercased() }
            guard let coding = parts.first else { continue }
            var q = 1.0
            for p in parts.dropFirst() where p.hasPrefix("q=") { q = Double(p.dropFirst(2)) ?? 0 }
            if coding == "gzip" || coding == "x-gzip" { gzipQ = q } else if coding == "*" { starQ = q }
        }
        if let q = gzipQ { return q > 0 }
        if let q = starQ { return q > 0 }
        return false
    }
}
