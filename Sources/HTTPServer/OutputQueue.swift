/// Bytes waiting to be written: small pieces are coalesced into one chunk; large bodies are kept
/// as their own chunk so they are never copied, and go out with the head in one writev.
struct OutputQueue {
    private(set) var chunks: [[UInt8]] = []
    private(set) var offset = 0
    private(set) var count = 0
    /// A written coalescing buffer kept for the next response: one allocation less each time.
    private var spare: [UInt8]?
    static let coalesceLimit = 16 * 1024

    var isEmpty: Bool { count == 0 }

    mutating func withTail(_ body: (inout [UInt8]) -> Void) {
        if chunks.isEmpty || chunks[chunks.count - 1].count >= Self.coalesceLimit {
            if var reused = spare {
                spare = nil
                reused.removeAll(keepingCapacity: true)
                chunks.append(reused)
            } else {
                var fresh: [UInt8] = []
                fresh.reserveCapacity(512)
                chunks.append(fresh)
            }
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
                let done = chunks.removeFirst()
                // Only small buffers of our own (large bodies are the handler's arrays).
                if done.capacity <= 2 * Self.coalesceLimit && done.count < Self.coalesceLimit { spare = done }
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
