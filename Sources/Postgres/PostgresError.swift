/// A database error. `code` classifies it; SQLSTATE and the server's fields are kept for logs
/// and for mapping to client errors. `description` is deliberately generic (it may reach
/// places that are not logs); `debugDescription` has everything.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Code: String, Sendable {
        /// Could not connect, or the connection broke.
        case connectionFailed
        /// No pooled connection became free within the checkout timeout.
        case poolTimeout
        /// The pool is shut down.
        case poolClosed
        /// The server reported an error for a statement (see `sqlState`).
        case server
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// The migrator refused to run (edited or missing migration, bad file name).
        case migration
        /// Misuse detected at run time (wrong parameter count, unknown column).
        case usage
        /// The body succeeded but COMMIT failed. With `outcomeUnknown` the connection broke
        /// during COMMIT, so the server may or may not have committed; otherwise the server
        /// refused (a deferred constraint, a serialization failure) and rolled back.
        case commitFailed
    }

    public var code: Code
    public var message: String
    public var sqlState: String?
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?
    /// The statement, for logs. Never contains bind values: those are sent separately.
    public var query: String?
    /// For `.commitFailed`: the connection broke, so whether the transaction committed is unknown.
    public var outcomeUnknown = false

    public init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String { "PostgresError(\(code.rawValue)\(sqlState.map { ", sqlstate \($0)" } ?? ""))" }

    public var debugDescription: String {
        var parts = ["\(code.rawValue): \(message)"]
        if outcomeUnknown { parts.append("outcome=unknown") }
        if let s = sqlState { parts.append("sqlstate=\(s)") }
        if let c = constraint { parts.append("constraint=\(c)") }
        if let t = table { parts.append("table=\(t)") }
        if let c = column { parts.append("column=\(c)") }
        if let d = detail { parts.append("detail=\(d)") }
        if let h = hint { parts.append("hint=\(h)") }
        if let q = query { parts.append("query=\(q)") }
        return parts.joined(separator: " ")
    }

    /// Class 08 and broken sockets: the connection cannot be used again. 08P01 (protocol
    /// violation, e.g. a wrong number of bind values) is a bug on our side, not an outage.
    public var isConnectionFailure: Bool {
        code == .connectionFailed || (sqlState.map { $0.hasPrefix("08") && $0 != "08P01" } ?? false)
    }
    /// serialization_failure or deadlock_detected: the transaction may succeed if run again.
    public var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
    /// query_canceled: statement_timeout or an explicit cancel.
    public var isTimeout: Bool { sqlState == "57014" }
}
