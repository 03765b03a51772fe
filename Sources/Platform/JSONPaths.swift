/// Finds, in a JSON document, the path of each number and of each string (key or value) that
/// holds an escaped NUL ("lines[2].quantity"), so that what the decoder refused without a path
/// (a fraction for an integer field, a value beyond Int64 or Double) or what PostgreSQL text
/// cannot hold (U+0000) can be reported against its field. Nil when the text is not
/// well-formed JSON.
enum JSONPaths {
    struct Number {
        var path: String
        var range: Range<Int>
    }

    struct Found {
        var numbers: [Number] = []
        /// Paths of strings holding \u0000; a key's path ends with the key itself.
        var stringsWithNUL: [String] = []
        /// Paths of keys that appear twice in one object (which value counts is anyone's guess).
        var duplicateKeys: [String] = []
    }

    static func numbers(_ b: [UInt8], maxDepth: Int = 256) -> [Number]? { scan(b, maxDepth: maxDepth)?.numbers }

    /// `stoppedAt` hears the byte offset where a text that is not well-formed JSON stopped
    /// being read (for an error that says where).
    static func scan(_ b: [UInt8], maxDepth: Int = 256, stoppedAt: ((Int) -> Void)? = nil) -> Found? {
        var i = 0
        var found = Found()

        func skipSpace() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }
        /// A string's raw text, and whether it holds an escaped NUL.
        func string() -> (text: String, nul: Bool)? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            var nul = false
            while i < b.count, b[i] != UInt8(ascii: "\"") {
                if b[i] < 0x20 { return nil }
                if b[i] == UInt8(ascii: "\\") {
                    if i + 5 < b.count, b[i + 1] == 0x75, b[(i + 2)...(i + 5)].allSatisfy({ $0 == 0x30 }) { nul = true }
                    i += 2
                } else {
                    i += 1
                }
            }
            guard i < b.count else { return nil }
            i += 1
            return (String(decoding: b[start..<(i - 1)], as: UTF8.self), nul)
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
            found.numbers.append(Number(path: path, range: start..<i))
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
                var keys = Set<String>()
                while true {
                    skipSpace()
                    guard let (key, nul) = string() else { return false }
                    let keyPath = path.isEmpty ? key : path + "." + key
                    if nul { found.stringsWithNUL.append(keyPath) }
                    if !keys.insert(key).inserted { found.duplicateKeys.append(keyPath) }
                    skipSpace()
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { return false }
                    i += 1
                    guard value(keyPath, depth + 1) else { return false }
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
            case UInt8(ascii: "\""):
                guard let (_, nul) = string() else { return false }
                if nul { found.stringsWithNUL.append(path.isEmpty ? "body" : path) }
                return true
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number(path)
            }
        }
        guard value("", 0) else { stoppedAt?(min(i, b.count)); return nil }
        skipSpace()
        guard i == b.count else { stoppedAt?(i); return nil }
        return found
    }

    /// Line and column (1-based, the column in characters) of byte `offset` of `b`.
    static func position(_ b: [UInt8], _ offset: Int) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        for k in 0..<min(offset, b.count) where b[k] == 0x0A { line += 1; lineStart = k + 1 }
        let column = String(decoding: b[lineStart..<min(offset, b.count)], as: UTF8.self).count + 1
        return (line, column)
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
