import CSystem
import Crypto
import Foundation
import HTTPServer
import Logging
import Platform
import Postgres
import SystemSupport

/// What an upload stored, and the dialect the file was read with.
struct UploadResult: Sendable {
    var upload: UploadRecord
    var dialect: Dialect
    var replaced: UUID?
}

/// The CSV preview: rows as the current mapping reads them, nothing stored.
struct PreviewResult: Sendable {
    var header: [String]
    var dialect: Dialect?
    var rows: [ParsedRecord]
    var issues: [RowIssue]
}

/// Where an upload's bytes come from: the request body (maybe multipart), piece by piece.
struct UploadBody {
    var read: () throws -> [UInt8]?
    var multipart: MultipartFileExtractor?
    var fileName: String
    var contentType: String

    /// Reads the body until it ends or `stop(bytes of body read)` says so, handing the file's
    /// bytes to `file`: the body itself, or the file part of a multipart body. A piece taking
    /// the body past `maxBytes` is refused (413) before it is handed on. `complete`: the whole
    /// file is wanted, so a multipart body must also have closed its file part. Returns the
    /// multipart extractor as reading left it (the part's file name and type), if any.
    @discardableResult
    func readFile(maxBytes: Int = .max, complete: Bool, stop: (Int) -> Bool = { _ in false },
                  _ file: ([UInt8]) throws -> Void) throws -> MultipartFileExtractor? {
        var extractor = multipart
        var read = 0
        while !stop(read), let piece = try self.read() {
            read += piece.count
            if read > maxBytes { throw AppError(.payloadTooLarge, "The file is larger than UPLOAD_MAX_BYTES (\(maxBytes) bytes)") }
            if extractor != nil { try extractor!.feed(piece, file) } else { try file(piece) }
        }
        if complete, extractor != nil { try extractor!.finish(file) }
        return extractor
    }
}

/// Uploads: parsed as they stream in (never whole in memory), staged with COPY into a
/// temporary table, checked (bad rows, ids repeated in the file, ids the source already has,
/// the same file uploaded before) and then stored, all in one transaction: a file is stored
/// whole or not at all.
final class UploadService: Sendable {
    let pool: ConnectionPool
    let access: ProjectAccess
    let maxBytes: Int
    let metrics: ReconciliationMetrics
    let logger: Logger

    init(pool: ConnectionPool, access: ProjectAccess, maxBytes: Int, metrics: ReconciliationMetrics, logger: Logger) {
        self.pool = pool
        self.access = access
        self.maxBytes = maxBytes
        self.metrics = metrics
        self.logger = logger
    }

    func upload(_ p: Principal, project: UUID, source sourceID: UUID, body: UploadBody, replace: Bool, audit: AuditEntry) throws -> UploadResult {
        guard let user = UUID(uuidString: p.id) else { throw AppError(.forbidden, "Uploads belong to user accounts; log in as a user") }
        let started = MonotonicClock.milliseconds()
        // An upload's buffers are the largest this process allocates; handing the freed pages
        // back keeps a burst of big or hostile uploads from pinning the RSS at its high water.
        defer { malloc_trim(0) }
        do {
            let result = try store(project: project, source: sourceID, user: user, principal: p, body: body, replace: replace, audit: audit)
            let seconds = Double(MonotonicClock.milliseconds() - started) / 1000
            metrics.uploads.inc(["stored"])
            metrics.uploadRows.inc(by: Double(result.upload.rowCount))
            metrics.uploadBytes.inc(by: Double(result.upload.sizeBytes))
            metrics.uploadSeconds.observe(seconds)
            logger.info("upload stored", metadata: ["upload_id": "\(result.upload.id.uuidString.lowercased())", "source_id": "\(sourceID.uuidString.lowercased())",
                                                     "rows": "\(result.upload.rowCount)", "bytes": "\(result.upload.sizeBytes)", "ms": "\(Int(seconds * 1000))"])
            return result
        } catch let e as AppError {
            metrics.uploads.inc([e.code == .validationError ? "invalid" : e.code == .conflict ? "duplicate" : "failed"])
            throw e
        } catch {
            metrics.uploads.inc(["failed"])
            throw error
        }
    }

