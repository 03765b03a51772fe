import Glibc
import Synchronization
import SystemSupport

/// Where log lines go: one buffer, written to a file descriptor by a background writer, so
/// that logging costs a memcpy and never a system call on the calling thread (an event loop
/// must not block on a slow stdout pipe). The writer runs at least every 100 ms, and at once
/// when an error line arrives or the buffer passes 64 KiB. Past `maxBufferedBytes` lines are
/// dropped and counted rather than growing memory or blocking. `flush()` writes synchronously
/// (exit, tests).
public final class LogSink: @unchecked Sendable {
    private let fd: Int32
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var buffer: [UInt8] = []
    private var wakeWriter = false
    private var writerState = WriterState.notStarted
    /// Held while a batch is taken and written, so batches reach the fd in order.
    private let writeOrder = Mutex(())
    private let flushThreshold = 64 * 1024
    let maxBufferedBytes: Int
    /// Lines dropped because the buffer was full (the fd could not keep up).
    public let droppedLines = Atomic<Int>(0)

    private enum WriterState { case notStarted, running, unavailable }

    public static let standardOutput = LogSink(fd: 1)

    public init(fd: Int32, maxBufferedBytes: Int = 8 * 1024 * 1024) {
        self.fd = fd
        self.maxBufferedBytes = maxBufferedBytes
    }

    /// Appends one complete line. `urgent` lines (errors) wake the writer at once.
    public func write(_ line: [UInt8], urgent: Bool = false) {
        lock.lock()
        if writerState == .notStarted { startWriter() }
        guard buffer.count + line.count <= maxBufferedBytes else {
            lock.unlock()
            droppedLines.add(1, ordering: .relaxed)
            return
        }
        buffer.append(contentsOf: line)
        let wake = urgent || buffer.count >= flushThreshold
        if wake {
            wakeWriter = true
            lock.signal()
        }
        let writeHere = wake && writerState == .unavailable
        lock.unlock()
        // Only when no writer thread could be started: better a blocking write than none.
        if writeHere { flush() }
    }

    /// Writes everything buffered now, on the calling thread.
    public func flush() {
        writeOrder.withLock { _ in writeAll(takeBuffer()) }
    }

    private func takeBuffer() -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        return pending
    }

    private func writeAll(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    /// Called with the lock held. The sink lives for the whole process (sinks are long-lived
    /// by design), so the writer never needs to stop.
    private func startWriter() {
        do {
            try OSThread.spawn(name: "log-writer") { [self] in runWriter() }.detach()
            writerState = .running
        } catch {
            writerState = .unavailable
        }
    }

    private func runWriter() {
        while true {
            lock.lock()
            if !wakeWriter { _ = lock.wait(untilMilliseconds: MonotonicClock.milliseconds() + 100) }
            wakeWriter = false
            lock.unlock()
            flush()
        }
    }
}
