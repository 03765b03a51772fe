import SystemSupport
/// A fixed set of threads running handlers that may block (libpq calls), with a bounded queue:
/// when it is full `submit` refuses at once and the caller answers 503, rather than letting
/// latency grow without bound.
final class WorkerPool: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var ring: [Job?]
    private var head = 0
    private var count = 0
    private var stopping = false
    private var threads: [OSThread] = []
    let capacity: Int

    init(threads: Int, queueLimit: Int, name: String = "worker") throws {
        capacity = max(1, queueLimit)
        ring = Array(repeating: nil, count: capacity)
        var started: [OSThread] = []
        for i in 0..<max(1, threads) {
            do {
                started.append(try OSThread.spawn(name: "\(name)-\(i)") { [unowned self] in self.run() })
            } catch {
                // Stop the ones already running before giving up.
                lock.lock()
                stopping = true
                lock.broadcast()
                lock.unlock()
                for t in started { t.join() }
                throw error
            }
        }
        lock.lock()
        self.threads = started
        lock.unlock()
    }

    /// Queues a job; false when the queue is full or the pool is stopping.
    func submit(_ job: @escaping Job) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !stopping, count < capacity else { return false }
        ring[(head + count) % capacity] = job
        count += 1
        lock.signal()
        return true
    }

    var queued: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    /// Refuses new jobs; workers finish what is queued and exit. With `wait`, joins them; without,
    /// returns at once (past the shutdown timeout the process exits and takes them along).
    func shutdown(wait: Bool) {
        lock.lock()
        stopping = true
        lock.broadcast()
        let toJoin = threads
        threads = []
        lock.unlock()
        if wait { for t in toJoin { t.join() } }
    }

    private func run() {
        while true {
            lock.lock()
            while count == 0 && !stopping { lock.wait() }
            if count == 0 && stopping {
                lock.unlock()
                return
            }
            let job = ring[head]!
            ring[head] = nil
            head = (head + 1) % capacity
            count -= 1
            lock.unlock()
            job()
        }
    }
}
