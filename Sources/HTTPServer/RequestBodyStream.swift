import SystemSupport

/// A request body read in pieces by its handler while it arrives (uploads larger than memory).
/// The event loop puts decoded body bytes in; the handler, on a worker, takes them out with
/// `read()`. At most `capacity` bytes wait here: past that the loop stops reading the socket,
/// so a fast client is slowed to the handler's pace, and the kernel's buffers absorb the rest.
/// Limits, 413 and the body timeouts apply as for buffered bodies; a failure (client gone,
/// timeout, too large, malformed chunking) makes `read()` throw `RequestBodyError`.
public final class RequestBodyStream: @unchecked Sendable {
    public let capacity: Int
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var pending: [UInt8] = []
    private var complete = false
    private var failure: RequestBodyError?
    private var waker: LoopWaker?
    /// The loop stopped feeding because the buffer was full and waits to be told of room.
    private var loopWaiting = false

    /// Every byte arrived and nothing failed.
    var isComplete: Bool {
        lock.lock()
        defer { lock.unlock() }
        return complete && failure == nil
    }

    init(capacity: Int) { self.capacity = capacity }

    // MARK: - Handler side

    /// The next piece of the body, waiting until one arrives; nil at its end.
    public func read() throws -> [UInt8]? {
        lock.lock()
        while pending.isEmpty && !complete && failure == nil { lock.wait() }
        if let failure {
            lock.unlock()
            throw failure
        }
        if pending.isEmpty {
            lock.unlock()
            return nil
        }
        let out = pending
        pending = []
        let wake = loopWaiting ? waker : nil
        loopWaiting = false
        lock.unlock()
        wake?.wake()
        return out
    }

    /// Reads the whole remaining body into memory (for small bodies on a streaming route).
    public func readAll(limit: Int) throws -> [UInt8] {
        var all: [UInt8] = []
        while let piece = try read() {
            all.append(contentsOf: piece)
            if all.count > limit { throw RequestBodyError.tooLarge(limit: limit) }
        }
        return all
    }

    // MARK: - Loop side

    func attach(_ w: LoopWaker) {
        lock.lock()
        waker = w
        lock.unlock()
    }

    /// Whether the loop may add more now; if not, the handler's next read wakes it.
    func hasRoom() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if pending.count < capacity { return true }
        loopWaiting = true
        return false
    }

    func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        lock.lock()
        pending.append(contentsOf: bytes)
        lock.signal()
        lock.unlock()
    }

    func finish() {
        lock.lock()
        complete = true
        lock.broadcast()
        lock.unlock()
    }

    func fail(_ error: RequestBodyError) {
        lock.lock()
        if !complete && failure == nil { failure = error }
        lock.broadcast()
        lock.unlock()
    }
}

/// Why a streamed request body could not be read to its end.
public enum RequestBodyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The client closed the connection or stopped sending.
    case incomplete
    case tooLarge(limit: Int)
    /// The body's framing was broken (chunked coding) or it arrived too slowly.
    case malformed(HTTPParseError)

    public var description: String {
        switch self {
        case .incomplete: "the request body ended early"
        case .tooLarge(let limit): "the request body exceeds the limit of \(limit) bytes"
        case .malformed(let e): e.description
        }
    }
}
