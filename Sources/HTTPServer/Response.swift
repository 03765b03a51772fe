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
        var out: [UInt8] = []
        for (name, value) in self.pairs {
            ResponseSerializer.appendField(name, value, into: &out)
        }
        bytes = out
        nameLengths = self.pairs.reduce(0) { $0 | ($1.name.utf8.count < 64 ? 1 << UInt64($1.name.utf8.count) : 0) }
    }

    /// Bit n is set when a name is n bytes long (n < 64): most lookups are settled by length.
    private let nameLengths: UInt64

    /// Whether any of `fields` has a name of this block.
    public func containsAny(of fields: [(name: String, value: String)]) -> Bool {
        fields.contains { contains($0.name) }
    }

    func contains(_ name: String) -> Bool {
        let n = name.utf8.count
        if n < 64 && nameLengths & (1 << UInt64(n)) == 0 { return false }
        return pairs.contains { ResponseHeaders.namesEqual($0.name, name) }
    }
}

/// Response header fields in insertion order. CR, LF and NUL never reach the wire: the
/// serializer drops them while copying, so no application value can split the response.
public struct ResponseHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []
    /// A constant block, sent after `fields`. One at most, kept inline: an array of them
    /// would cost an allocation per response.
    public private(set) var block: HeaderBlock?

    public init() { fields.reserveCapacity(16) }

    public init(_ pairs: [(String, String)]) {
        for (n, v) in pairs { add(n, v) }
    }

    /// Appends a field; a field with the same name is kept (e.g. Vary may repeat).
    public mutating func add(_ name: String, _ value: String) {
        guard !Self.isFramingField(name) else { return }
        fields.append((name, value))
    }

    /// Replaces every field of that name with a single value.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Adds each default whose name is not present yet (as a field or in the block).
    public mutating func addMissing(_ defaults: [(String, String)]) {
        for d in defaults where self[d.0] == nil { add(d.0, d.1) }
    }

    /// Adds the field only if no field of that name exists yet.
    public mutating func setIfAbsent(_ name: String, _ value: String) {
        if self[name] == nil { add(name, value) }
    }

    /// Appends a constant block; its names must not be set otherwise (see `addMissing`). A
    /// second block is added field by field.
    public mutating func add(block new: HeaderBlock) {
        if block == nil {
            block = new
        } else {
            fields.append(contentsOf: new.pairs)
        }
    }

    public mutating func remove(_ name: String) {
        if let b = block, b.contains(name) {
            // Rare: the block holds the name. Its other fields become ordinary ones.
            fields.append(contentsOf: b.pairs)
            block = nil
        }
        // Looked for first: most removals (every `set`) find nothing, and then the array is
        // left alone instead of being rewritten.
        if fields.contains(where: { Self.namesEqual($0.name, name) }) { fields.removeAll { Self.namesEqual($0.name, name) } }
    }

    public subscript(name: String) -> String? {
        if let v = fields.first(where: { Self.namesEqual($0.name, name) })?.value { return v }
        return block?.pairs.first(where: { Self.namesEqual($0.name, name) })?.value
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { (fields + (block?.pairs ?? [])).makeIterator() }

    /// Framing is the serializer's job; handlers cannot set it. Decided by length first: it
    /// runs for every field a handler or middleware adds.
    static func isFramingField(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: return namesEqual(name, "Date")
        case 10: return namesEqual(name, "Connection")
        case 14: return namesEqual(name, "Content-Length")
        case 17: return namesEqual(name, "Transfer-Encoding")
        default: return false
        }
    }

    /// ASCII case-insensitive comparison without allocating (field names are tokens).
    static func namesEqual(_ a: String, _ b: String) -> Bool {
        // Lengths first: O(1) for native strings, and most names differ in length.
        guard a.utf8.count == b.utf8.count else { return false }
        let contiguous = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb in
                for i in 0..<pa.count where pa[i] != pb[i] && asciiLower(pa[i]) != asciiLower(pb[i]) { return false }
                return true
            }
        }
        if let result = contiguous ?? nil { return result }
        return a.utf8.elementsEqual(b.utf8) { asciiLower($0) == asciiLower($1) }
    }
}
