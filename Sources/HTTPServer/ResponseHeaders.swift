import Glibc

/// Response header fields in insertion order, kept as the lines they will be on the wire
/// ("Name: value\r\n"): adding a field copies its bytes, writing all of them is one copy, and
/// no name or value string is held (so none is retained and released) per field. CR, LF and
/// NUL are dropped from names and values as they are added, and ":" from names, so no
/// application value can split the response or move where a name ends.
public struct ResponseHeaders: Sendable, Sequence {
    /// The field lines, each "Name: value\r\n".
    private(set) var lines: [UInt8] = []
    /// A constant block, sent after the fields. One at most, kept inline: an array of them
    /// would cost an allocation per response.
    public private(set) var block: HeaderBlock?

    public init() { lines.reserveCapacity(256) }

    public init(_ pairs: [(String, String)]) {
        self.init()
        for (n, v) in pairs { add(n, v) }
    }

    /// The fields as strings (the block's not included), for inspection.
    public var fields: [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        forEachField { name, value in
            out.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            return true
        }
        return out
    }

    /// Appends a field; a field with the same name is kept (e.g. Vary may repeat).
    public mutating func add(_ name: String, _ value: String) {
        Self.withBytes(value) { addLine(name, $0) }
    }

    /// Replaces every field of that name with a single value.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Replaces every field of that name with a value of `length` bytes that `write` puts in
    /// place: for values made per response (ids) that need no string of their own.
    public mutating func set(_ name: String, length: Int, _ write: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        remove(name)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { value in
            write(value)
            addLine(name, UnsafeBufferPointer(value))
        }
    }

    private mutating func addLine(_ name: String, _ value: UnsafeBufferPointer<UInt8>) {
        guard !Self.isFramingField(name) else { return }
        Self.withBytes(name) { Self.appendClean($0, isName: true, to: &lines) }
        lines.append(UInt8(ascii: ":"))
        lines.append(ByteClass.sp)
        Self.appendClean(value, isName: false, to: &lines)
        lines.append(ByteClass.cr)
        lines.append(ByteClass.lf)
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
            for (n, v) in new.pairs { add(n, v) }
        }
    }

    public mutating func remove(_ name: String) {
        if block?.contains(name) == true, let b = block {
            // Rare: the block holds the name. Its other fields become ordinary ones.
            block = nil
            for (n, v) in b.pairs { add(n, v) }
        }
        // Looked for first: most removals (every `set`) find nothing, and then the lines are
        // left alone instead of being rewritten.
        guard contains(name) else { return }
        var kept: [UInt8] = []
        kept.reserveCapacity(lines.count)
        lines.withUnsafeBufferPointer { all in
            Self.forEachLine(all) { line, nameRange, _ in
                if !Self.nameEquals(name, UnsafeBufferPointer(rebasing: all[nameRange])) { kept.append(contentsOf: all[line]) }
                return true
            }
        }
        lines = kept
    }

    public subscript(name: String) -> String? {
        var found: String?
        forEachField { n, v in
            guard Self.nameEquals(name, n) else { return true }
            found = String(decoding: v, as: UTF8.self)
            return false
        }
        if let found { return found }
        return block?.pairs.first(where: { Self.namesEqual($0.name, name) })?.value
    }

    /// Whether a field (not the block) has this name.
    func contains(_ name: String) -> Bool {
        var found = false
        forEachField { n, _ in
            found = Self.nameEquals(name, n)
            return !found
        }
        return found
    }

    /// Whether a field (not the block) has a name of `block`.
    public func containsAnyName(of block: HeaderBlock) -> Bool {
        var found = false
        forEachField { n, _ in
            found = block.contains(name: n)
            return !found
        }
        return found
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { (fields + (block?.pairs ?? [])).makeIterator() }

    /// Calls `body` with each field's name and value bytes until it returns false.
    private func forEachField(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Bool) {
        lines.withUnsafeBufferPointer { all in
            Self.forEachLine(all) { _, name, value in
                body(UnsafeBufferPointer(rebasing: all[name]), UnsafeBufferPointer(rebasing: all[value]))
            }
        }
    }

    /// Walks "Name: value\r\n" lines: the whole line, the name and the value as ranges.
    /// Names hold no ":" and values no CR (see `appendClean`), so memchr finds both ends.
    private static func forEachLine(_ all: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, Range<Int>, Range<Int>) -> Bool) {
        guard let base = all.baseAddress else { return }
        var start = 0
        while start < all.count {
            let colon = memchr(base + start, Int32(UInt8(ascii: ":")), all.count - start)
                .map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? all.count
            let end = colon < all.count
                ? memchr(base + colon, Int32(ByteClass.cr), all.count - colon).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? all.count
                : all.count
            let next = Swift.min(end + 2, all.count)
            guard body(start..<next, start..<colon, Swift.min(colon + 2, end)..<end) else { return }
            start = next
        }
    }

    /// Copies a name or value, without CR, LF and NUL (and ":" in names).
    private static func appendClean(_ bytes: UnsafeBufferPointer<UInt8>, isName: Bool, to out: inout [UInt8]) {
        if !ByteClass.mayHoldLineBreakOrNUL(bytes) && !(isName && bytes.contains(UInt8(ascii: ":"))) {
            out.append(contentsOf: bytes)
            return
        }
        for b in bytes where !ByteClass.isLineBreakOrNUL(b) && !(isName && b == UInt8(ascii: ":")) {
            out.append(b)
        }
    }

    /// The string's UTF-8 in place when it is contiguous (always, for native strings).
    @inline(__always) static func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        var copy = s
        return copy.withUTF8(body)
    }

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
        return withBytes(b) { nameEquals(a, $0) }
    }

    /// `name` equals the bytes, ASCII case-insensitively.
    static func nameEquals(_ name: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.utf8.count == bytes.count else { return false }
        return withBytes(name) { p in
            for i in 0..<p.count where p[i] != bytes[i] && asciiLower(p[i]) != asciiLower(bytes[i]) { return false }
            return true
        }
    }
}
