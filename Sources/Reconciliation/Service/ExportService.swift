import Foundation
import HTTPServer
import Platform
import Postgres

/// A job's results as one streamed document (CSV or JSON), read through server-side cursors
/// in one transaction: memory stays flat however many matches, and the client sees one
/// consistent snapshot. Rejected matches are left out; their records count as unmatched.
final class ExportService: Sendable {
    let pool: ConnectionPool
    /// The stream connections: an export holds one for as long as its reader takes.
    let streamPool: ConnectionPool
    let access: ProjectAccess
    let streams: StreamAdmission
    static let page = 5_000

    init(pool: ConnectionPool, streamPool: ConnectionPool, access: ProjectAccess, streams: StreamAdmission) {
        self.pool = pool
        self.streamPool = streamPool
        self.access = access
        self.streams = streams
    }

    func export(_ p: Principal, project: UUID, job id: UUID, json: Bool) throws -> ResponseStream {
        let job = try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .read)
            return try ReconciliationJobService.load(tx, project: project, id: id)
        }
        guard job.status == "completed" else { throw AppError(.conflict, "The job is \(job.status); results can be exported once it completed") }
        let slot = try streams.admit(p.id)
        let pool = streamPool
        let stream = ResponseStream(capacity: 256 * 1024) { out in
            defer { slot.release() }
            try pool.transaction { tx in
                if json { try Self.json(tx, job, out) } else { try Self.csv(tx, job, out) }
            }
        }
        // A stream that never starts (HEAD, a connection gone first) gives its slot back too.
        stream.onCancel { slot.release() }
        return stream
    }

    /// Reads `q` page by page through a cursor, handing each row to `row`, writing as it goes.
    static func each(_ tx: Transaction, _ name: String, _ q: PostgresQuery, _ out: ResponseStream, _ row: (PostgresRow, inout [UInt8]) throws -> Void) throws {
        try tx.query(MatchRepository.declareCursor(name, q))
        var buffer: [UInt8] = []
        buffer.reserveCapacity(128 * 1024)
        while true {
            let rows = try tx.query(PostgresQuery(unsafeSQL: "FETCH \(page) FROM \(name)"))
            if rows.count == 0 { break }
            for r in rows { try row(r, &buffer) }
            try out.write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
        try tx.query(PostgresQuery(unsafeSQL: "CLOSE \(name)"))
    }

    /// The matches come as one row per record, in match order; a match's object is written
    /// when its last row has been read (no aggregation in the database).
    static func json(_ tx: Transaction, _ job: ReconciliationJobRecord, _ out: ResponseStream) throws {
        try out.write(Array(#"{"job_id":"\#(job.id.uuidString.lowercased())","matches":["#.utf8))
        struct Current {
            var id: UUID
            var head: String
            var left: [String] = []
            var right: [String] = []
        }
        var current: Current?
        var first = true
        func flush(_ c: Current, _ b: inout [UInt8]) {
            if !first { b.append(UInt8(ascii: ",")) }
            first = false
            b.append(contentsOf: #"{"match_id":"\#(c.id.uuidString.lowercased())","left_ids":["#.utf8)
            for (i, id) in c.left.enumerated() {
                if i > 0 { b.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(id, to: &b)
            }
            b.append(contentsOf: #"],"right_ids":["#.utf8)
            for (i, id) in c.right.enumerated() {
                if i > 0 { b.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(id, to: &b)
            }
            b.append(contentsOf: "],\(c.head)}".utf8)
        }
        try each(tx, "export_matches", MatchRepository.exportMatchRecords(job: job.id), out) { r, b in
            let id: UUID = try r.decode("id")
            if current?.id != id {
                if let c = current { flush(c, &b) }
                current = Current(id: id, head: #""confidence":\#(try r.decode("confidence", as: String.self)),"type":"\#(try r.decode("match_type", as: String.self))","status":"\#(try r.decode("status", as: String.self))""#)
            }
            let external: String = try r.decode("external_id")
            if try r.decode("side", as: String.self) == "left" { current!.left.append(external) } else { current!.right.append(external) }
        }
        var tail: [UInt8] = []
        if let c = current { flush(c, &tail) }
        try out.write(tail)
        for (key, source) in [("unmatched_left", job.leftSourceID), ("unmatched_right", job.rightSourceID)] {
            try out.write(Array(#"],"\#(key)":["#.utf8))
            first = true
            try each(tx, "export_\(key)", MatchRepository.exportUnmatched(job: job.id, source: source), out) { r, b in
                if !first { b.append(UInt8(ascii: ",")) }
                first = false
                JSONWriter.appendString(try r.decode("external_id"), to: &b)
            }
        }
        // Exact duplicate rows (an overlapping import): unmatched above, and named here.
        try out.write(Array(#"],"duplicates":["#.utf8))
        first = true
        try each(tx, "export_duplicates", MatchRepository.exportDuplicates(job: job.id), out) { r, b in
            if !first { b.append(UInt8(ascii: ",")) }
            first = false
            b.append(contentsOf: #"{"side":"\#(try r.decode("side", as: String.self))","id":"#.utf8)
            JSONWriter.appendString(try r.decode("external_id"), to: &b)
            b.append(contentsOf: #","duplicate_of":"#.utf8)
            JSONWriter.appendString(try r.decode("duplicate_of"), to: &b)
            b.append(UInt8(ascii: "}"))
        }
        try out.write(Array("]}".utf8))
    }

    static func csv(_ tx: Transaction, _ job: ReconciliationJobRecord, _ out: ResponseStream) throws {
        try out.write(Array("side,external_id,match_id,match_type,match_status,confidence\r\n".utf8))
        try each(tx, "export_matches", MatchRepository.exportMatchRecords(job: job.id), out) { r, b in
            b.append(contentsOf: "\(try r.decode("side", as: String.self)),\(csvField(try r.decode("external_id"))),\(try r.decode("id", as: UUID.self).uuidString.lowercased()),\(try r.decode("match_type", as: String.self)),\(try r.decode("status", as: String.self)),\(try r.decode("confidence", as: String.self))\r\n".utf8)
        }
        for (side, source) in [("left", job.leftSourceID), ("right", job.rightSourceID)] {
            try each(tx, "export_unmatched_\(side)", MatchRepository.exportUnmatched(job: job.id, source: source), out) { r, b in
                b.append(contentsOf: "\(side),\(csvField(try r.decode("external_id"))),,unmatched,,\r\n".utf8)
            }
        }
    }

    /// RFC 4180 quoting where needed. A cell whose first character after leading spaces could
    /// start a spreadsheet formula (OWASP CSV injection: =, +, -, @, tab, carriage return, or
    /// their full-width forms) is prefixed with ' whatever follows it: judged by its first
    /// Unicode scalar, so a combining mark after "=" does not hide it, and "-1+1+cmd|..." is
    /// not let through as a negative number.
    static func csvField(_ s: String) -> String {
        var v = s
        if let first = v.unicodeScalars.first(where: { $0 != " " }), formulaStarts.contains(first.value) { v = "'" + v }
        guard v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// = + - @ tab CR, and the full-width = + - @ (U+FF1D, U+FF0B, U+FF0D, U+FF20).
    static let formulaStarts: Set<UInt32> = [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D, 0xFF1D, 0xFF0B, 0xFF0D, 0xFF20]
}
