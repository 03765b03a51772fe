import FoundationEssentials

/// A statement with its parameters. Written with string interpolation, every interpolated value
/// becomes a `$n` placeholder and travels separately from the SQL text, so values can never
/// change the statement:
///
///     let q: PostgresQuery = "SELECT * FROM assets WHERE symbol = \(symbol) AND currency = \(ccy)"
///
/// Anything that must be spliced into the SQL itself (an identifier from a fixed list) has to
/// say so: `\(unsafeSQL: "ORDER BY created_at DESC")`.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var sql: String
    public private(set) var binds: [String?]

    public init(unsafeSQL sql: String, binds: [(any PostgresEncodable)?] = []) {
        self.sql = sql
        self.binds = binds.map { $0?.postgresText }
    }

    public init(stringLiteral value: String) {
        sql = value
        binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        sql = stringInterpolation.sql
        binds = stringInterpolation.binds
    }

    /// The SQL only: bind values are never printed (they may be secrets or personal data).
    public var description: String { binds.isEmpty ? sql : "\(sql) [\(binds.count) binds: ****]" }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value.postgresText)
            sql += "$\(binds.count)"
        }

        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            binds.append(value?.postgresText)
            sql += "$\(binds.count)"
        }

        public mutating func appendInterpolation(unsafeSQL: String) { sql += unsafeSQL }
    }
}

/// A Swift value that can be sent as a parameter, in PostgreSQL's text format.
public protocol PostgresEncodable: Sendable {
    var postgresText: String { get }
}

extension String: PostgresEncodable { public var postgresText: String { self } }
extension Int: PostgresEncodable { public var postgresText: String { String(self) } }
extension Int64: PostgresEncodable { public var postgresText: String { String(self) } }
extension Int32: PostgresEncodable { public var postgresText: String { String(self) } }
extension Int16: PostgresEncodable { public var postgresText: String { String(self) } }
extension Double: PostgresEncodable {
    public var postgresText: String { isNaN ? "NaN" : isInfinite ? (self > 0 ? "Infinity" : "-Infinity") : "\(self)" }
}
extension Bool: PostgresEncodable { public var postgresText: String { self ? "true" : "false" } }
extension Decimal: PostgresEncodable { public var postgresText: String { description } }
extension UUID: PostgresEncodable { public var postgresText: String { uuidString.lowercased() } }
extension Date: PostgresEncodable { public var postgresText: String { PostgresTime.format(self) } }

/// bytea, sent in hex form.
public struct PostgresBytes: PostgresEncodable, Equatable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var postgresText: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = Array("\\x".utf8)
        out.reserveCapacity(2 + bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// json/jsonb, sent as its text.
public struct PostgresJSON: PostgresEncodable, Equatable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public init(_ value: some Encodable) throws { text = String(decoding: try JSONEncoder().encode(value), as: UTF8.self) }
    public var postgresText: String { text }
}

/// A calendar date without time zone (SQL `date`).
public struct PostgresDate: PostgresEncodable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var description: String {
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public var postgresText: String { description }

    public static func < (a: PostgresDate, b: PostgresDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    /// Array literal: {"a","b"} with every element quoted and escaped.
    public var postgresText: String {
        "{" + map { element -> String in
            var s = "\""
            for c in element.postgresText {
                if c == "\"" || c == "\\" { s.append("\\") }
                s.append(c)
            }
            return s + "\""
        }.joined(separator: ",") + "}"
    }
}

extension PostgresQuery {
    /// The highest `$n` placeholder in the SQL text, skipping string literals, quoted
    /// identifiers, dollar-quoted bodies and comments.
    var highestPlaceholder: Int {
        let b = Array(sql.utf8)
        var i = 0
        var highest = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                i += 1
                while i < b.count && b[i] != c { i += 1 }
                i += 1
            case UInt8(ascii: "-") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "-"):
                while i < b.count && b[i] != 0x0A { i += 1 }
            case UInt8(ascii: "/") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "*"):
                i += 2
                while i + 1 < b.count && !(b[i] == UInt8(ascii: "*") && b[i + 1] == UInt8(ascii: "/")) { i += 1 }
                i += 2
            case UInt8(ascii: "$"):
                var j = i + 1
                var n = 0
                while j < b.count && isDigit(b[j]) && n < 100_000 {
                    n = n * 10 + Int(b[j] - 0x30)
                    j += 1
                }
                if j > i + 1 {
                    highest = max(highest, n)
                    i = j
                    continue
                }
                // A dollar-quote tag: $$ or $tag$ ... up to the same tag.
                while j < b.count && (b[j] == UInt8(ascii: "_") || (b[j] | 0x20 >= 0x61 && b[j] | 0x20 <= 0x7A) || isDigit(b[j])) { j += 1 }
                guard j < b.count, b[j] == UInt8(ascii: "$") else {
                    i += 1
                    continue
                }
                let tag = b[i...j]
                var k = j + 1
                while k + tag.count <= b.count && !b[k..<(k + tag.count)].elementsEqual(tag) { k += 1 }
                i = k + tag.count
            default:
                i += 1
            }
        }
        return highest
    }

    /// A statement whose placeholders and bind values disagree is a programming error: reported
    /// as such (`.usage`, a 500) before it reaches the server, which would answer with a
    /// protocol violation that looks like a broken connection.
    func checkBindCount() throws {
        let expected = highestPlaceholder
        guard expected == binds.count else {
            var e = PostgresError(.usage, "statement uses \(expected) placeholders but \(binds.count) values were bound")
            e.query = sql
            throw e
        }
    }
}
