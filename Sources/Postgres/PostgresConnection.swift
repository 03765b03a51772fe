import SystemSupport
import Synchronization
import CLibPQ
import Glibc

/// One libpq connection. Not thread-safe: the pool hands it to one thread at a time, and the
/// only ways to get one are `ConnectionPool.withConnection` and `ConnectionPool.transaction`.
public final class PostgresConnection {
    let handle: OpaquePointer
    let createdAt: Int64
    var lastUsedAt: Int64
    private var statements: [String: String] = [:]
    /// Prepared-statement names are never reused on one connection: after the cache is dropped,
    /// statements prepared under old names may still exist on the server (inside a transaction
    /// they cannot be deallocated), so a reused name would fail with 42P05.
    private var statementSerial = 0
    private let cacheSize: Int
    private let notices: NoticeBox
    /// Called with each statement's duration in seconds (metrics).
    var onQuery: ((Double) -> Void)?

    /// Called with each NOTICE/WARNING the server sends (instead of libpq printing to stderr).
    final class NoticeBox {
        let handler: @Sendable (String) -> Void
        init(_ handler: @escaping @Sendable (String) -> Void) { self.handler = handler }
    }

    private init(handle: OpaquePointer, cacheSize: Int, notices: NoticeBox) {
        self.handle = handle
        self.cacheSize = cacheSize
        self.notices = notices
        createdAt = MonotonicClock.milliseconds()
        lastUsedAt = createdAt
    }

    deinit { PQfinish(handle) }

