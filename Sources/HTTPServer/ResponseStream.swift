import SystemSupport

/// A response body written in pieces by a producer while the event loop sends it: large
/// exports (a database cursor, one page at a time) and event streams. Memory stays bounded:
/// `write` blocks while `capacity` bytes are waiting, so a slow reader slows the producer
/// instead of growing a buffer, and `offer` (for producers that must never block, like an
/// event hub) refuses instead. When the client goes away (disconnect, write error, timeout)
/// or the request was HEAD, the stream is cancelled: `write` throws, `offer` returns false and
/// `onCancel` runs, so the producer stops promptly.
///
/// Sent with chunked coding on HTTP/1.1, delimited by the close on HTTP/1.0. If the producer
/// fails (`fail()` or a throw) after the head was sent, the connection is closed without the
/// last chunk, so the client sees an incomplete body rather than one that looks complete.
public final class ResponseStream: @unchecked Sendable {
    public struct Cancelled: Error, CustomStringConvertible {
        public var description: String { "the client went away" }
    }

    enum State { case open, finished, failed, cancelled }

    public let capacity: Int
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var pending: [UInt8] = []
    private var state = State.open
    private var waker: LoopWaker?
    /// The loop was told there is something to take and has not taken it yet.
    private var loopNotified = false
    private var cancelHandlers: [@Sendable () -> Void] = []

    /// The producer runs on a worker once the head is sent (not at all for HEAD).
    let producer: (@Sendable (ResponseStream) throws -> Void)?

    /// A stream written by `producer`, which runs on a worker thread and may block.
    public init(capacity: Int = 64 * 1024, producer: @escaping @Sendable (ResponseStream) throws -> Void) {
        self.capacity = capacity
        self.producer = producer
    }

    /// A stream fed from elsewhere with `offer` (an event hub): it holds no thread.
    public init(capacity: Int = 64 * 1024) {
        self.capacity = capacity
        self.producer = nil
    }

    // MARK: - Producer side

    /// Queues bytes, waiting while `capacity` bytes are unsent. Throws `Cancelled` once the
    /// client is gone.
    public func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        lock.lock()
        while state == .open && !pending.isEmpty && pending.count + bytes.count > capacity { lock.wait() }
        guard state == .open else {
            lock.unlock()
            throw Cancelled()
        }
        let wake = append(bytes)
        lock.unlock()
        wake?.wake()
    }

    /// Queues bytes if they fit without waiting; false when full or the client is gone.
    @discardableResult
    public func offer(_ bytes: [UInt8]) -> Bool {
        lock.lock()
        guard state == .open, pending.isEmpty || pending.count + bytes.count <= capacity else {
            lock.unlock()
            return false
        }
        let wake = append(bytes)
        lock.unlock()
        wake?.wake()
        return true
    }

    /// The body is complete.
    public func finish() { end(.finished) }

    /// The body cannot be completed: the client must not take it for whole.
    public func fail() { end(.failed) }

    /// True once the client is gone; long producers may check it between pieces.
    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return state == .cancelled
    }

    /// Runs `handler` when the client goes away (at once if it already has).
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        if state == .cancelled {
            lock.unlock()
            handler()
            return
        }
        cancelHandlers.append(handler)
        lock.unlock()
    }

    /// Called with the lock held; returns the waker to call once it is released.
    private func append(_ bytes: [UInt8]) -> LoopWaker? {
        pending.append(contentsOf: bytes)
        guard !loopNotified else { return nil }
        loopNotified = true
        return waker
    }

    private func end(_ final: State) {
        lock.lock()
        guard state == .open else {
            lock.unlock()
            return
        }
        state = final
        let wake = loopNotified ? nil : waker
        loopNotified = true
        lock.broadcast()
        lock.unlock()
        wake?.wake()
    }

    // MARK: - Loop side

    /// Connects the stream to the loop that sends it; wakes it if bytes are already waiting.
    func attach(_ w: LoopWaker) {
        lock.lock()
        waker = w
        let wakeNow = (!pending.isEmpty || state != .open) && !loopNotified
        if wakeNow { loopNotified = true }
        lock.unlock()
        if wakeNow { w.wake() }
    }

    enum Take {
        case bytes([UInt8])
        /// Nothing now; the loop is woken when there is.
        case empty
        case finished
        case failed
    }

    /// Takes what is waiting (and wakes a producer blocked on a full buffer).
    func take() -> Take {
        lock.lock()
        defer { lock.unlock() }
        if !pending.isEmpty {
            let out = pending
            pending = []
            lock.broadcast()
            return .bytes(out)
        }
        loopNotified = false
        switch state {
        case .open, .cancelled: return .empty
        case .finished: return .finished
        case .failed: return .failed
        }
    }

    /// The client went away or never wanted the body: stop the producer.
    func cancel() {
        lock.lock()
        guard state == .open else {
            lock.unlock()
            return
        }
        state = .cancelled
        pending = []
        let handlers = cancelHandlers
        cancelHandlers = []
        lock.broadcast()
        lock.unlock()
        for h in handlers { h() }
    }
}
