import SystemSupport
import Glibc
import Synchronization
import Logging

/// An HTTP/1.1 server over Linux epoll. It knows nothing of the application: it frames
/// requests, asks an `HTTPApplication` for responses and writes them back.
///
/// Threading model:
/// - `eventLoops` threads each run one epoll loop with its own listening socket bound with
///   SO_REUSEPORT, so the kernel spreads new connections across loops and no lock is taken to
///   accept. A connection belongs to one loop for its whole life; its state is touched only by
///   that thread, so it needs no locking.
/// - Parsing, routing decisions (`HTTPApplication.plan`) and response writing happen on the
///   loop. A handler runs on the loop only when its route says it never blocks (health,
///   metrics, cached reads); everything else goes to a bounded `WorkerPool`. A worker posts the
///   finished response to the owning loop's inbox and wakes it through an eventfd; the loop
///   writes it. When the worker queue is full the request is answered 503 at once.
/// - Shutdown: `beginShutdown` makes every loop close its listener and idle connections, and
///   answer in-flight requests with `Connection: close`. `stop` closes whatever is left.
public final class HTTPServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var eventLoops = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        public var workerThreads = 8
        public var workerQueueLimit = 1024
        /// Threads running the producers of streamed responses (exports), apart from the
        /// request workers: a producer waits for its slow reader here, never in the way of
        /// other requests. The application admits at most this many streams at once.
        public var streamThreads = 8
        public var backlog: Int32 = 1024
        public var limits = HTTPLimits()
        /// Let another process bind the same port (hand-over restarts). Off, a port already in
        /// use stops start-up instead of silently sharing its connections with a stranger.
        public var reusePort = false

        public init() {}
    }

    public let configuration: Configuration
    public let stats = ServerStats()
    private let application: any HTTPApplication
    private let logger: Logger
    private let running = Mutex<Running?>(nil)

    private struct Running: @unchecked Sendable {
        var context: ServerContext
        var loops: [OSThread]
        var handles: [LoopHandle]
        var port: Int
    }

    public init(configuration: Configuration, application: any HTTPApplication, logger: Logger) {
        self.configuration = configuration
        self.application = application
        self.logger = logger
    }

    /// Binds, starts the loops and workers, and returns the bound port (useful with port 0).
    /// A failure half-way stops and closes whatever was started.
    @discardableResult
    public func start() throws -> Int {
        let config = configuration
        if !config.reusePort && config.port != 0 {
            // Every loop binds with SO_REUSEPORT, which would happily share the port with
            // another running server; a plain bind first tells whether anyone holds it.
            try Socket.ensurePortFree(host: config.host, port: config.port)
        }
        var listeners: [Int32] = []
        var port = config.port
        var loops: [(Int32, LoopHandle, Epoll)] = []
        func closeAll() {
            for fd in listeners { close(fd) }
            for (_, _, epoll) in loops { close(epoll.fd) }
        }
        do {
            for _ in 0..<max(1, config.eventLoops) {
                let fd = try Socket.listen(host: config.host, port: port, reusePort: true, backlog: config.backlog)
                listeners.append(fd)
                if port == 0 { port = Socket.boundPort(fd) }
            }
            for fd in listeners {
                let handle = try LoopHandle()
                let epoll = try Epoll()
                loops.append((fd, handle, epoll))
                try epoll.add(fd, Epoll.readable)
                try epoll.add(handle.wake.fd, Epoll.readable)
            }
        } catch {
            closeAll()
            throw error
        }
        let pool: WorkerPool
        do {
            pool = try WorkerPool(threads: config.workerThreads, queueLimit: config.workerQueueLimit)
        } catch {
            closeAll()
            throw error
        }
        let streams: WorkerPool
        do {
            streams = try WorkerPool(threads: config.streamThreads, queueLimit: config.streamThreads, name: "stream")
        } catch {
            pool.shutdown(wait: true)
            closeAll()
            throw error
        }
        let context = ServerContext(app: application, limits: config.limits, pool: pool, streams: streams, stats: stats, logger: logger)
        var threads: [OSThread] = []
        for (i, (fd, handle, epoll)) in loops.enumerated() {
            let stats = self.stats
            stats.runningLoops.add(1, ordering: .relaxed)
            do {
                threads.append(try OSThread.spawn(name: "http-loop-\(i)") {
                    EventLoop(ctx: context, handle: handle, epoll: epoll, listenFD: fd).run()
                    stats.runningLoops.subtract(1, ordering: .releasing)
                })
            } catch {
                // Loops already running close their own listener and epoll when told to stop;
                // the rest are closed here.
                stats.runningLoops.subtract(1, ordering: .relaxed)
                context.phase.store(2, ordering: .releasing)
                for (_, h, _) in loops.prefix(i) { h.poke() }
                for t in threads { t.join() }
                for (fd, _, epoll) in loops.dropFirst(i) {
                    close(fd)
                    close(epoll.fd)
                }
                pool.shutdown(wait: true)
                streams.shutdown(wait: true)
                throw error
            }
        }
        running.withLock { $0 = Running(context: context, loops: threads, handles: loops.map(\.1), port: port) }
        return port
    }

    /// True once shutdown has begun (readiness should fail).
    public var isDraining: Bool {
        running.withLock { $0.map { $0.context.phase.load(ordering: .relaxed) >= 1 } ?? false }
    }

    /// Stops accepting and lets in-flight requests finish. Returns at once.
    public func beginShutdown() {
        let handles = running.withLock { r -> [LoopHandle] in
            guard let r else { return [] }
            r.context.phase.store(max(1, r.context.phase.load(ordering: .relaxed)), ordering: .releasing)
            return r.handles
        }
        for h in handles { h.poke() }
    }

    /// Waits until every loop has finished its connections, up to `timeoutMs`. Then stops for
    /// good: loops still running are told to close everything, and workers finish their queue.
    /// Returns true when everything drained within the timeout.
    @discardableResult
    public func stop(timeoutMs: Int) -> Bool {
        beginShutdown()
        let deadline = MonotonicClock.milliseconds() + Int64(timeoutMs)
        while stats.runningLoops.load(ordering: .acquiring) > 0 && MonotonicClock.milliseconds() < deadline {
            usleep(10_000)
        }
        let drained = stats.runningLoops.load(ordering: .acquiring) == 0
        guard let r = running.withLock({ r -> Running? in
            let taken = r
            r = nil
            return taken
        }) else { return drained }
        r.context.phase.store(2, ordering: .releasing)
        for h in r.handles { h.poke() }
        for t in r.loops { t.join() }
        r.context.pool.shutdown(wait: drained)
        // Producers still writing to a slow reader were cancelled with their connections.
        r.context.streams.shutdown(wait: drained)
        return drained
    }

    /// Jobs waiting for a worker.
    public var queuedJobs: Int { running.withLock { $0?.context.pool.queued ?? 0 } }

    /// Bytes held by incomplete request bodies, across all loops.
    public var bufferedBodyBytes: Int { running.withLock { $0?.context.bodyBudget.inUse ?? 0 } }
}

/// Counters the server keeps for metrics. Updated with relaxed atomics on the hot path.
public final class ServerStats: Sendable {
    public let openConnections = Atomic<Int>(0)
    /// Idle keep-alive connections closed to make room for new ones at MAX_CONNECTIONS.
    public let evictedConnections = Atomic<Int>(0)
    public let acceptedConnections = Atomic<Int>(0)
    public let rejectedConnections = Atomic<Int>(0)
    /// Requests being handled, counted by each event loop in its own shard.
    public let inFlightRequests = ShardedCount()
    public let workerQueueRejections = Atomic<Int>(0)
    let runningLoops = Atomic<Int>(0)

    public init() {}
}
