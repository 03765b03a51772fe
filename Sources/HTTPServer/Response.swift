/// An HTTP response. The serializer owns framing: Content-Length (or its absence for 204/304)
/// is derived from the body, so it can never disagree with it.
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: ResponseHeaders
    public var body: [UInt8]

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
}

/// Response header fields in insertion order. Names and values are sanitised on insertion:
/// CR, LF and NUL are dropped so that no application value can split the response.
public struct ResponseHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (n, v) in pairs { add(n, v) }
    }

    /// Appends a field; a field with the same name is kept (e.g. Vary may repeat).
    public mutating func add(_ name: String, _ value: String) {
        guard Self.isFramingField(name) == false else { return }
        fields.append((Self.sanitise(name), Self.sanitise(value)))
    }

    /// Replaces every field of that name with a single value.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Adds the field only if no field of that name exists yet.
    public mutating func setIfAbsent(_ name: String, _ value: String) {
        if self[name] == nil { add(name, value) }
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.lowercased() == name.lowercased() }
    }

    public subscript(name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.lowercased() == lower }?.value
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// Framing is the serializer's job; handlers cannot set it.
    static func isFramingField(_ name: String) -> Bool {
        let l = name.lowercased()
        return l == "content-length" || l == "transfer-encoding" || l == "connection" || l == "date"
    }

    static func sanitise(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return s }
        return String(decoding: s.utf8.filter { $0 != 0x0D && $0 != 0x0A && $0 != 0 }, as: UTF8.self)
    }
}