    /// Opens a connection: UTC, ISO dates, UTF-8, the configured statement_timeout.
    public static func connect(_ config: PostgresConfiguration,
                               notices: @escaping @Sendable (String) -> Void = { _ in }) throws -> PostgresConnection {
        let options = "-c statement_timeout=\(config.statementTimeoutMs) -c TimeZone=UTC -c DateStyle=ISO,YMD"
        let pairs: [(String, String)] = [
            ("dbname", config.url), ("application_name", config.applicationName),
            ("connect_timeout", String(max(2, config.connectTimeoutSeconds))), ("options", options),
            ("client_encoding", "UTF8"),
        ]
        let keys = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        let conn: OpaquePointer? = keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { k in
            (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { v in
                (Array(k) + [nil]).withUnsafeBufferPointer { kk in PQconnectdbParams(kk.baseAddress, v.baseAddress, 1) }
            }
        }
        guard let conn else { throw PostgresError(.connectionFailed, "out of memory creating a connection") }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn)).trimmingWhitespace()
            PQfinish(conn)
            throw PostgresError(.connectionFailed, message)
        }
        let box = NoticeBox(notices)
        PQsetNoticeProcessor(conn, { arg, message in
            guard let arg, let message else { return }
            Unmanaged<NoticeBox>.fromOpaque(arg).takeUnretainedValue().handler(String(cString: message).trimmingWhitespace())
        }, Unmanaged.passUnretained(box).toOpaque())
        return PostgresConnection(handle: conn, cacheSize: config.statementCacheSize, notices: box)
    }

    /// Server process id (for pg_terminate_backend in tests and for logs).
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// The socket or the session is unusable.
    public var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// Not idle means inside a transaction (or a failed one): such a connection must not go
    /// back to the pool as it is.
    public var isIdleOutsideTransaction: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// Runs one parameterized statement. Prepared once per connection and reused afterwards.
    @discardableResult
    public func query(_ q: PostgresQuery) throws -> PostgresRows {
        try timed { try cancellable { try queryRetryingStaleStatements(q) { Self.rows($0) } } }
    }

    /// Runs one parameterized statement like `query`, handing each row of the result to `row`
    /// as it stands in libpq's buffer: no value is copied unless `row` copies it. For results
    /// of many thousand rows (a job's records, an export page). `columns` are the names the
    /// caller reads by position; a result with other columns is an error before any row.
    @discardableResult
    public func forEachRow(_ q: PostgresQuery, columns: [String], _ row: (PostgresRawRow) throws -> Void) throws -> Int {
        try timed {
            try cancellable {
                try queryRetryingStaleStatements(q) { result in
                    let names = (0..<Int(PQnfields(result))).map { String(cString: PQfname(result, Int32($0))) }
                    guard names == columns else { throw PostgresError(.usage, "result columns \(names), expected \(columns)") }
                    let n = PQntuples(result)
                    for i in 0..<n { try row(PostgresRawRow(result: result, index: i)) }
                    return Int(n)
                }
            }
        }
    }

    private func timed<T>(_ body: () throws -> T) rethrows -> T {
        lastUsedAt = MonotonicClock.milliseconds()
        guard let onQuery else { return try body() }
        let start = MonotonicClock.nanoseconds()
        defer { onQuery(Double(MonotonicClock.nanoseconds() - start) / 1e9) }
        return try body()
    }

    /// Runs a statement so that cancelling the current request (its deadline passed, its
    /// client left) interrupts it on the server with PQcancel; the statement then fails with
    /// 57014 and the worker is free again.
    func cancellable<T>(_ body: () throws -> T) throws -> T {
        guard let token = CancellationToken.current else { return try body() }
        if token.isCancelled { throw PostgresError(.server, "canceling statement due to user request", sqlState: "57014") }
        let handle = cancelHandle
        let owner = ObjectIdentifier(token)
        handle.owner.withLock { $0 = owner }
        defer { handle.owner.withLock { $0 = nil } }
        return try token.whileRunning(interrupt: { handle.interrupt(for: owner) }) { try body() }
    }

    /// PQcancel's handle for this connection, made on first use.
    private lazy var cancelHandle = CancelHandle(PQgetCancel(handle))

    private func queryRetryingStaleStatements<T>(_ q: PostgresQuery, _ read: (OpaquePointer) throws -> T) throws -> T {
        do {
            return try run(q, read)
        } catch let e as PostgresError where e.sqlState == "0A000" || e.sqlState == "26000" {
            // "cached plan must not change result type" after a schema change, or a statement
            // that vanished: forget the cache. Outside a transaction the statement can simply be
            // prepared again; inside one the failure has aborted the transaction, so the error
            // goes to the caller and the next transaction prepares afresh.
            statements.removeAll()
            guard isIdleOutsideTransaction else { throw e }
            try? execute(unsafeSQL: "DEALLOCATE ALL")
            return try run(q, read)
        }
    }

    private func run<T>(_ q: PostgresQuery, _ read: (OpaquePointer) throws -> T) throws -> T {
        var cStrings = q.binds.map { $0.map { strdup($0) } ?? nil }
        defer { cStrings.forEach { free($0) } }
        let name = try preparedName(q)
        let result: OpaquePointer? = cStrings.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, buf.count)) { params in
                let p: UnsafePointer<UnsafePointer<CChar>?>? = buf.isEmpty ? nil : UnsafePointer(params)
                if let name {
                    return PQexecPrepared(handle, name, Int32(q.binds.count), p, nil, nil, 0)
                }
                return PQexecParams(handle, q.sql, Int32(q.binds.count), nil, p, nil, nil, 0)
            }
        }
        return try consume(result, query: q.sql, read)
    }

    private func preparedName(_ q: PostgresQuery) throws -> String? {
        if let name = statements[q.sql] { return name }
        try q.checkBindCount()
        guard statements.count < cacheSize else { return nil }
        statementSerial += 1
        let name = "s\(statementSerial)"
        let result = PQprepare(handle, name, q.sql, Int32(q.binds.count), nil)
        _ = try consume(result, query: q.sql)
        statements[q.sql] = name
        return name
    }

    /// Runs SQL text that may hold several statements (migrations), with no parameters. The
    /// caller vouches that nothing in it came from input.
    public func execute(unsafeSQL sql: String) throws {
        lastUsedAt = MonotonicClock.milliseconds()
        _ = try consume(PQexec(handle, sql), query: String(sql.prefix(200)))
    }
}

/// A PGcancel, usable from any thread (PQcancel is thread-safe), freed with its connection.
/// `owner` names the token whose statement runs now, so a late interrupt can never cancel a
/// statement run later for somebody else.
final class CancelHandle: Sendable {
    private nonisolated(unsafe) let cancel: OpaquePointer?
    let owner = Mutex<ObjectIdentifier?>(nil)

    init(_ cancel: OpaquePointer?) { self.cancel = cancel }

    deinit { if let cancel { PQfreeCancel(cancel) } }

    /// Asks the server to cancel the running statement if it still belongs to `token`.
    func interrupt(for token: ObjectIdentifier) {
        guard let cancel else { return }
        owner.withLock { current in
            guard current == token else { return }
            var errbuf = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &errbuf, Int32(errbuf.count))
        }
    }
}

extension PostgresConnection {

