import SystemSupport
import Glibc
import CSystem
import Synchronization
import Logging

/// One epoll loop on one thread: the reactor. It owns the fds, the timer heap and the inbox of
/// completions from workers; what to do with a connection is decided by its `HTTP1Connection`
/// state machine (see `ConnectionDriver.swift` for the actions carried out). Closes are
/// applied after each batch of events, so an fd cannot be reused while stale events for it
/// are pending.
final class EventLoop {
    let ctx: ServerContext
    let handle: LoopHandle
    let epoll: Epoll
    private var listenFD: Int32
    private var connections: [Connection?] = []
    private var connectionCount = 0
    private var timers = TimerHeap()
    private var nextConnectionID: UInt64 = 1
    private var nextTimerToken: UInt64 = 1
    var dates = DateCache()
    var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    private var pendingCloses: [Int32] = []
    private(set) var now: Int64 = MonotonicClock.milliseconds()
    private(set) var draining = false
    private var acceptPausedUntil: Int64 = 0
    var limits: HTTPLimits { ctx.limits }
    /// This loop's connection to the admission service, when the application has one.
    let admission: AdmissionClient?
    /// This loop's part of the server's in-flight request count.
    let inFlight: ShardedCount.Shard

    init(ctx: ServerContext, handle: LoopHandle, epoll: Epoll, listenFD: Int32) {
        self.ctx = ctx
        self.handle = handle
        self.epoll = epoll
        self.listenFD = listenFD
        admission = ctx.app.admissionService.map { AdmissionClient(service: $0) }
        inFlight = ctx.stats.inFlightRequests.makeShard()
    }

    func run() {
        let capacity: Int32 = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        while true {
            let n = epoll.wait(events, capacity: capacity, timeoutMs: waitTimeout())
            now = MonotonicClock.milliseconds()
            for i in 0..<n {
                let fd = csystem_epoll_event_fd(events + i)
                let mask = csystem_epoll_event_mask(events + i)
                if fd == listenFD {
                    acceptConnections()
                } else if fd == handle.wake.fd {
                    handle.wake.drain()
                    drainCompletions()
                } else if let a = admission, fd == a.fd {
                    resolveAdmissions(a.handle(mask, loop: self))
                } else if let c = connection(fd) {
                    handleEvent(c, mask)
                }
            }
            runTimers()
            if let a = admission, a.hasPending { resolveAdmissions(a.expire(loop: self)) }
            applyCloses()
            if shouldExit() { break }
        }
        for case let c? in connections { closeConnection(c) }
        applyCloses()
        if listenFD >= 0 { close(listenFD) }
        close(epoll.fd)
    }

    // MARK: - Lifecycle

    private func shouldExit() -> Bool {
        let phase = ctx.phase.load(ordering: .acquiring)
        if phase >= 1 && !draining {
            draining = true
            if listenFD >= 0 {
                epoll.remove(listenFD)
                close(listenFD)
                listenFD = -1
            }
            for case let c? in connections {
                c.machine.beginDraining()
                drive(c)
            }
            applyCloses()
        }
        if phase >= 2 { return true }
        return draining && connectionCount == 0
    }

    private func waitTimeout() -> Int32 {
        // Admission checks in flight are timed by the loop itself: wake often while any wait.
        let cap: Int64 = admission?.hasPending == true ? 10 : draining ? 100 : 1000
        guard let earliest = timers.earliest else { return Int32(cap) }
        return Int32(max(0, min(earliest - MonotonicClock.milliseconds(), cap)))
    }

    // MARK: - Accepting

    private func acceptConnections() {
        for _ in 0..<64 {
            switch Socket.accept(listenFD) {
            case .accepted(let fd, let address):
                admit(fd, address)
            case .wouldBlock:
                return
            case .failed(let error):
                // EMFILE and friends: the listen socket stays readable, so pause it briefly
                // instead of spinning.
                ctx.logger.error("accept failed; pausing accepts for 100 ms", metadata: ["error": "\(error)"])
                epoll.modify(listenFD, 0)
                acceptPausedUntil = now + 100
                return
            }
        }
    }

