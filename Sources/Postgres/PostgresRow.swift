import FoundationEssentials

/// The rows of a result, copied out of libpq so the PGresult can be freed at once.
public struct PostgresRows: Sendable, Sequence {
    public let columns: [String]
    let types: [UInt32]
    let cells: [[String?]]
    /// Rows affected by INSERT/UPDATE/DELETE (or returned by SELECT).
    public let affectedRows: Int

    public var count: Int { cells.count }
    public var isEmpty: Bool { cells.isEmpty }
    public var first: PostgresRow? { cells.isEmpty ? nil : PostgresRow(rows: self, index: 0) }

    public func makeIterator() -> AnyIterator<PostgresRow> {
        var i = 0
        return AnyIterator {
            guard i < cells.count else { return nil }
            defer { i += 1 }
            return PostgresRow(rows: self, index: i)
        }
    }

    func columnIndex(_ name: String) throws -> Int {
        guard let i = columns.firstIndex(of: name) else { throw PostgresError(.usage, "no column \(name) in result") }
        return i
    }
}

/// One row. Values are decoded by column name into the requested Swift type; the column's
/// PostgreSQL type is checked so a mismatch is an error rather than a silent conversion.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        let i = try rows.columnIndex(column)
        guard let text = rows.cells[index][i] else {
            throw PostgresError(.decoding, "column \(column) is NULL; decode as Optional")
        }
        return try T.decode(text, oid: rows.types[i], column: column)
    }

    public func decode<T: PostgresDecodable>(_ column: String, as type: T?.Type = T?.self) throws -> T? {
        let i = try rows.columnIndex(column)
        guard let text = rows.cells[index][i] else { return nil }
        return try T.decode(text, oid: rows.types[i], column: column)
    }

    public func isNull(_ column: String) throws -> Bool { rows.cells[index][try rows.columnIndex(column)] == nil }
}

/// PostgreSQL type OIDs (pg_type.dat).
public enum PostgresOID {
    public static let bool: UInt32 = 16, bytea: UInt32 = 17, int8: UInt32 = 20, int2: UInt32 = 21, int4: UInt32 = 23
    public static let text: UInt32 = 25, json: UInt32 = 114, float4: UInt32 = 700, float8: UInt32 = 701
    public static let bpchar: UInt32 = 1042, varchar: UInt32 = 1043, date: UInt32 = 1082, timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184, numeric: UInt32 = 1700, uuid: UInt32 = 2950, jsonb: UInt32 = 3802
    public static let int2Array: UInt32 = 1005, int4Array: UInt32 = 1007, int8Array: UInt32 = 1016
    public static let textArray: UInt32 = 1009, varcharArray: UInt32 = 1015, name: UInt32 = 19, oid: UInt32 = 26
}

public protocol PostgresDecodable: Sendable {
    static func decode(_ text: String, oid: UInt32, column: String) throws -> Self
}

func mismatch(_ column: String, _ oid: UInt32, _ type: Any.Type) -> PostgresError {
    PostgresError(.decoding, "column \(column) of type oid \(oid) cannot be decoded as \(type)")
}

extension Int: PostgresDecodable {
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> Int {
        guard [PostgresOID.int2, PostgresOID.int4, PostgresOID.int8, PostgresOID.oid].contains(oid) else { throw mismatch(column, oid, Int.self) }
        guard let v = Int(text) else { throw PostgresError(.decoding, "column \(column): \(text) is not an integer") }
        return v
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> Double {
        guard [PostgresOID.float8, PostgresOID.float4, PostgresOID.numeric, PostgresOID.int2, PostgresOID.int4, PostgresOID.int8].contains(oid)
        else { throw mismatch(column, oid, Double.self) }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let v = Double(text) else { throw PostgresError(.decoding, "column \(column): \(text) is not a number") }
            return v
        }
    }
}

