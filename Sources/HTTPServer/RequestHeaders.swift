/// One header field as byte ranges into the request's head storage: nothing is allocated per field.
struct FieldRange: Sendable {
    var nameStart: Int32
    var nameEnd: Int32
    var valueStart: Int32
    var valueEnd: Int32
}

/// Request header fields. The raw head bytes are kept once; fields are ranges into them, and
/// lookups compare names case-insensitively without building Strings.
public struct RequestHeaders: Sendable {
    let storage: [UInt8]
    let fields: [FieldRange]

    init(storage: [UInt8], fields: [FieldRange]) {
        self.storage = storage
        self.fields = fields
    }

    /// Builds headers from name/value pairs (used by tests and by code that synthesises requests).
    public init(_ pairs: [(String, String)]) {
        var storage: [UInt8] = []
        var fields: [FieldRange] = []
        for (name, value) in pairs {
            let ns = storage.count
            storage.append(contentsOf: name.utf8)
            let ne = storage.count
            storage.append(contentsOf: value.utf8)
            fields.append(FieldRange(nameStart: Int32(ns), nameEnd: Int32(ne), valueStart: Int32(ne), valueEnd: Int32(storage.count)))
        }
        self.init(storage: storage, fields: fields)
    }

    public var count: Int { fields.count }

    /// First value of the named field, or nil.
    public subscript(name: String) -> String? {
        guard let f = firstField(name) else { return nil }
        return string(f.valueStart, f.valueEnd)
    }

    /// Every value of the named field, in order.
    public func values(_ name: String) -> [String] {
        var out: [String] = []
        for i in fields.indices where nameEquals(fields[i], name) { out.append(string(fields[i].valueStart, fields[i].valueEnd)) }
        return out
    }

    public func contains(_ name: String) -> Bool { firstField(name) != nil }

    /// All fields as (name, value) Strings, in arrival order.
    public var all: [(name: String, value: String)] {
        fields.map { (string($0.nameStart, $0.nameEnd), string($0.valueStart, $0.valueEnd)) }
    }

    /// True when the comma-separated list value(s) of `name` contain `token` (case-insensitive).
    public func containsToken(_ name: String, _ token: String) -> Bool {
        for i in fields.indices where nameEquals(fields[i], name) {
            var found = false
            forEachListElement(fields[i]) { s, e in
                if asciiCaseInsensitiveEquals(s, e, token) { found = true }
            }
            if found { return true }
        }
        return false
    }

    /// By index: iterating the array itself would retain and release it on every lookup.
    func firstField(_ name: String) -> FieldRange? {
        for i in fields.indices where nameEquals(fields[i], name) { return fields[i] }
        return nil
    }

    func nameEquals(_ f: FieldRange, _ name: String) -> Bool {
        asciiCaseInsensitiveEquals(Int(f.nameStart), Int(f.nameEnd), name)
    }

    func asciiCaseInsensitiveEquals(_ start: Int, _ end: Int, _ other: String) -> Bool {
        guard other.utf8.count == end - start else { return false }
        var i = start
        for b in other.utf8 {
            if asciiLower(storage[i]) != asciiLower(b) { return false }
            i += 1
        }
        return true
    }

    /// Calls `body` with the trimmed bounds of each non-empty element of a comma-separated list.
    func forEachListElement(_ f: FieldRange, _ body: (Int, Int) -> Void) {
        var i = Int(f.valueStart)
        let end = Int(f.valueEnd)
        while i <= end {
            var j = i
            while j < end && storage[j] != UInt8(ascii: ",") { j += 1 }
            var s = i, e = j
            while s < e && isOWS(storage[s]) { s += 1 }
            while e > s && isOWS(storage[e - 1]) { e -= 1 }
            if s < e { body(s, e) }
            i = j + 1
        }
    }

    func string(_ start: Int32, _ end: Int32) -> String {
        String(decoding: storage[Int(start)..<Int(end)], as: UTF8.self)
    }

    func bytes(_ start: Int, _ end: Int) -> ArraySlice<UInt8> { storage[start..<end] }
}

@inline(__always) func asciiLower(_ b: UInt8) -> UInt8 {
    (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) ? b | 0x20 : b
}

@inline(__always) func isOWS(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
