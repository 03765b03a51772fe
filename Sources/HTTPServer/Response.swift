/// An HTTP response. The serializer owns framing: Content-Length (or its absence for 204/304)
/// is derived from the body, so it can never disagree with it.
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: ResponseHeaders
    public var body: [UInt8]
    /// When set, the body is written to this stream by its producer and sent with chunked
    /// transfer coding (HTTP/1.1) or delimited by closing the connection (HTTP/1.0); `body` is
    /// then ignored.
    public var stream: ResponseStream?

    public init(status: HTTPStatus, headers: ResponseHeaders = ResponseHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is the given bytes with the given content type.
    public init(status: HTTPStatus, contentType: String, body: [UInt8]) {
        var h = ResponseHeaders()
        h.add("Content-Type", contentType)
        self.init(status: status, headers: h, body: body)
    }

    /// A response whose body is written to `stream` (by its producer, or from elsewhere).
    public init(status: HTTPStatus, contentType: String, stream: ResponseStream) {
        self.init(status: status, contentType: contentType, body: [])
        self.stream = stream
    }
}

/// Header lines built once from constant values (the security defaults every response
/// carries) and appended to the wire verbatim, instead of being copied field by field.
public struct HeaderBlock: Sendable {
    public let pairs: [(name: String, value: String)]
    let bytes: [UInt8]

    public init(_ pairs: [(String, String)]) {
        self.pairs = pairs.filter { !ResponseHeaders.isFramingField($0.0) }.map { (name: $0.0, value: $0.1) }
        // The same lines (and the same cleaning) as fields added one by one.
        bytes = ResponseHeaders(pairs).lines
        nameLengths = self.pairs.reduce(0) { $0 | ($1.name.utf8.count < 64 ? 1 << UInt64($1.name.utf8.count) : 0) }
    }

    /// Bit n is set when a name is n bytes long (n < 64): most lookups are settled by length.
    private let nameLengths: UInt64

    func contains(_ name: String) -> Bool { ResponseHeaders.withBytes(name) { contains(name: $0) } }

    func contains(name: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = name.count
        if n < 64 && nameLengths & (1 << UInt64(n)) == 0 { return false }
        return pairs.contains { ResponseHeaders.nameEquals($0.name, name) }
    }
}