    /// An upload goes straight into reconciliation_records with one COPY, its file row first
    /// (the records' reference check runs at the end of the COPY) and completed once the file
    /// has been read. A replacing upload (`replace`) is staged instead: which upload it
    /// replaces is known only from the digest of the whole file, and the replaced records must
    /// be retired before the new ones, which carry the same ids, go in.
    private func store(project: UUID, source sourceID: UUID, user: UUID, principal p: Principal, body: UploadBody, replace: Bool,
                       audit: AuditEntry) throws -> UploadResult {
        try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .write)
            // Locked: two uploads to one source are checked against each other in turn.
            let source = try SourceService.load(tx, project: project, id: sourceID, lock: true)
            let settings = try SourceService.settings(source)
            try UploadRepository.prepareSession(tx, timeoutMs: Self.uploadTimeoutMs)
            let fileID = UUID()
            let fileName = body.fileName
            if !replace {
                try tx.query(UploadRepository.insertFile(id: fileID, project: project, source: sourceID, fileName: fileName, size: 0,
                                                         contentType: body.contentType, sha256: String(repeating: "0", count: 64),
                                                         rows: 0, by: user, status: "processing"))
            }
            var read: ReadFile?
            do {
                _ = try tx.savepoint { tx in
                    try Self.copyRows(tx, body: body, settings: settings, fileID: fileID, maxBytes: maxBytes,
                                      into: replace ? .staging : .records(project: project, source: sourceID), read: &read)
                }
            } catch let e as PostgresError where e.sqlState == "23505" && !replace {
                // An id repeated in the file or already held by the source: said with lines below.
                guard let file = read else { throw e }
                try Self.refuseSameContent(tx, source: sourceID, sha: file.sha)
                try Self.explainRepeatedIDs(tx, source: sourceID, ids: file.ids)
                throw e
            }
            guard let file = read else { throw AppError(.internalError, "the upload was not read") }
            let name = String((file.multipart?.fileName ?? fileName).prefix(255))
            let storedName = name.isEmpty ? fileName : name
            let storedType = file.multipart?.partContentType.map { String($0.prefix(255)) } ?? body.contentType
            var replaced: UUID?
            if replace {
                if let earlier = try tx.query(UploadRepository.sameContent(source: sourceID, sha256: file.sha)).first.map(UploadRecord.decode) {
                    try tx.query(UploadRepository.retireRecords(file: earlier.id))
                    try tx.query(UploadRepository.retireFile(earlier.id))
                    replaced = earlier.id
                }
                try tx.query(UploadRepository.insertFile(id: fileID, project: project, source: sourceID, fileName: storedName, size: Int64(file.size),
                                                         contentType: storedType, sha256: file.sha, rows: file.rows, by: user, status: "processed"))
                do {
                    // The unique index finds a repeated id; only then are the rows looked at again
                    // to name them (the common, clean upload pays for one statement).
                    _ = try tx.savepoint { tx in try tx.query(UploadRepository.moveStaged(project: project, source: sourceID, file: fileID)) }
                } catch let e as PostgresError where e.sqlState == "23505" {
                    try Self.explainRepeatedIDs(tx, source: sourceID, ids: file.ids)
                    throw e
                }
            } else {
                // The same file again (its records all retired since, or none clashing): refused.
                try Self.refuseSameContent(tx, source: sourceID, sha: file.sha)
            }
            guard let stored = try tx.query(UploadRepository.completeFile(fileID, fileName: storedName, size: Int64(file.size), contentType: storedType,
                                                                          sha256: file.sha, rows: file.rows)).first.map(UploadRecord.decode) else {
                throw AppError(.internalError, "the upload was not stored")
            }
            var entry = audit
            entry.resourceID = fileID.uuidString.lowercased()
            entry.newValues = #"{"source_id":"\#(sourceID.uuidString.lowercased())","rows":\#(file.rows),"sha256":"\#(file.sha)","replaced":\#(replaced.map { "\"\($0.uuidString.lowercased())\"" } ?? "null")}"#
            try AuditTrail.record(tx, entry)
            return UploadResult(upload: stored, dialect: file.dialect, replaced: replaced)
        }
    }

    /// What reading a file gave: its digest and size, rows, dialect, the multipart part as
    /// read, and each row's id with its line (to name repeated ids if the database refuses).
    struct ReadFile {
        var sha: String
        var size: Int
        var rows: Int
        var dialect: Dialect
        var multipart: MultipartFileExtractor?
        var ids: [(id: String, line: Int32)]
    }

    enum CopyTarget {
        case staging
        case records(project: UUID, source: UUID)
    }

    /// Parses the body as it streams in and COPYs its rows into `target`; a file with bad rows
    /// or none is refused (the COPY abandoned, nothing kept). `read` is set once the whole file
    /// has been read, before the COPY ends: if the database then refuses a repeated id, the
    /// caller names it from the rows.
    static func copyRows(_ tx: Transaction, body: UploadBody, settings: SourceSettings, fileID: UUID, maxBytes: Int,
                         into target: CopyTarget, read: inout ReadFile?) throws {
        var reader = UploadReader(settings: settings, fileTag: String(fileID.uuidString.lowercased().prefix(8)))
        reader.emitAfterIssues = false
        let hasher = SHA256Hasher()
        var fileSize = 0
        var ids: [(id: String, line: Int32)] = []
        let sql: String
        var prefix: [UInt8] = []
        switch target {
        case .staging:
            sql = UploadRepository.copyStaging
        case .records(let project, let source):
            sql = UploadRepository.copyRecords
            prefix = Array("\(project.uuidString.lowercased())\t\(source.uuidString.lowercased())\t\(fileID.uuidString.lowercased())".utf8)
        }
        let writer = try tx.beginCopyIn(unsafeSQL: sql)
        var rows = CopyRowBuilder()
        var multipart: MultipartFileExtractor?
        do {
            let sink: (ParsedRecord) throws -> Void = { r in
                ids.append((r.externalID, Int32(clamping: r.line)))
                if prefix.isEmpty { rows.integer(Int64(r.line)) } else { rows.plain(prefix) }
                rows.text(r.externalID)
                rows.text(r.date)
                rows.text(r.amount)
                rows.text(r.currency)
                if let v = r.reference { rows.text(v) } else { rows.null() }
                if let v = r.description { rows.text(v) } else { rows.null() }
                if let v = r.counterparty { rows.text(v) } else { rows.null() }
                rows.endRow()
                if rows.count >= 64 * 1024 {
                    try writer.write(rows.bytes)
                    rows.removeAll()
                }
            }
            // The digest and size are the file's (a multipart body's boundary is random).
            try asValidationErrors {
                multipart = try body.readFile(maxBytes: maxBytes, complete: true) { bytes in
                    hasher.update(bytes)
                    fileSize += bytes.count
                    try reader.feed(bytes, sink)
                }
                try reader.finish(sink)
            }
        } catch {
            writer.abort()
            throw error
        }
        if reader.issueCount > 0 {
            writer.abort()
            throw AppError.validation(reader.issues.map(Self.fieldIssue),
                                      message: "\(reader.issueCount) of \(reader.rowCount) rows are invalid; nothing was stored (the first \(reader.issues.count) are listed)")
        }
        guard reader.rowCount > 0 else {
            writer.abort()
            throw AppError.validation([FieldIssue(field: "body", issue: "has a header but no rows")], message: "The file has no rows")
        }
        try writer.write(rows.bytes)
        read = ReadFile(sha: Hex.encode(hasher.finalize()), size: fileSize, rows: reader.rowCount, dialect: reader.dialect!, multipart: multipart, ids: ids)
        _ = try writer.end()
    }

    /// The upload route's deadline (SourceRoutes) and so its transaction's statement timeout.
    static let uploadTimeoutMs = 900_000

    /// The same file uploaded to this source before (and not replaced): 409, naming it.
    static func refuseSameContent(_ tx: Transaction, source: UUID, sha: String) throws {
        guard let earlier = try tx.query(UploadRepository.sameContent(source: source, sha256: sha)).first.map(UploadRecord.decode) else { return }
        throw AppError(.conflict, "This file was already uploaded to this source as upload \(earlier.id.uuidString.lowercased()) on \(earlier.createdAt); add ?replace=true to replace it",
                       details: [FieldIssue(field: "upload_id", issue: earlier.id.uuidString.lowercased())])
    }

    /// Most repeated or clashing ids an error names.
    static let maxNamedIDs = 100

    /// Why the records could not go in: ids repeated within the file (400) or ids the source
    /// already holds from another upload (409), each with lines, from the rows as read.
    static func explainRepeatedIDs(_ tx: Transaction, source: UUID, ids: [(id: String, line: Int32)]) throws {
        var lines: [String: [Int32]] = [:]
        lines.reserveCapacity(ids.count)
        for (id, line) in ids { lines[id, default: []].append(line) }
        let repeated = lines.filter { $0.value.count > 1 }.sorted { $0.value[0] < $1.value[0] }.prefix(maxNamedIDs)
        if !repeated.isEmpty {
            let issues = repeated.map { id, at in FieldIssue(field: "id", issue: "\"\(id)\" appears on lines \(at.map(String.init).joined(separator: ", "))") }
            throw AppError.validation(Array(issues), message: "Record ids repeat within the file; nothing was stored")
        }
        // Asked in slices, so that a clash in a million-row file is named without a huge query.
        var clashes: [(line: Int32, id: String, file: UUID?)] = []
        var start = 0
        while start < ids.count && clashes.count < maxNamedIDs {
            let slice = ids[start..<min(ids.count, start + 50_000)].map(\.id)
            for row in try tx.query(UploadRepository.existingIDs(source: source, among: slice, limit: maxNamedIDs)) {
                let id: String = try row.decode("external_id")
                clashes.append((lines[id]?.first ?? 0, id, try row.decode("file_id", as: UUID?.self)))
            }
            start += 50_000
        }
        if !clashes.isEmpty {
            let issues = clashes.sorted { $0.line < $1.line }.prefix(maxNamedIDs).map { c in
                FieldIssue(field: "line \(c.line)", issue: "id \"\(c.id)\" is already stored from upload \(c.file?.uuidString.lowercased() ?? "-")")
            }
            throw AppError(.conflict, "The source already holds records with ids in this file; nothing was stored", details: Array(issues))
        }
    }

    /// The reader's and the multipart extractor's failures, as the 400s the API answers.
    static func asValidationErrors(_ work: () throws -> Void) throws {
        do { try work() } catch let f as UploadFailure {
            throw AppError.validation(f.issues.map(Self.fieldIssue), message: f.message)
        } catch let f as MultipartFileExtractor.Failure {
            throw AppError.validation([FieldIssue(field: "body", issue: f.reason)], message: "The multipart body cannot be read")
        }
    }

    static func fieldIssue(_ i: RowIssue) -> FieldIssue {
        FieldIssue(field: "line \(i.line), column \(i.column)", issue: i.reason)
    }

    func list(_ p: Principal, project: UUID, source: UUID) throws -> [UploadRecord] {
        try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .read)
            _ = try SourceService.load(tx, project: project, id: source)
            return try tx.query(UploadRepository.list(source: source, limit: 200)).map(UploadRecord.decode)
        }
    }

    /// The first `limit` rows as the source's mapping reads them (at most 1 MiB is read).
    func preview(_ p: Principal, project: UUID, source sourceID: UUID, body: UploadBody, limit: Int = 20) throws -> PreviewResult {
        let settings = try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .read)
            return try SourceService.settings(try SourceService.load(tx, project: project, id: sourceID))
        }
        var reader = UploadReader(settings: settings, fileTag: "preview", sampleRows: limit, maxIssues: 20)
        var rows: [ParsedRecord] = []
        let sink: (ParsedRecord) throws -> Void = { if rows.count < limit { rows.append($0) } }
        try Self.asValidationErrors {
            // Enough rows, or 1 MiB read: the rest of the body is not needed.
            try body.readFile(complete: false, stop: { read in rows.count >= limit || read >= 1 << 20 }) { try reader.feed($0, sink) }
            try reader.finish(sink)
        }
        return PreviewResult(header: reader.header, dialect: reader.dialect, rows: rows, issues: reader.issues)
    }
}
