/// A check a request must pass by asking an outside service (the shared rate limiter in Redis)
/// before it runs, done by the event loop without blocking: each loop keeps one connection to
/// the service, writes the checks of many requests back to back (pipelining), and matches the
/// replies in order. The application says what to send and what a reply means; the server only
/// moves bytes. A reply that does not come within the service's timeout, or a broken
/// connection, resolves the checks with nil (the application falls back), and the loop
/// reconnects a second later.
public protocol AdmissionService: Sendable {
    var host: String { get }
    var port: Int { get }
    var timeoutMs: Int { get }
    /// Sent first on every new connection (e.g. loading a script); its `handshakeReplies`
    /// replies are read and dropped.
    var handshake: [UInt8] { get }
    var handshakeReplies: Int { get }
    /// The length of the first complete reply in `buffer` from `start`, nil while incomplete;
    /// throws when the bytes cannot be a reply (the connection is then dropped).
    func replyLength(_ buffer: [UInt8], from start: Int) throws -> Int?
}

/// One request's check: the bytes to send, and how the reply (nil: no answer) turns into the
/// request to run (the application records its decision on it, in `Request.admission`).
public struct AdmissionCheck: Sendable {
    public let command: [UInt8]
    public let resolve: @Sendable (_ request: Request, _ reply: [UInt8]?) -> Request

    public init(command: [UInt8], resolve: @escaping @Sendable (_ request: Request, _ reply: [UInt8]?) -> Request) {
        self.command = command
        self.resolve = resolve
    }
}