extension Decimal: PostgresDecodable {
    /// numeric is exact: decoded from its text, never through a Double.
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> Decimal {
        guard [PostgresOID.numeric, PostgresOID.int2, PostgresOID.int4, PostgresOID.int8].contains(oid) else { throw mismatch(column, oid, Decimal.self) }
        guard let v = Decimal(string: text) else { throw PostgresError(.decoding, "column \(column): \(text) is not a decimal") }
        return v
    }
}

extension String: PostgresDecodable {
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> String {
        guard [PostgresOID.text, PostgresOID.varchar, PostgresOID.bpchar, PostgresOID.name, PostgresOID.uuid].contains(oid) else {
            throw mismatch(column, oid, String.self)
        }
        return text
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> Bool {
        guard oid == PostgresOID.bool else { throw mismatch(column, oid, Bool.self) }
        return text == "t"
    }
}

extension UUID: PostgresDecodable {
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> UUID {
        guard oid == PostgresOID.uuid, let v = UUID(uuidString: text) else { throw mismatch(column, oid, UUID.self) }
        return v
    }
}

extension Date: PostgresDecodable {
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> Date {
        guard oid == PostgresOID.timestamptz, let v = PostgresTime.parse(text) else { throw mismatch(column, oid, Date.self) }
        return v
    }
}

extension PostgresDate: PostgresDecodable {
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> PostgresDate {
        guard oid == PostgresOID.date, let v = PostgresDate(text) else { throw mismatch(column, oid, PostgresDate.self) }
        return v
    }
}

extension PostgresJSON: PostgresDecodable {
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> PostgresJSON {
        guard oid == PostgresOID.jsonb || oid == PostgresOID.json else { throw mismatch(column, oid, PostgresJSON.self) }
        return PostgresJSON(text)
    }
}

extension PostgresBytes: PostgresDecodable {
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> PostgresBytes {
        guard oid == PostgresOID.bytea, text.hasPrefix("\\x") else { throw mismatch(column, oid, PostgresBytes.self) }
        var out: [UInt8] = []
        var hi: UInt8? = nil
        for c in text.utf8.dropFirst(2) {
            let v: UInt8
            switch c {
            case 48...57: v = c - 48
            case 97...102: v = c - 87
            case 65...70: v = c - 55
            default: throw PostgresError(.decoding, "column \(column): invalid bytea")
            }
            if let h = hi { out.append(h << 4 | v); hi = nil } else { hi = v }
        }
        return PostgresBytes(out)
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// One-dimensional int and text arrays: {1,2,3} and {"a b",c,NULL is rejected}.
    public static func decode(_ text: String, oid: UInt32, column: String) throws -> [Element] {
        let elementOID: UInt32
        switch oid {
        case PostgresOID.int2Array: elementOID = PostgresOID.int2
        case PostgresOID.int4Array: elementOID = PostgresOID.int4
        case PostgresOID.int8Array: elementOID = PostgresOID.int8
        case PostgresOID.textArray: elementOID = PostgresOID.text
        case PostgresOID.varcharArray: elementOID = PostgresOID.varchar
        default: throw mismatch(column, oid, [Element].self)
        }
        var chars = [Character](text)
        guard chars.first == "{", chars.last == "}" else { throw PostgresError(.decoding, "column \(column): not an array") }
        chars = [Character](chars.dropFirst().dropLast())
        var elements: [Element] = []
        var i = 0
        while i < chars.count {
            var item = ""
            if chars[i] == "\"" {
                i += 1
                while i < chars.count && chars[i] != "\"" {
                    if chars[i] == "\\" { i += 1 }
                    if i < chars.count { item.append(chars[i]) }
                    i += 1
                }
                i += 1
            } else {
                while i < chars.count && chars[i] != "," { item.append(chars[i]); i += 1 }
                if item == "NULL" { throw PostgresError(.decoding, "column \(column): NULL array element") }
            }
            elements.append(try Element.decode(item, oid: elementOID, column: column))
            i += 1 // the comma
        }
        return elements
    }
}
