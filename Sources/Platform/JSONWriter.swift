/// Appends JSON tokens to a byte buffer. Used for envelopes, logs and metrics, where building
/// bytes directly is cheaper than going through an encoder.
public enum JSONWriter {
    @usableFromInline static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `s` as a quoted JSON string, escaping quotes, backslashes and control characters.
    public static func appendString(_ s: String, to out: inout [UInt8]) { appendString(utf8: s.utf8, to: &out) }

    /// A string given as its UTF-8 bytes (a database value read in place). Inlinable: the
    /// loop is specialised for the caller's byte collection.
    @inlinable
    public static func appendString(utf8 bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    public static func appendRaw(_ s: String, to out: inout [UInt8]) { out.append(contentsOf: s.utf8) }

    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        appendString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
