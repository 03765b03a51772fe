/// Percent-decoding (RFC 3986 section 2.1) for paths and queries, on bytes.
public enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as space when asked). Returns nil for a malformed escape
    /// or when the decoded bytes are not valid UTF-8.
    public static func decode<C: Collection>(_ bytes: C, plusAsSpace: Bool) -> [UInt8]? where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                let h = bytes.index(after: i)
                guard h != bytes.endIndex else { return nil }
                let l = bytes.index(after: h)
                guard l != bytes.endIndex, let hi = hexValue(bytes[h]), let lo = hexValue(bytes[l]) else { return nil }
                out.append(hi << 4 | lo)
                i = bytes.index(after: l)
                continue
            }
            out.append(plusAsSpace && b == UInt8(ascii: "+") ? 0x20 : b)
            i = bytes.index(after: i)
        }
        guard validUTF8(out) else { return nil }
        return out
    }

    /// True when every `%` in the bytes starts a well-formed escape.
    static func hasValidEscapes(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        while i < end {
            if p[i] == UInt8(ascii: "%") {
                guard i + 2 < end, hexValue(p[i + 1]) != nil, hexValue(p[i + 2]) != nil else { return false }
                i += 3
            } else {
                i += 1
            }
        }
        return true
    }

    static func queryItems(_ raw: ArraySlice<UInt8>) -> [(name: String, value: String)] {
        var items: [(name: String, value: String)] = []
        for pair in raw.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let eq = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = eq.map { pair[pair.startIndex..<$0] } ?? pair
            let rawValue = eq.map { pair[pair.index(after: $0)...] } ?? []
            guard let n = decode(rawName, plusAsSpace: true), let v = decode(rawValue, plusAsSpace: true) else { continue }
            items.append((String(decoding: n, as: UTF8.self), String(decoding: v, as: UTF8.self)))
        }
        return items
    }

    @inline(__always) static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func validUTF8(_ bytes: [UInt8]) -> Bool {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
