/// Character classes from RFC 9110 section 5.6, as 256-entry tables for branch-free lookups.
enum ByteClass {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09

    /// CR, LF or NUL: the bytes no header name or value may carry onto the wire.
    @inline(__always) static func isLineBreakOrNUL(_ b: UInt8) -> Bool { b == cr || b == lf || b == 0 }

    /// False when no byte is below 0x0E (so none is CR, LF or NUL), tested eight bytes at a
    /// time ("hasless" from Bit Twiddling Hacks); true means look closer.
    @inline(__always) static func mayHoldLineBreakOrNUL(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let a = bytes.baseAddress else { return false }
        let raw = UnsafeRawPointer(a)
        var i = 0
        while i + 8 <= bytes.count {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if (x &- 0x0E0E_0E0E_0E0E_0E0E) & ~x & 0x8080_8080_8080_8080 != 0 { return true }
            i += 8
        }
        while i < bytes.count {
            if bytes[i] < 0x0E { return true }
            i += 1
        }
        return false
    }

    // Character classes as predicates over 128-bit masks (the masks are literal constants, so
    // a test costs a shift and an AND: no lazily initialised table, no bounds check).

    /// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    @inline(__always) static func isToken(_ b: UInt8) -> Bool { inMask(b, 0x03ff6cfa00000000, 0x57ffffffc7fffffe) }

    /// field-vchar, SP and HTAB: what may appear inside a field value. Excludes NUL, CR, LF,
    /// other controls and DEL; obs-text (0x80-0xFF) is allowed.
    @inline(__always) static func isFieldValue(_ b: UInt8) -> Bool { b == htab || (b >= sp && b != 0x7F) }

    /// Bytes allowed in a request-target: visible ASCII except "#" (fragments are never sent).
    @inline(__always) static func isTarget(_ b: UInt8) -> Bool { b >= 0x21 && b <= 0x7E && b != UInt8(ascii: "#") }

    /// Host field value: reg-name, IP literals and port (RFC 3986 section 3.2.2).
    @inline(__always) static func isHost(_ b: UInt8) -> Bool { inMask(b, 0x2fff7ff200000000, 0x47fffffeaffffffe) }

    @inline(__always) private static func inMask(_ b: UInt8, _ low: UInt64, _ high: UInt64) -> Bool {
        b < 64 ? (low >> UInt64(b)) & 1 == 1 : b < 128 ? (high >> UInt64(b - 64)) & 1 == 1 : false
    }
}
