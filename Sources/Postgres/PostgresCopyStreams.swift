import CLibPQ
import SystemSupport

/// Raw COPY data handed to the server in batches (lines may be split across writes).
public final class CopyInWriter {
    fileprivate let handle: OpaquePointer
    fileprivate var batch: [UInt8] = []
    fileprivate let sql: String
    fileprivate var connection: PostgresConnection?

    fileprivate init(handle: OpaquePointer, sql: String, connection: PostgresConnection? = nil) {
        self.handle = handle
        self.sql = sql
        self.connection = connection
        batch.reserveCapacity(256 * 1024)
    }

    public func write(_ bytes: some Collection<UInt8>) throws {
        batch.append(contentsOf: bytes)
        if batch.count >= 256 * 1024 { try flush() }
    }

    fileprivate func flush() throws {
        guard !batch.isEmpty else { return }
        let ok = batch.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        guard ok == 1 else {
            var e = PostgresError(.connectionFailed, String(cString: PQerrorMessage(handle)).trimmingWhitespace())
            e.query = sql
            throw e
        }
        batch.removeAll(keepingCapacity: true)
    }
}

extension PostgresConnection {
    /// COPY ... TO STDOUT: hands each piece of data (text format: one or more whole rows) to
    /// `chunk` as it arrives, in constant memory. Returns the rows copied.
    @discardableResult
    public func copyOut(unsafeSQL sql: String, chunk: ([UInt8]) throws -> Void) throws -> Int {
        lastUsedAt = MonotonicClock.milliseconds()
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_OUT else { _ = try consumeResult(start, query: sql); throw PostgresError(.usage, "not a COPY TO STDOUT") }
        PQclear(start)
        var callerError: (any Error)?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(handle, &buffer, 0)
            if n > 0, let buffer {
                if callerError == nil {
                    let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(n))
                    do { try chunk(Array(bytes)) } catch { callerError = error }
                }
                PQfreemem(buffer)
                continue
            }
            if n == -1 { break }
            throw connectionFailure(query: sql)
        }
        let result = try consumeResult(PQgetResult(handle), query: sql)
        while let r = PQgetResult(handle) { PQclear(r) }
        if let callerError { throw callerError }
        return result.affectedRows
    }

    /// COPY ... FROM STDIN fed by `body` through a writer, in constant memory. An error thrown
    /// by `body` aborts the COPY (nothing of it is kept) and is rethrown. Returns the rows copied.
    @discardableResult
    public func copyIn(unsafeSQL sql: String, body: (CopyInWriter) throws -> Void) throws -> Int {
        lastUsedAt = MonotonicClock.milliseconds()
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else { _ = try consumeResult(start, query: sql); throw PostgresError(.usage, "not a COPY FROM STDIN") }
        PQclear(start)
        let writer = CopyInWriter(handle: handle, sql: sql)
        do {
            try body(writer)
            try writer.flush()
        } catch {
            _ = PQputCopyEnd(handle, "client error")
            while let r = PQgetResult(handle) { PQclear(r) }
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw connectionFailure(query: sql) }
        let result = try consumeResult(PQgetResult(handle), query: sql)
        while let r = PQgetResult(handle) { PQclear(r) }
        return result.affectedRows
    }
}

extension PostgresConnection {
    /// Starts COPY ... FROM STDIN for data that arrives from elsewhere (a restore driven by a
    /// reader): write with the writer, then `end()` it (or `abort()`). Nothing else may use
    /// the connection meanwhile.
    public func beginCopyIn(unsafeSQL sql: String) throws -> CopyInWriter {
        lastUsedAt = MonotonicClock.milliseconds()
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else { _ = try consumeResult(start, query: sql); throw PostgresError(.usage, "not a COPY FROM STDIN") }
        PQclear(start)
        return CopyInWriter(handle: handle, sql: sql, connection: self)
    }
}

extension CopyInWriter {
    /// Ends the COPY; returns the rows the server loaded.
    public func end() throws -> Int {
        guard let connection else { throw PostgresError(.usage, "COPY writer already ended") }
        self.connection = nil
        try flush()
        guard PQputCopyEnd(handle, nil) == 1 else { throw connection.connectionFailure(query: sql) }
        let result = try connection.consumeResult(PQgetResult(handle), query: sql)
        while let r = PQgetResult(handle) { PQclear(r) }
        return result.affectedRows
    }

    /// Abandons the COPY (the server discards it and fails the transaction).
    public func abort() {
        guard connection != nil else { return }
        connection = nil
        _ = PQputCopyEnd(handle, "aborted by client")
        while let r = PQgetResult(handle) { PQclear(r) }
    }
}

extension Transaction {
    public func beginCopyIn(unsafeSQL sql: String) throws -> CopyInWriter { try connection.beginCopyIn(unsafeSQL: sql) }

    @discardableResult
    public func copyOut(unsafeSQL sql: String, chunk: ([UInt8]) throws -> Void) throws -> Int {
        try connection.copyOut(unsafeSQL: sql, chunk: chunk)
    }

    @discardableResult
    public func copyIn(unsafeSQL sql: String, body: (CopyInWriter) throws -> Void) throws -> Int {
        try connection.copyIn(unsafeSQL: sql, body: body)
    }
}
