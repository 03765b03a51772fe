import CLibPQ

/// One row of `COPY (query) TO STDOUT` in text format, read in place: fields split at tabs,
/// `\N` for NULL, backslash escapes undone on request. Valid only during the call that hands
/// it over.
public struct CopyTextRow {
    let line: UnsafeBufferPointer<UInt8>
    /// Start and end of each field in `line`.
    let bounds: [(Int, Int)]

    public var count: Int { bounds.count }

    public func isNull(_ i: Int) -> Bool {
        let (a, b) = bounds[i]
        return b - a == 2 && line[a] == 0x5C && line[a + 1] == UInt8(ascii: "N")
    }

    /// The field as COPY wrote it (escapes kept): for values that never carry any (numbers,
    /// UUIDs, the product's own identifiers).
    public func raw(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let (a, b) = bounds[i]
        return UnsafeBufferPointer(rebasing: line[a..<b])
    }

    /// The field's value with COPY's escapes undone, handed to `body` (in place when it has
    /// none, the common case).
    public func withValue<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let field = raw(i)
        guard field.contains(0x5C) else { return try body(field) }
        var out: [UInt8] = []
        out.reserveCapacity(field.count)
        var j = 0
        while j < field.count {
            let c = field[j]
            guard c == 0x5C, j + 1 < field.count else { out.append(c); j += 1; continue }
            let e = field[j + 1]
            j += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                // \ooo: up to three octal digits.
                var v = Int(e - 48), k = 0
                while k < 2, j < field.count, (48...55).contains(field[j]) { v = v * 8 + Int(field[j] - 48); j += 1; k += 1 }
                out.append(UInt8(truncatingIfNeeded: v))
            default: out.append(e)  // \\ and any other escaped character stand for themselves
            }
        }
        return try out.withUnsafeBufferPointer(body)
    }
}

extension PostgresConnection {
    /// Runs `q` as `COPY (q) TO STDOUT` and hands each row to `row`. COPY takes no parameters,
    /// so each bind is written into the statement as a literal quoted by libpq
    /// (PQescapeLiteral), never as raw text. Unlike a cursor, the query may use a parallel
    /// plan. `q` must not hold `$n` inside its own string literals.
    @discardableResult
    public func copyOutRows(_ q: PostgresQuery, columns: Int, _ row: (CopyTextRow) throws -> Void) throws -> Int {
        let sql = "COPY (" + (try inlined(q)) + ") TO STDOUT"
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_OUT else { _ = try consumeResult(start, query: q.sql); throw PostgresError(.usage, "not a COPY TO STDOUT") }
        PQclear(start)
        var callerError: (any Error)?
        var bounds: [(Int, Int)] = []
        bounds.reserveCapacity(columns)
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(handle, &buffer, 0)
            if n > 0, let buffer {
                defer { PQfreemem(buffer) }
                guard callerError == nil else { continue }
                // libpq hands over one whole row per call, ending in a newline.
                let line = UnsafeRawPointer(buffer).withMemoryRebound(to: UInt8.self, capacity: Int(n)) {
                    UnsafeBufferPointer(start: $0, count: Int(n) - ($0[Int(n) - 1] == 0x0A ? 1 : 0))
                }
                bounds.removeAll(keepingCapacity: true)
                var a = 0
                for k in 0..<line.count where line[k] == 0x09 {
                    bounds.append((a, k))
                    a = k + 1
                }
                bounds.append((a, line.count))
                do {
                    guard bounds.count == columns else { throw PostgresError(.usage, "COPY row of \(bounds.count) fields, expected \(columns)") }
                    try row(CopyTextRow(line: line, bounds: bounds))
                } catch { callerError = error }
                continue
            }
            if n == -1 { break }
            throw connectionFailure(query: q.sql)
        }
        let result = try consumeResult(PQgetResult(handle), query: q.sql)
        while let r = PQgetResult(handle) { PQclear(r) }
        if let callerError { throw callerError }
        return result.affectedRows
    }

    /// `q`'s SQL with each `$n` outside quotes replaced by its bind as a quoted literal.
    func inlined(_ q: PostgresQuery) throws -> String {
        try q.checkBindCount()
        var literals: [String] = []
        for bind in q.binds {
            guard let bind else { literals.append("NULL"); continue }
            guard let p = PQescapeLiteral(handle, bind, bind.utf8.count) else { throw connectionFailure(query: q.sql) }
            literals.append(String(cString: p))
            PQfreemem(p)
        }
        var out: [UInt8] = []
        let sql = Array(q.sql.utf8)
        var i = 0
        var quoted = false
        while i < sql.count {
            let c = sql[i]
            if c == UInt8(ascii: "'") { quoted.toggle() }
            if !quoted, c == UInt8(ascii: "$"), i + 1 < sql.count, (48...57).contains(sql[i + 1]) {
                var j = i + 1, n = 0
                while j < sql.count, (48...57).contains(sql[j]) { n = n * 10 + Int(sql[j] - 48); j += 1 }
                guard n >= 1, n <= literals.count else { throw PostgresError(.usage, "placeholder $\(n) without a bind") }
                out.append(contentsOf: literals[n - 1].utf8)
                i = j
                continue
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Transaction {
    /// See `PostgresConnection.copyOutRows`.
    @discardableResult
    public func copyOutRows(_ q: PostgresQuery, columns: Int, _ row: (CopyTextRow) throws -> Void) throws -> Int {
        try connection.copyOutRows(q, columns: columns, row)
    }
}
