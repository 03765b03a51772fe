import Glibc
import Synchronization
import SystemSupport

/// Where log lines go: one buffer, written to a file descriptor in batches so that logging a
/// request costs a memcpy rather than a system call. A background flusher writes at least every
/// 100 ms; a full buffer or an error line is written at once; `flush()` runs at exit.
public final class LogSink: Sendable {
    private let fd: Int32
    private let buffer = Mutex<[UInt8]>([])
    private let flushThreshold = 64 * 1024
    private let started = Atomic<Bool>(false)

    public static let standardOutput = LogSink(fd: 1)

    public init(fd: Int32) { self.fd = fd }

    /// Appends one complete line. `urgent` lines (errors) are flushed immediately.
    public func write(_ line: [UInt8], urgent: Bool = false) {
        startFlusherIfNeeded()
        let pending: [UInt8]? = buffer.withLock { buf in
            buf.append(contentsOf: line)
            guard urgent || buf.count >= flushThreshold else { return nil }
            let out = buf
            buf.removeAll(keepingCapacity: true)
            return out
        }
        if let pending { writeAll(pending) }
    }

    public func flush() {
        let pending = buffer.withLock { buf -> [UInt8] in
            let out = buf
            buf.removeAll(keepingCapacity: true)
            return out
        }
        if !pending.isEmpty { writeAll(pending) }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    private func startFlusherIfNeeded() {
        guard !started.load(ordering: .relaxed),
              started.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        // The sink lives for the whole process (sinks are long-lived by design), so the flusher
        // never needs to stop. If the thread cannot start, writes still flush at the threshold.
        try? OSThread.spawn(name: "log-flush") { [self] in
            while true {
                usleep(100_000)
                flush()
            }
        }.detach()
    }
}
