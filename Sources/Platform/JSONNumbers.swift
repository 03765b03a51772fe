/// Finds the numbers in a JSON document with the path of each ("lines[2].quantity"), so that a
/// number the decoder refused (a fraction for an integer field, a value beyond Int64 or
/// Double) can be reported against its field. The decoder in use reports such numbers only
/// as "not valid JSON" with no path. Nil when the text is not well-formed JSON.
enum JSONNumbers {
    struct Number {
        var path: String
        var range: Range<Int>
    }

    static func scan(_ b: [UInt8], maxDepth: Int = 256) -> [Number]? {
        var i = 0
        var numbers: [Number] = []

        func skipSpace() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }
        func string() -> String? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            while i < b.count, b[i] != UInt8(ascii: "\"") {
                if b[i] < 0x20 { return nil }
                i += b[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard i < b.count else { return nil }
            i += 1
            return String(decoding: b[start..<(i - 1)], as: UTF8.self)
        }
        func literal(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard i + w.count <= b.count, b[i..<(i + w.count)].elementsEqual(w) else { return false }
            i += w.count
            return true
        }
        func number(_ path: String) -> Bool {
            let start = i
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            let digitsStart = i
            while i < b.count, (0x30...0x39).contains(b[i]) || b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "e")
                || b[i] == UInt8(ascii: "E") || b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i > digitsStart else { return false }
            numbers.append(Number(path: path, range: start..<i))
            return true
        }
        func value(_ path: String, _ depth: Int) -> Bool {
            guard depth < maxDepth else { return false }
            skipSpace()
            guard i < b.count else { return false }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return true }
                while true {
                    skipSpace()
                    guard let key = string() else { return false }
                    skipSpace()
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { return false }
                    i += 1
                    guard value(path.isEmpty ? key : path + "." + key, depth + 1) else { return false }
                    skipSpace()
                    guard i < b.count else { return false }
                    if b[i] == UInt8(ascii: "}") { i += 1; return true }
                    guard b[i] == UInt8(ascii: ",") else { return false }
                    i += 1
                }
            case UInt8(ascii: "["):
                i += 1
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return true }
                var index = 0
                while true {
                    guard value(path + "[\(index)]", depth + 1) else { return false }
                    index += 1
                    skipSpace()
                    guard i < b.count else { return false }
                    if b[i] == UInt8(ascii: "]") { i += 1; return true }
                    guard b[i] == UInt8(ascii: ",") else { return false }
                    i += 1
                }
            case UInt8(ascii: "\""): return string() != nil
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number(path)
            }
        }
        guard value("", 0) else { return nil }
        skipSpace()
        return i == b.count ? numbers : nil
    }

    /// Whether the number text is a plain integer that fits Int64.
    static func isInt64(_ text: some Collection<UInt8>) -> Bool {
        Int64(String(decoding: text, as: UTF8.self)) != nil
    }

    /// Whether the number text is finite as a Double.
    static func isFiniteDouble(_ text: some Collection<UInt8>) -> Bool {
        Double(String(decoding: text, as: UTF8.self))?.isFinite ?? false
    }
}
