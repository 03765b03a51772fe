import Crypto
import Foundation
import HTTPServer
import Platform
import Postgres

/// Where an export's bytes go: the response stream itself, or gzip in front of it.
protocol ExportSink: AnyObject {
    func write(_ bytes: [UInt8]) throws
    func finish() throws
}

extension ResponseStream: ExportSink {
    func finish() throws {}
}

/// gzip as the document streams, in constant memory (the compressor's window and buffer).
final class GzipSink: ExportSink {
    let out: ResponseStream
    let compressor: GzipCompressor

    init(_ out: ResponseStream) throws {
        self.out = out
        compressor = try GzipCompressor(level: 6)
    }

    func write(_ bytes: [UInt8]) throws { try compressor.write(bytes) { try out.write($0) } }
    func finish() throws { try compressor.finish { try out.write($0) } }
}

/// A job's results as one streamed document (CSV or JSON), read through server-side cursors
/// in one transaction: memory stays flat however many matches, and the client sees one
/// consistent snapshot. Rejected matches are left out; their records count as unmatched.
final class ExportService: Sendable {
    let pool: ConnectionPool
    /// The stream connections: an export holds one for as long as its reader takes.
    let streamPool: ConnectionPool
    let access: ProjectAccess
    let streams: StreamAdmission

    init(pool: ConnectionPool, streamPool: ConnectionPool, access: ProjectAccess, streams: StreamAdmission) {
        self.pool = pool
        self.streamPool = streamPool
        self.access = access
        self.streams = streams
    }

