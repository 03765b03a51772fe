#if canImport(SystemSupport)
import SystemSupport
#endif

/// A complete HTTP request as handed to the application.
///
/// The head is stored once as raw bytes; the path and query are ranges into it and are decoded
/// only when asked for, so routing a request allocates almost nothing.
public struct Request: Sendable {
    /// The parsed head, shared by every copy of the request (one reference to count instead
    /// of several arrays: requests are copied along the middleware chain).
    final class Head: Sendable {
        let method: HTTPMethod
        let version: HTTPVersion
        let headers: RequestHeaders
        /// Raw (still percent-encoded) path bounds in `headers.storage`.
        let pathStart: Int32
        let pathEnd: Int32
        /// Raw query bounds (without the "?"), or an empty range.
        let queryStart: Int32
        let queryEnd: Int32
        let keepAlive: Bool
        let remoteAddress: String

        /// A field looked up by the head itself, in place (through `Request.headers` the
        /// fields would be copied out first, counting references to their arrays).
        func header(_ name: String) -> String? { headers[name] }

        init(method: HTTPMethod, version: HTTPVersion, headers: RequestHeaders, path: Range<Int>, query: Range<Int>,
             keepAlive: Bool, remoteAddress: String) {
            self.method = method
            self.version = version
            self.headers = headers
            pathStart = Int32(path.lowerBound)
            pathEnd = Int32(path.upperBound)
            queryStart = Int32(query.lowerBound)
            queryEnd = Int32(query.upperBound)
            self.keepAlive = keepAlive
            self.remoteAddress = remoteAddress
        }
    }

    let head: Head
    public var method: HTTPMethod { head.method }
    public var version: HTTPVersion { head.version }
    public var headers: RequestHeaders { head.headers }

    /// The first value of a field: the cheapest way to look one up.
    public func header(_ name: String) -> String? { head.header(name) }
    var pathStart: Int32 { head.pathStart }
    var pathEnd: Int32 { head.pathEnd }
    var queryStart: Int32 { head.queryStart }
    var queryEnd: Int32 { head.queryEnd }
    /// Whether the connection stays open after this request (from version and Connection).
    public var keepAlive: Bool { head.keepAlive }
    public var body: [UInt8]
    /// The peer's address as text ("127.0.0.1", "::1").
    public var remoteAddress: String { head.remoteAddress }
    /// When the request was complete on the event loop (monotonic nanoseconds), so durations
    /// include any wait for a worker thread.
    public var receivedAt: Int64
    /// Set when the request runs on a worker: cancelled when its deadline passes or the client
    /// goes away. Long handlers may check it; database statements are interrupted through it.
    public internal(set) var cancellation: CancellationToken?
    /// On routes that stream their body: the body, read in pieces (`body` is then empty).
    public internal(set) var bodyStream: RequestBodyStream?
    /// `RoutePlan.routeHint` of the plan made for this request, or -1.
    public internal(set) var routeHint = -1
    /// What an admission check decided (the application's own value, e.g. a rate-limit decision).
    public var admission: (any Sendable)?

    init(method: HTTPMethod, version: HTTPVersion, headers: RequestHeaders,
         path: Range<Int>, query: Range<Int>, keepAlive: Bool, body: [UInt8], remoteAddress: String) {
        head = Head(method: method, version: version, headers: headers, path: path, query: query, keepAlive: keepAlive,
                    remoteAddress: remoteAddress)
        self.body = body
        self.receivedAt = MonotonicClock.nanoseconds()
    }

    /// Builds a request without a socket (tests, internal dispatch). `target` is origin-form.
    public init(method: HTTPMethod, target: String, headers: [(String, String)] = [],
                body: [UInt8] = [], remoteAddress: String = "127.0.0.1") {
        var pairs = headers
        let targetStart = pairs.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count }
        pairs.append(("", target))
        let h = RequestHeaders(pairs)
        let t = Array(target.utf8)
        let q = t.firstIndex(of: UInt8(ascii: "?"))
        let pathEnd = targetStart + (q ?? t.count)
        let queryStart = q.map { targetStart + $0 + 1 } ?? pathEnd
        self.init(method: method, version: .http1_1,
                  headers: RequestHeaders(storage: h.storage, fields: Array(h.fields.dropLast())),
                  path: targetStart..<pathEnd, query: queryStart..<(q == nil ? pathEnd : targetStart + t.count),
                  keepAlive: true, body: body, remoteAddress: remoteAddress)
    }

    /// The raw path bytes, still percent-encoded.
    public var rawPath: ArraySlice<UInt8> { headers.storage[Int(pathStart)..<Int(pathEnd)] }

    /// The percent-decoded path. Invalid escapes were rejected by the parser.
    public var path: String {
        String(decoding: PercentDecoding.decode(rawPath, plusAsSpace: false) ?? Array(rawPath), as: UTF8.self)
    }

    /// The raw query string without "?", or nil when absent.
    public var rawQuery: String? {
        queryStart == queryEnd ? nil : String(decoding: headers.storage[Int(queryStart)..<Int(queryEnd)], as: UTF8.self)
    }

    /// Decoded query items in order; a key without "=" has an empty value.
    public var queryItems: [(name: String, value: String)] {
        PercentDecoding.queryItems(headers.storage[Int(queryStart)..<Int(queryEnd)])
    }

    /// First decoded value of a query parameter.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }
}
