/// Every limit the HTTP layer enforces, in one place. Hitting a limit yields its own status
/// (414, 431, 413, 408, 503) rather than a hang or a generic 400.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line (method, target, version) before 414.
    public var maxRequestLineBytes: Int = 8 * 1024
    /// Largest header block (all field lines after the request line) before 431.
    public var maxHeaderBytes: Int = 32 * 1024
    /// Most header fields (and trailer fields) before 431.
    public var maxHeaderCount: Int = 100
    /// Default body cap; a route may raise or lower it through `RoutePlan.maxBodyBytes`.
    public var maxBodyBytes: Int = 10 * 1024 * 1024
    /// Longest chunk-size line including extensions; longer is treated as an attack (400).
    public var maxChunkLineBytes: Int = 4 * 1024
    /// A request head must arrive completely within this time of its first byte (slowloris).
    public var headerTimeoutMs: Int = 10_000
    /// While a body is being received, each read must make progress within this time.
    public var bodyIdleTimeoutMs: Int = 30_000
    /// An idle keep-alive connection is closed after this time.
    public var keepAliveTimeoutMs: Int = 60_000
    /// Pending output must make progress within this time, else the reader is too slow.
    public var writeTimeoutMs: Int = 30_000
    /// Connections beyond this count receive a 503 and are closed.
    public var maxConnections: Int = 16_384
    /// Stop parsing further pipelined requests while this much output is still unsent.
    public var outputHighWaterBytes: Int = 256 * 1024
    /// Bytes read from one connection per wake-up, so one client cannot starve the others.
    public var readBudgetBytes: Int = 256 * 1024
    /// Bytes written to one connection per wake-up.
    public var writeBudgetBytes: Int = 1024 * 1024
    /// While a response is pending, pipelined input is read only up to this much; the rest
    /// waits in the kernel.
    public var stalledInputBytes: Int = 64 * 1024
    /// A streamed response's next piece is taken only while less than this is unsent.
    public var streamLowWaterBytes: Int = 64 * 1024
    /// A streamed request body waits in memory up to this much for its handler; past it the
    /// socket is not read until the handler catches up.
    public var requestStreamBufferBytes: Int = 256 * 1024
    /// Stray empty lines tolerated before a request line (RFC 9112 section 2.2).
    public var maxLeadingEmptyLines: Int = 8
    /// Whole-request deadline once a request is complete: past it the client gets 504 and the
    /// handler's work is cancelled. A route may change it (`RoutePlan.timeoutMs`).
    public var requestTimeoutMs: Int = 30_000
    /// After the last response of a closing connection: how long its input is drained before
    /// the close, so the peer reads the response instead of a reset.
    public var lingerMs: Int = 2_000
    /// A body must arrive at least this fast, measured over each `bodyRateWindowMs` (0 = off):
    /// a client that sends most of a large body and then trickles cannot hold its buffer.
    public var minBodyBytesPerSecond: Int = 1024
    public var bodyRateWindowMs: Int = 10_000
    /// Memory all incomplete request bodies may hold together; a new body past it gets 503.
    public var bodyMemoryBudgetBytes: Int = 256 * 1024 * 1024
    /// Open connections one peer address may hold (0 = no cap). Peers the application exempts
    /// (trusted proxies) are not counted.
    public var maxConnectionsPerClient: Int = 256

    public init() {}
}