    /// COPY ... FROM STDIN in text format. `rows` yields one already-encoded line per row (see
    /// `PostgresCopy.line`); they are sent in 64 KiB batches. Returns the rows copied.
    @discardableResult
    public func copyIn(unsafeSQL sql: String, rows: some Sequence<[UInt8]>) throws -> Int {
        lastUsedAt = MonotonicClock.milliseconds()
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else { _ = try consume(start, query: sql); throw PostgresError(.usage, "not a COPY FROM STDIN") }
        PQclear(start)
        var batch: [UInt8] = []
        batch.reserveCapacity(64 * 1024)
        func send() throws {
            guard !batch.isEmpty else { return }
            let ok = batch.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
            }
            guard ok == 1 else { throw connectionError(query: sql) }
            batch.removeAll(keepingCapacity: true)
        }
        do {
            for row in rows {
                batch.append(contentsOf: row)
                if batch.count >= 64 * 1024 { try send() }
            }
            try send()
        } catch {
            _ = PQputCopyEnd(handle, "client error")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw connectionError(query: sql) }
        let result = try consume(PQgetResult(handle), query: sql)
        drainResults()
        return result.affectedRows
    }

    /// For the COPY streams: a PGresult turned into rows or an error.
    func consumeResult(_ result: OpaquePointer?, query: String) throws -> PostgresRows { try consume(result, query: query) }

    func connectionFailure(query: String) -> PostgresError { connectionError(query: query) }

    private func drainResults() {
        while let r = PQgetResult(handle) { PQclear(r) }
    }

    private func connectionError(query: String) -> PostgresError {
        var e = PostgresError(.connectionFailed, String(cString: PQerrorMessage(handle)).trimmingWhitespace())
        e.query = query
        return e
    }

    /// Turns a PGresult into rows or an error, and frees it.
    private func consume(_ result: OpaquePointer?, query: String) throws -> PostgresRows {
        try consume(result, query: query) { Self.rows($0) }
    }

    /// A successful PGresult read by `read`, or its error thrown; freed either way.
    private func consume<T>(_ result: OpaquePointer?, query: String, _ read: (OpaquePointer) throws -> T) throws -> T {
        guard let result else { throw connectionError(query: query) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return try read(result)
        default:
            var e = PostgresError(isBroken ? .connectionFailed : .server, field(result, "M") ?? String(cString: PQerrorMessage(handle)).trimmingWhitespace())
            e.sqlState = field(result, "C")
            e.detail = field(result, "D")
            e.hint = field(result, "H")
            e.constraint = field(result, "n")
            e.table = field(result, "t")
            e.column = field(result, "c")
            e.query = query
            throw e
        }
    }

    private func field(_ result: OpaquePointer, _ code: Character) -> String? {
        guard let p = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
        return String(cString: p)
    }

    private static func rows(_ result: OpaquePointer) -> PostgresRows {
        let nFields = Int(PQnfields(result))
        let nRows = Int(PQntuples(result))
        let columns = (0..<nFields).map { String(cString: PQfname(result, Int32($0))) }
        let types = (0..<nFields).map { UInt32(PQftype(result, Int32($0))) }
        var cells: [[String?]] = []
        cells.reserveCapacity(nRows)
        for r in 0..<nRows {
            var row: [String?] = []
            row.reserveCapacity(nFields)
            for c in 0..<nFields {
                row.append(PQgetisnull(result, Int32(r), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(r), Int32(c))))
            }
            cells.append(row)
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? nRows
        return PostgresRows(columns: columns, types: types, cells: cells, affectedRows: affected)
    }
}

/// Encodes rows for COPY text format: tab-separated, \N for NULL, backslash escapes.
public enum PostgresCopy {
    /// One row in COPY text format: fields separated by tabs, NULL as \\N, backslash, tab,
    /// newline and carriage return escaped (`CopyRowBuilder`'s escaping; bulk writers use the
    /// builder itself, with no array per row).
    public static func line(_ fields: [String?]) -> [UInt8] {
        var row = CopyRowBuilder(capacity: fields.reduce(fields.count + 1) { $0 + ($1?.utf8.count ?? 2) })
        for field in fields {
            if let field { row.text(field) } else { row.null() }
        }
        row.endRow()
        return row.bytes
    }
}

extension PostgresConnection {
    /// Inside a transaction that a failed statement has aborted.
    var isInFailedTransaction: Bool { PQtransactionStatus(handle) == PQTRANS_INERROR }

    /// For an idle pooled connection: true when the server has closed it meanwhile (restart,
    /// pg_terminate_backend, idle timeout). An idle connection's socket has nothing to read, so
    /// readability means a FATAL message or EOF; one poll() costs far less than a ping.
    var hasDiedWhileIdle: Bool {
        if isBroken { return true }
        var pfd = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 0) > 0 else { return false }
        if PQconsumeInput(handle) == 0 { return true }
        // Something arrived unasked: typically the FATAL message of a terminated backend, with
        // the close still to come. Only a round trip tells for sure.
        do {
            try query("SELECT 1")
            return false
        } catch {
            return true
        }
    }
}
