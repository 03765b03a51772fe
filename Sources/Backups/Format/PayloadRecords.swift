/// The plaintext of a backup (inside gzip, inside the encrypted container): a sequence of
/// framed records, so table data of any content can never be mistaken for structure.
///
///     "T" u16 name length, name          a table starts
///     "D" u32 length, bytes              COPY text data of the current table
///     "E" u64 rows, 32-byte SHA-256      the table ends: its row count and the digest of its data
///     "M" u32 length, JSON               the manifest
///     "Z"                                end of payload
enum PayloadRecord: Equatable {
    case table(String)
    case data([UInt8])
    case end(rows: UInt64, sha256: [UInt8])
    case manifest([UInt8])
    case done

    var bytes: [UInt8] {
        switch self {
        case .table(let name):
            let n = Array(name.utf8)
            return [UInt8(ascii: "T")] + EncryptedStream.be(UInt64(n.count), 2) + n
        case .data(let d): return [UInt8(ascii: "D")] + EncryptedStream.be(UInt64(d.count), 4) + d
        case .end(let rows, let sha): return [UInt8(ascii: "E")] + EncryptedStream.be(rows, 8) + sha
        case .manifest(let m): return [UInt8(ascii: "M")] + EncryptedStream.be(UInt64(m.count), 4) + m
        case .done: return [UInt8(ascii: "Z")]
        }
    }
}

/// Parses records from bytes arriving in arbitrary pieces (a state machine with a small buffer).
struct PayloadParser {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private var buffer: [UInt8] = []
    private var position = 0
    private(set) var sawDone = false
    /// Largest record accepted (a COPY data piece or the manifest).
    static let maxRecord = 64 << 20

    mutating func feed(_ bytes: [UInt8], _ record: (PayloadRecord) throws -> Void) throws {
        buffer.removeFirst(position)
        position = 0
        buffer += bytes
        while let r = try next() { try record(r) }
    }

    private func integer(_ at: Int, _ n: Int) -> Int {
        var v = 0
        for i in 0..<n { v = v << 8 | Int(buffer[at + i]) }
        return v
    }

    private mutating func next() throws -> PayloadRecord? {
        let available = buffer.count - position
        guard available >= 1 else { return nil }
        if sawDone { throw Failure(description: "data after the end of the payload") }
        let kind = buffer[position]
        func take(_ header: Int, _ lengthBytes: Int) throws -> [UInt8]? {
            guard available >= header else { return nil }
            let length = integer(position + 1, lengthBytes)
            guard length <= Self.maxRecord else { throw Failure(description: "record too large") }
            guard available >= header + length else { return nil }
            defer { position += header + length }
            return Array(buffer[(position + header)..<(position + header + length)])
        }
        switch kind {
        case UInt8(ascii: "T"):
            guard let name = try take(3, 2) else { return nil }
            return .table(String(decoding: name, as: UTF8.self))
        case UInt8(ascii: "D"):
            guard let d = try take(5, 4) else { return nil }
            return .data(d)
        case UInt8(ascii: "E"):
            guard available >= 41 else { return nil }
            defer { position += 41 }
            return .end(rows: UInt64(integer(position + 1, 8)), sha256: Array(buffer[(position + 9)..<(position + 41)]))
        case UInt8(ascii: "M"):
            guard let m = try take(5, 4) else { return nil }
            return .manifest(m)
        case UInt8(ascii: "Z"):
            position += 1
            sawDone = true
            return .done
        default:
            throw Failure(description: "unknown record \(kind)")
        }
    }
}