    /// Registers an accepted connection, or answers 503 and closes it when the server or this
    /// client holds too many. At the server's limit, idle keep-alive connections make room
    /// first, so one client's idle sockets cannot lock everybody out (probes included); at a
    /// client's own cap, that client's longest idle connection on this loop makes room (as nginx
    /// does), so a pool of idle keep-alives does not lock its owner out.
    private func admit(_ fd: Int32, _ address: String) {
        ctx.stats.acceptedConnections.add(1, ordering: .relaxed)
        var open = ctx.stats.openConnections.add(1, ordering: .relaxed).newValue
        if open > limits.maxConnections && evictIdleConnections(open - limits.maxConnections) > 0 {
            open = ctx.stats.openConnections.load(ordering: .relaxed)
        }
        var counted = ctx.clientConnections.admit(address)
        if !counted && evictIdleConnections(1, of: address) > 0 { counted = ctx.clientConnections.admit(address) }
        let refusal: ServerRejection? = open > limits.maxConnections ? .tooManyConnections : counted ? nil : .tooManyClientConnections
        guard let refusal else {
            if register(fd, address, countedForClient: true) == nil { discardUnregistered(fd, address, countedForClient: true) }
            return
        }
        ctx.stats.rejectedConnections.add(1, ordering: .relaxed)
        // Far past the limit: no resources for a polite answer.
        guard open <= limits.maxConnections + 1024, let c = register(fd, address, countedForClient: counted) else {
            discardUnregistered(fd, address, countedForClient: counted)
            return
        }
        c.machine.refuse(refusal)
        drive(c)
    }

    private func discardUnregistered(_ fd: Int32, _ address: String, countedForClient: Bool) {
        ctx.stats.openConnections.subtract(1, ordering: .relaxed)
        if countedForClient { ctx.clientConnections.release(address) }
        close(fd)
    }

    /// Closes up to `count` idle connections of this loop (of one client address, if given),
    /// longest idle first.
    private func evictIdleConnections(_ count: Int, of address: String? = nil) -> Int {
        var idle: [Connection] = []
        for case let c? in connections where c.machine.isIdle && (address == nil || c.machine.remoteAddress == address) { idle.append(c) }
        idle.sort { $0.machine.idleSinceMs < $1.machine.idleSinceMs }
        let victims = idle.prefix(count)
        for c in victims {
            ctx.stats.evictedConnections.add(1, ordering: .relaxed)
            closeConnection(c)
        }
        return victims.count
    }

