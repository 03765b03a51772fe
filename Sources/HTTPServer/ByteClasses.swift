/// Character classes from RFC 9110 section 5.6, as 256-entry tables for branch-free lookups.
enum ByteClass {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09

    /// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static let token = alphanumericTable(plus: "!#$%&'*+-.^_`|~")

    /// field-vchar, SP and HTAB: what may appear inside a field value. Excludes NUL, CR, LF,
    /// other controls and DEL; obs-text (0x80-0xFF) is allowed.
    static let fieldValue: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for b in 0x21...0x7E { t[b] = true }
        for b in 0x80...0xFF { t[b] = true }
        t[0x20] = true
        t[0x09] = true
        return t
    }()

    /// Bytes allowed in a request-target: visible ASCII except "#" (fragments are never sent).
    static let target: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for b in 0x21...0x7E { t[b] = true }
        t[Int(UInt8(ascii: "#"))] = false
        return t
    }()

    /// Host field value: reg-name, IP literals and port (RFC 3986 section 3.2.2).
    static let host = alphanumericTable(plus: "-._~!$&'()*+,;=:[]%")

    private static func alphanumericTable(plus extra: String) -> [Bool] {
        var t = [Bool](repeating: false, count: 256)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(b)] = true }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(b)] = true }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(b)] = true }
        for c in extra.utf8 { t[Int(c)] = true }
        return t
    }
}