    func export(_ p: Principal, project: UUID, job id: UUID, json: Bool, gzip: Bool = false) throws -> ResponseStream {
        let job = try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .read)
            return try ReconciliationJobService.load(tx, project: project, id: id)
        }
        guard job.status == "completed" else { throw AppError(.conflict, "The job is \(job.status); results can be exported once it completed") }
        let slot = try streams.admit(p.id)
        let pool = streamPool
        let stream = ResponseStream(capacity: 256 * 1024) { out in
            defer { slot.release() }
            // One snapshot for the whole document: a decision taken meanwhile cannot show a
            // record both in a match and unmatched.
            let sink: any ExportSink = gzip ? try GzipSink(out) : out
            try pool.transaction(isolation: .repeatableRead) { tx in
                if json { try Self.json(tx, job, sink) } else { try Self.csv(tx, job, sink) }
            }
            try sink.finish()
        }
        // A stream that never starts (HEAD, a connection gone first) gives its slot back too.
        stream.onCancel { slot.release() }
        return stream
    }

    /// Streams `q`'s rows (COPY TO STDOUT: one pass, a parallel plan where the database picks
    /// one) to `row`, writing the document out every 256 KiB.
    static func each(_ tx: Transaction, _ q: PostgresQuery, columns: Int, _ out: any ExportSink,
                     _ row: (CopyTextRow, inout [UInt8]) throws -> Void) throws {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256 * 1024 + 4096)
        try tx.copyOutRows(q, columns: columns) { r in
            try row(r, &buffer)
            if buffer.count >= 256 * 1024 {
                try out.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try out.write(buffer) }
    }

    /// The sorts of a large job's export stay in memory (the default work_mem spills them).
    static let exportSettings: [PostgresQuery] = ["SET LOCAL work_mem = '64MB'"]

    /// The matches come as one row per record, in match order (left records first); a match's
    /// object is written as its rows are read (no aggregation in the database, no value copied
    /// but the current match's head).
    static func json(_ tx: Transaction, _ job: ReconciliationJobRecord, _ out: any ExportSink) throws {
        for q in exportSettings { try tx.query(q) }
        try out.write(Array(#"{"job_id":"\#(job.id.uuidString.lowercased())","matches":["#.utf8))
        var currentID: [UInt8] = []
        var head: [UInt8] = []
        var side: UInt8 = 0  // 0: no match open, 1: in left_ids, 2: in right_ids
        var firstID = true
        func close(_ b: inout [UInt8]) {
            if side == 1 { b.append(contentsOf: #"],"right_ids":["#.utf8) }
            b.append(contentsOf: "],".utf8)
            b.append(contentsOf: head)
            b.append(UInt8(ascii: "}"))
        }
        try each(tx, MatchRepository.exportMatchRecords(job: job.id), columns: 6, out) { r, b in
            let id = r.raw(2)
            if side == 0 || !Self.same(currentID, id) {
                if side != 0 { close(&b); b.append(UInt8(ascii: ",")) }
                currentID.removeAll(keepingCapacity: true)
                currentID.append(contentsOf: id)
                head.removeAll(keepingCapacity: true)
                head.append(contentsOf: #""confidence":"#.utf8)
                head.append(contentsOf: r.raw(5))
                head.append(contentsOf: #","type":""#.utf8)
                head.append(contentsOf: r.raw(3))
                head.append(contentsOf: #"","status":""#.utf8)
                head.append(contentsOf: r.raw(4))
                head.append(UInt8(ascii: "\""))
                b.append(contentsOf: #"{"match_id":""#.utf8)
                b.append(contentsOf: id)
                b.append(contentsOf: #"","left_ids":["#.utf8)
                side = 1
                firstID = true
            }
            if side == 1, r.raw(0).first == UInt8(ascii: "r") {
                b.append(contentsOf: #"],"right_ids":["#.utf8)
                side = 2
                firstID = true
            }
            if !firstID { b.append(UInt8(ascii: ",")) }
            firstID = false
            r.withValue(1) { JSONWriter.appendString(utf8: $0, to: &b) }
        }
        var tail: [UInt8] = []
        if side != 0 { close(&tail) }
        try out.write(tail)
        for (key, source) in [("unmatched_left", job.leftSourceID), ("unmatched_right", job.rightSourceID)] {
            try out.write(Array(#"],"\#(key)":["#.utf8))
            var first = true
            try each(tx, MatchRepository.exportUnmatched(job: job.id, source: source), columns: 1, out) { r, b in
                if !first { b.append(UInt8(ascii: ",")) }
                first = false
                r.withValue(0) { JSONWriter.appendString(utf8: $0, to: &b) }
            }
        }
        // Exact duplicate rows (an overlapping import): unmatched above, and named here.
        try out.write(Array(#"],"duplicates":["#.utf8))
        var first = true
        try each(tx, MatchRepository.exportDuplicates(job: job.id), columns: 3, out) { r, b in
            if !first { b.append(UInt8(ascii: ",")) }
            first = false
            b.append(contentsOf: #"{"side":""#.utf8)
            b.append(contentsOf: r.raw(2))
            b.append(contentsOf: #"","id":"#.utf8)
            r.withValue(0) { JSONWriter.appendString(utf8: $0, to: &b) }
            b.append(contentsOf: #","duplicate_of":"#.utf8)
            r.withValue(1) { JSONWriter.appendString(utf8: $0, to: &b) }
            b.append(UInt8(ascii: "}"))
        }
        try out.write(Array("]}".utf8))
    }

    static func same(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let q = b.baseAddress else { return true }
        return a.withUnsafeBufferPointer { memcmp($0.baseAddress!, q, b.count) == 0 }
    }

    /// One row per record, matched or not, with what a person needs to review it in a
    /// spreadsheet: the record's date, amount, currency, reference, counterparty and
    /// description after the match columns. Text cells are quoted and neutralised (`csvField`);
    /// the date and the amount are the database's own text (digits, sign, point).
    static func csv(_ tx: Transaction, _ job: ReconciliationJobRecord, _ out: any ExportSink) throws {
        for q in exportSettings { try tx.query(q) }
        try out.write(Array("side,external_id,match_id,match_type,match_status,confidence,date,amount,currency,reference,counterparty,description\r\n".utf8))
        func text(_ r: CopyTextRow, _ i: Int, _ b: inout [UInt8]) {
            b.append(UInt8(ascii: ","))
            if !r.isNull(i) { b.append(contentsOf: csvField(r.withValue(i) { String(decoding: $0, as: UTF8.self) }).utf8) }
        }
        func recordFields(_ r: CopyTextRow, from k: Int, _ b: inout [UInt8]) {
            b.append(UInt8(ascii: ","))
            b.append(contentsOf: r.raw(k))
            b.append(UInt8(ascii: ","))
            b.append(contentsOf: r.raw(k + 1))
            for i in (k + 2)...(k + 5) { text(r, i, &b) }
            b.append(contentsOf: [0x0D, 0x0A])
        }
        try each(tx, MatchRepository.exportMatchRecords(job: job.id, fields: true), columns: 12, out) { r, b in
            b.append(contentsOf: r.raw(0))
            text(r, 1, &b)
            for column in 2...5 {
                b.append(UInt8(ascii: ","))
                b.append(contentsOf: r.raw(column))
            }
            recordFields(r, from: 6, &b)
        }
        for (side, source) in [("left", job.leftSourceID), ("right", job.rightSourceID)] {
            try each(tx, MatchRepository.exportUnmatched(job: job.id, source: source, fields: true), columns: 7, out) { r, b in
                b.append(contentsOf: side.utf8)
                text(r, 0, &b)
                b.append(contentsOf: ",,unmatched,,".utf8)
                recordFields(r, from: 1, &b)
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
