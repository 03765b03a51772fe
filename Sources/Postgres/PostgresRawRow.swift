import CLibPQ

/// One row of a result read in place (text format): a value is the bytes libpq holds, valid
/// only during the `forEachRow` call that handed the row over. Columns are by position.
public struct PostgresRawRow {
    let result: OpaquePointer
    let index: Int32

    public func isNull(_ column: Int) -> Bool { PQgetisnull(result, index, Int32(column)) == 1 }

    /// The value's bytes (empty for NULL; ask `isNull` to tell NULL from "").
    public func bytes(_ column: Int) -> UnsafeBufferPointer<UInt8> {
        let n = Int(PQgetlength(result, index, Int32(column)))
        guard n > 0, let p = PQgetvalue(result, index, Int32(column)) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeRawPointer(p).withMemoryRebound(to: UInt8.self, capacity: n) { UnsafeBufferPointer(start: $0, count: n) }
    }

    /// The value as a String (nil for NULL).
    public func string(_ column: Int) -> String? {
        isNull(column) ? nil : String(decoding: bytes(column), as: UTF8.self)
    }

    /// A decimal integer value (int2/4/8 text); nil for NULL or anything else.
    public func int(_ column: Int) -> Int64? {
        let b = bytes(column)
        guard !b.isEmpty else { return nil }
        var i = 0, negative = false
        if b[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        guard i < b.count else { return nil }
        // Accumulated negatively: Int64.min has no positive counterpart.
        var v: Int64 = 0
        while i < b.count {
            let d = b[i] &- 48
            guard d < 10 else { return nil }
            let (times10, o1) = v.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            v = next
            i += 1
        }
        if negative { return v }
        return v == .min ? nil : -v
    }
}
