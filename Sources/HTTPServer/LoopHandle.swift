import Synchronization

/// A response finished on a worker, on its way back to the loop that owns the connection.
struct Completion: Sendable {
    enum Payload: Sendable {
        case response(Response)
        /// A body channel of the connection has something to do: bytes to send (response
        /// stream) or room to fill (request body stream).
        case channelReady
    }

    let fd: Int32
    let connectionID: UInt64
    /// Which request of the connection it belongs to: a late answer for a request already
    /// answered (504 after its deadline) is dropped.
    let sequence: UInt64
    let payload: Payload
}

/// The part of an event loop other threads may touch: an inbox of completions and a wake-up
/// fd. Workers hold it until they post, so the eventfd is closed only when the last of them
/// let go (never while someone could still write to a reused fd number).
final class LoopHandle: Sendable {
    let wake: EventFD
    let inbox = Mutex<[Completion]>([])

    init() throws { wake = try EventFD() }

    deinit { wake.close() }

    func post(_ completion: Completion) {
        let first = inbox.withLock { box -> Bool in
            box.append(completion)
            return box.count == 1
        }
        // One wake-up per batch: a loop already woken will drain everything queued since.
        if first { wake.signal() }
    }

    func poke() { wake.signal() }
}