    private func register(_ fd: Int32, _ address: String, countedForClient: Bool) -> Connection? {
        if Int(fd) >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: max(Int(fd) + 1 - connections.count, connections.count)))
        }
        let c = Connection(fd: fd, id: nextConnectionID, machine: HTTP1Connection(remoteAddress: address, limits: limits,
                                                                                 budget: ctx.bodyBudget, now: now))
        c.countedForClient = countedForClient
        nextConnectionID += 1
        do {
            try epoll.add(fd, Epoll.readable)
        } catch {
            ctx.logger.error("cannot register connection", metadata: ["error": "\(error)"])
            return nil
        }
        c.interest = Epoll.readable
        connections[Int(fd)] = c
        connectionCount += 1
        if draining { c.machine.beginDraining() }
        drive(c)
        return connection(fd) === c ? c : nil
    }

    @inline(__always) func connection(_ fd: Int32) -> Connection? {
        Int(fd) < connections.count ? connections[Int(fd)] : nil
    }

    /// Whether `c` is still the live connection on its fd.
    @inline(__always) func isOpen(_ c: Connection) -> Bool { connection(c.fd) === c }

    // MARK: - I/O events

    private func handleEvent(_ c: Connection, _ mask: UInt32) {
        if mask & Epoll.hangup != 0 && mask & Epoll.readable == 0 {
            closeConnection(c)
            return
        }
        if mask & Epoll.writable != 0 { c.machine.socketWritable() }
        if mask & Epoll.readable != 0 {
            readInput(c)
            guard isOpen(c) else { return }
        }
        drive(c)
    }

    private func drainCompletions() {
        let batch = handle.inbox.withLock { box -> [Completion] in
            let taken = box
            box.removeAll(keepingCapacity: true)
            return taken
        }
        for item in batch {
            if case .response = item.payload { inFlight.subtract(1) }
            guard let c = connection(item.fd), c.id == item.connectionID else { continue }
            switch item.payload {
            case .response(let response):
                if c.runningSequence == item.sequence { c.cancellation = nil }
                c.machine.respond(response, sequence: item.sequence, now: now, date: dates.current())
            case .channelReady:
                guard item.sequence == c.machine.sequence else { continue }
                c.machine.channelReady(now: now)
            }
            drive(c)
        }
    }

    // MARK: - Timers

    /// Schedules the machine's deadline. Moving a deadline later pushes nothing: the stale
    /// heap entry surfaces, finds the later deadline and reschedules (lazy invalidation).
    func schedule(_ c: Connection, _ deadline: Int64?) {
        c.deadline = deadline ?? 0
        guard let d = deadline else { return }
        if c.scheduledDeadline == 0 || d < c.scheduledDeadline {
            nextTimerToken += 1
            c.timerToken = nextTimerToken
            c.scheduledDeadline = d
            timers.push(.init(deadline: d, fd: c.fd, token: nextTimerToken))
        }
    }

    private func runTimers() {
        while let e = timers.popDue(now: now) {
            guard let c = connection(e.fd), c.timerToken == e.token else { continue }
            c.scheduledDeadline = 0
            guard c.deadline != 0 else { continue }
            if c.deadline > now {
                schedule(c, c.deadline)
                continue
            }
            c.machine.expire(now: now)
            drive(c)
        }
        if acceptPausedUntil != 0 && now >= acceptPausedUntil && listenFD >= 0 {
            acceptPausedUntil = 0
            epoll.modify(listenFD, Epoll.readable)
        }
    }

    // MARK: - Closing

    func closeConnection(_ c: Connection) {
        guard isOpen(c) else { return }
        connections[Int(c.fd)] = nil
        connectionCount -= 1
        let streams = c.machine.openStreams
        c.machine.close()
        streams.response?.cancel()
        c.cancellation?.cancel()
        if c.countedForClient { ctx.clientConnections.release(c.machine.remoteAddress) }
        ctx.stats.openConnections.subtract(1, ordering: .relaxed)
        pendingCloses.append(c.fd)
    }

    private func applyCloses() {
        for fd in pendingCloses { close(fd) }
        pendingCloses.removeAll(keepingCapacity: true)
    }
}

/// The reactor's record of one connection: the fd, the state machine, and the loop's
/// bookkeeping (epoll interest, timer entry, the running handler's cancellation).
final class Connection {
    let fd: Int32
    /// Distinguishes this connection from a later one that reuses the fd.
    let id: UInt64
    var machine: HTTP1Connection
    var interest: UInt32 = 0
    var countedForClient = false
    /// The handler running on a worker for request `runningSequence`, cancelled on a deadline
    /// or a close.
    var cancellation: CancellationToken?
    var runningSequence: UInt64 = 0
    /// Current deadline (0 = none) and the heap entry that stands for it.
    var deadline: Int64 = 0
    var scheduledDeadline: Int64 = 0
    var timerToken: UInt64 = 0

    init(fd: Int32, id: UInt64, machine: HTTP1Connection) {
        self.fd = fd
        self.id = id
        self.machine = machine
    }
}
