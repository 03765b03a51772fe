/// Per-connection state, owned by exactly one event loop thread.
///
/// Lifecycle: reading a head -> (reading a body) -> handling (inline, or in flight on a worker)
/// -> writing -> back to reading, or closing. While a request is handled, later pipelined bytes
/// stay buffered and are parsed only after its response is queued, so responses leave in
/// request order. A connection that must close first sends what it owes, shuts down its write
/// side and lingers briefly, so the peer reads the response instead of a reset.
final class Connection {
    let fd: Int32
    /// Distinguishes this connection from a later one that reuses the fd.
    let id: UInt64
    let remoteAddress: String

    var input: [UInt8] = []
    var inputStart = 0
    var assembler: RequestAssembler

    var output = OutputQueue()

    /// The request being handled: what its response needs to know.
    var current: (method: HTTPMethod, version: HTTPVersion, keepAlive: Bool)?
    var inFlight = false
    /// A streamed body being sent: its producer, its framing, whether a piece is being fetched.
    var stream: (body: BodyStream, chunked: Bool, keepAlive: Bool, fetching: Bool)?
    var closeAfterWrite = false
    var peerClosed = false
    var lingering = false
    var servedRequests = 0

    /// Registered epoll interest.
    var interest: UInt32 = 0

    // Timestamps (monotonic ms) that the deadline is derived from.
    var headStartedAt: Int64
    var lastReadAt: Int64
    var lastWriteAt: Int64
    var idleSince: Int64
    var lingerUntil: Int64 = 0

    /// Current deadline (0 = none) and the heap entry that stands for it.
    var deadline: Int64 = 0
    var scheduledDeadline: Int64 = 0
    var timerToken: UInt64 = 0

    init(fd: Int32, id: UInt64, remoteAddress: String, limits: HTTPLimits, now: Int64) {
        self.fd = fd
        self.id = id
        self.remoteAddress = remoteAddress
        self.assembler = RequestAssembler(limits: limits)
        headStartedAt = now
        lastReadAt = now
        lastWriteAt = now
        idleSince = now
    }

    var bufferedInput: Int { input.count - inputStart }

    /// Nothing received, nothing owed: a keep-alive connection between requests.
    var isIdle: Bool {
        bufferedInput == 0 && !assembler.isMidRequest && !inFlight && output.isEmpty && current == nil && stream == nil
    }

    /// Drops consumed input; gives memory back once a large buffer is empty.
    func compactInput() {
        if inputStart == input.count {
            if input.capacity > 64 * 1024 { input = [] } else { input.removeAll(keepingCapacity: true) }
            inputStart = 0
        } else if inputStart > 16 * 1024 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
    }
}

/// Bytes waiting to be written: small pieces are coalesced into one chunk; large bodies are kept
/// as their own chunk so they are never copied, and go out with the head in one writev.
struct OutputQueue {
    private(set) var chunks: [[UInt8]] = []
    private(set) var offset = 0
    private(set) var count = 0
    static let coalesceLimit = 16 * 1024

    var isEmpty: Bool { count == 0 }

    mutating func withTail(_ body: (inout [UInt8]) -> Void) {
        if chunks.isEmpty || chunks[chunks.count - 1].count >= Self.coalesceLimit {
            var fresh: [UInt8] = []
            fresh.reserveCapacity(512)
            chunks.append(fresh)
        }
        let before = chunks[chunks.count - 1].count
        body(&chunks[chunks.count - 1])
        count += chunks[chunks.count - 1].count - before
    }

    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if bytes.count >= Self.coalesceLimit {
            chunks.append(bytes)
            count += bytes.count
        } else {
            withTail { $0.append(contentsOf: bytes) }
        }
    }

    mutating func consume(_ n: Int) {
        var left = n
        count -= n
        while left > 0 {
            let available = chunks[0].count - offset
            if left >= available {
                left -= available
                chunks.removeFirst()
                offset = 0
            } else {
                offset += left
                left = 0
            }
        }
    }

    mutating func removeAll() {
        chunks = []
        offset = 0
        count = 0
    }
}
