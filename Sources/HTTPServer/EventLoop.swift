import SystemSupport
import Glibc
import CSystem
import Synchronization
import Logging

/// A response finished on a worker, on its way back to the loop that owns the connection.
struct Completion: Sendable {
    enum Payload: Sendable {
        case response(Response)
        /// A piece of a streamed body; nil is the end.
        case piece([UInt8]?)
        /// The stream's producer failed after the head was sent.
        case streamFailed
    }

    let fd: Int32
    let connectionID: UInt64
    let payload: Payload
}

/// The part of an event loop other threads may touch: an inbox of completions and a wake-up fd.
final class LoopHandle: Sendable {
    let wake: EventFD
    let inbox = Mutex<[Completion]>([])

    init() throws { wake = try EventFD() }

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

/// What every loop shares: the application, limits, worker pool, counters and lifecycle phase.
final class ServerContext: Sendable {
    let app: any HTTPApplication
    let limits: HTTPLimits
    let pool: WorkerPool
    let stats: ServerStats
    let logger: Logger
    /// 0 running, 1 draining (finish in-flight work, accept nothing), 2 stopping (close all now).
    let phase = Atomic<Int>(0)

    init(app: any HTTPApplication, limits: HTTPLimits, pool: WorkerPool, stats: ServerStats, logger: Logger) {
        self.app = app
        self.limits = limits
        self.pool = pool
        self.stats = stats
        self.logger = logger
    }
}

/// One epoll loop on one thread. Connections live in a table indexed by fd; closes are applied
/// after each batch of events so an fd cannot be reused while its stale events are pending.
final class EventLoop {
    private let ctx: ServerContext
    private let handle: LoopHandle
    private let epoll: Epoll
    private var listenFD: Int32
    private var connections: [Connection?] = []
    private var connectionCount = 0
    private var timers = TimerHeap()
    private var nextConnectionID: UInt64 = 1
    private var nextTimerToken: UInt64 = 1
    private var dates = DateCache()
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    private var pendingCloses: [Int32] = []
    private var now: Int64 = MonotonicClock.milliseconds()
    private var draining = false
    private var acceptPausedUntil: Int64 = 0
    private var limits: HTTPLimits { ctx.limits }

    init(ctx: ServerContext, handle: LoopHandle, epoll: Epoll, listenFD: Int32) {
        self.ctx = ctx
        self.handle = handle
        self.epoll = epoll
        self.listenFD = listenFD
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
                } else if let c = connection(fd) {
                    handleEvent(c, mask)
                }
            }
            runTimers()
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
            for case let c? in connections where c.isIdle { closeConnection(c) }
            applyCloses()
        }
        if phase >= 2 { return true }
        return draining && connectionCount == 0
    }

    private func waitTimeout() -> Int32 {
        let cap: Int64 = draining ? 100 : 1000
        guard let earliest = timers.earliest else { return Int32(cap) }
        return Int32(max(0, min(earliest - MonotonicClock.milliseconds(), cap)))
    }

    // MARK: - Accepting

    private func acceptConnections() {
        for _ in 0..<64 {
            switch Socket.accept(listenFD) {
            case .accepted(let fd, let address):
                ctx.stats.acceptedConnections.add(1, ordering: .relaxed)
                let open = ctx.stats.openConnections.add(1, ordering: .relaxed).newValue
                if open > limits.maxConnections {
                    ctx.stats.rejectedConnections.add(1, ordering: .relaxed)
                    // Past the limit by a wide margin: no resources for a polite answer.
                    guard open <= limits.maxConnections + 1024, let c = register(fd, address) else {
                        if connection(fd) == nil {
                            ctx.stats.openConnections.subtract(1, ordering: .relaxed)
                            close(fd)
                        }
                        continue
                    }
                    c.current = (.GET, .http1_1, false)
                    enqueueResponse(c, ctx.app.rejection(.tooManyConnections, request: nil))
                    advance(c)
                } else if register(fd, address) == nil {
                    ctx.stats.openConnections.subtract(1, ordering: .relaxed)
                    close(fd)
                }
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

    private func register(_ fd: Int32, _ address: String) -> Connection? {
        if Int(fd) >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: max(Int(fd) + 1 - connections.count, connections.count)))
        }
        let c = Connection(fd: fd, id: nextConnectionID, remoteAddress: address, limits: limits, now: now)
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
        updateDeadline(c)
        return c
    }

    @inline(__always) private func connection(_ fd: Int32) -> Connection? {
        Int(fd) < connections.count ? connections[Int(fd)] : nil
    }

    // MARK: - I/O events

    private func handleEvent(_ c: Connection, _ mask: UInt32) {
        if mask & Epoll.hangup != 0 && mask & Epoll.readable == 0 {
            closeConnection(c)
            return
        }
        if mask & Epoll.readable != 0 {
            if c.lingering {
                discardInput(c)
                return
            }
            readInput(c)
        }
        guard connection(c.fd) === c else { return }
        advance(c)
    }

    private func readInput(_ c: Connection) {
        var budget = limits.readBudgetBytes
        while budget > 0 {
            let want = min(scratch.count, budget)
            let n = scratch.withUnsafeMutableBytes { read(c.fd, $0.baseAddress, want) }
            if n > 0 {
                if c.isIdle { c.headStartedAt = now }
                scratch.withUnsafeBufferPointer { c.input.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
                c.lastReadAt = now
                budget -= n
                if n < want { break }
            } else if n == 0 {
                c.peerClosed = true
                break
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else {
                closeConnection(c)
                return
            }
        }
    }

    /// After a response is sent on a connection that must close: stop writing, read and drop
    /// whatever the peer still sends for a short while, then close. Closing with unread input
    /// would make the kernel send RST and could destroy the response before the peer reads it.
    private func discardInput(_ c: Connection) {
        while true {
            let n = scratch.withUnsafeMutableBytes { read(c.fd, $0.baseAddress, $0.count) }
            if n > 0 { continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            closeConnection(c)
            return
        }
    }

    /// Parses and dispatches what is buffered, writes what is owed, then refreshes interest and
    /// deadline. Every path that changes a connection ends here.
    private func advance(_ c: Connection) {
        parse: while c.current == nil && c.stream == nil && !c.closeAfterWrite && !c.lingering
            && c.output.count < limits.outputHighWaterBytes && c.bufferedInput > 0 {
            let start = c.inputStart
            let step = c.input.withUnsafeBufferPointer { p in
                c.assembler.feed(p, start: start, end: p.count) { head in
                    ctx.app.plan(for: makeRequest(head, body: [], keepAlive: head.keepAlive, c))
                }
            }
            switch step {
            case .needMore(let consumed, let sendContinue):
                c.inputStart += consumed
                if sendContinue { c.output.append(ResponseSerializer.continueResponse) }
                break parse
            case .request(let head, let body, let plan, let consumed):
                c.inputStart += consumed
                dispatch(c, head, body, plan)
            case .failed(let error, let head):
                c.input = []
                c.inputStart = 0
                reject(c, .malformed(error), head: head)
                break parse
            }
        }
        c.compactInput()
        flush(c)
        guard connection(c.fd) === c else { return }
        requestNextPiece(c)

        if c.output.isEmpty && c.current == nil && c.stream == nil {
            if c.closeAfterWrite {
                if !c.lingering { startLingering(c) }
            } else if c.peerClosed {
                closeConnection(c)
                return
            }
        }
        updateInterest(c)
        updateDeadline(c)
    }

    private func makeRequest(_ head: ParsedHead, body: [UInt8], keepAlive: Bool, _ c: Connection) -> Request {
        Request(method: head.method, version: head.version, headers: head.headers, path: head.path, query: head.query,
                keepAlive: keepAlive, body: body, remoteAddress: c.remoteAddress)
    }

    private func dispatch(_ c: Connection, _ head: ParsedHead, _ body: [UInt8], _ plan: RoutePlan) {
        let keepAlive = head.keepAlive && !draining && !c.peerClosed
        c.current = (head.method, head.version, keepAlive)
        c.headStartedAt = now
        let request = makeRequest(head, body: body, keepAlive: keepAlive, c)
        if draining && ctx.phase.load(ordering: .relaxed) >= 2 {
            enqueueResponse(c, ctx.app.rejection(.shuttingDown, request: request))
            return
        }
        ctx.stats.inFlightRequests.add(1, ordering: .relaxed)
        if plan.runsInline {
            let response = ctx.app.respond(to: request)
            ctx.stats.inFlightRequests.subtract(1, ordering: .relaxed)
            enqueueResponse(c, response)
            return
        }
        c.inFlight = true
        let app = ctx.app
        let handle = self.handle
        let fd = c.fd
        let id = c.id
        let accepted = ctx.pool.submit {
            let response = app.respond(to: request)
            handle.post(Completion(fd: fd, connectionID: id, payload: .response(response)))
        }
        if !accepted {
            c.inFlight = false
            ctx.stats.inFlightRequests.subtract(1, ordering: .relaxed)
            ctx.stats.workerQueueRejections.add(1, ordering: .relaxed)
            enqueueResponse(c, app.rejection(.overloaded, request: request))
        }
    }

    private func reject(_ c: Connection, _ reason: ServerRejection, head: ParsedHead?) {
        c.current = (head?.method ?? .GET, head?.version ?? .http1_1, false)
        let request = head.map { makeRequest($0, body: [], keepAlive: false, c) }
        enqueueResponse(c, ctx.app.rejection(reason, request: request))
    }

    private func enqueueResponse(_ c: Connection, _ response: Response) {
        guard let current = c.current else { return }
        let keepAlive = current.keepAlive && !draining && !c.peerClosed
        let date = dates.current()
        var needsBody = false
        c.output.withTail { out in
            needsBody = ResponseSerializer.writeHead(response, version: current.version, isHead: current.method == .HEAD,
                                                     keepAlive: keepAlive, date: date, into: &out)
        }
        if needsBody { c.output.append(response.body) }
        c.current = nil
        c.servedRequests += 1
        if let stream = response.stream, current.method != .HEAD, !response.status.forbidsBody {
            // HTTP/1.0 has no chunked coding: the end of the body is the end of the connection.
            let chunked = current.version == .http1_1
            c.stream = (stream, chunked, keepAlive && chunked, false)
            return
        }
        if !keepAlive { c.closeAfterWrite = true }
    }

    /// Asks a worker for the next piece of a streamed body once most of the last one is written.
    private func requestNextPiece(_ c: Connection) {
        guard let s = c.stream, !s.fetching, c.output.count < limits.streamLowWaterBytes else { return }
        c.stream!.fetching = true
        let handle = self.handle
        let fd = c.fd
        let id = c.id
        let accepted = ctx.pool.submit {
            let payload: Completion.Payload
            do { payload = .piece(try s.body.next()) } catch { payload = .streamFailed }
            handle.post(Completion(fd: fd, connectionID: id, payload: payload))
        }
        if !accepted { closeConnection(c) }
    }

    private func receivePiece(_ c: Connection, _ piece: [UInt8]?) {
        guard let s = c.stream else { return }
        c.stream!.fetching = false
        guard let data = piece else {
            if s.chunked { c.output.append(ResponseSerializer.lastChunk) }
            c.stream = nil
            c.idleSince = now
            if !s.keepAlive { c.closeAfterWrite = true }
            return
        }
        guard !data.isEmpty else { return }
        if s.chunked {
            c.output.withTail { ResponseSerializer.appendChunk(data, into: &$0) }
        } else {
            c.output.append(data)
        }
    }

    private func drainCompletions() {
        let batch = handle.inbox.withLock { box -> [Completion] in
            let taken = box
            box.removeAll(keepingCapacity: true)
            return taken
        }
        for item in batch {
            if case .response = item.payload { ctx.stats.inFlightRequests.subtract(1, ordering: .relaxed) }
            guard let c = connection(item.fd), c.id == item.connectionID else { continue }
            switch item.payload {
            case .response(let response):
                c.inFlight = false
                enqueueResponse(c, response)
            case .piece(let piece):
                receivePiece(c, piece)
            case .streamFailed:
                ctx.logger.error("response stream failed; closing the connection", metadata: ["client": "\(c.remoteAddress)"])
                closeConnection(c)
                continue
            }
            advance(c)
        }
    }

    private func flush(_ c: Connection) {
        var budget = limits.writeBudgetBytes
        while !c.output.isEmpty && budget > 0 {
            let n = writeSome(c)
            if n > 0 {
                c.output.consume(n)
                c.lastWriteAt = now
                budget -= n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                break
            } else {
                closeConnection(c)
                return
            }
        }
        if c.output.isEmpty { c.idleSince = now }
    }

    /// Writes from the first one or two chunks with a single writev.
    private func writeSome(_ c: Connection) -> Int {
        let chunks = c.output.chunks
        let offset = c.output.offset
        return chunks[0].withUnsafeBytes { a -> Int in
            let first = iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress! + offset), iov_len: a.count - offset)
            guard chunks.count > 1 else {
                return Glibc.write(c.fd, first.iov_base, first.iov_len)
            }
            return chunks[1].withUnsafeBytes { b -> Int in
                var iov = (first, iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress!), iov_len: b.count))
                return withUnsafePointer(to: &iov) {
                    $0.withMemoryRebound(to: iovec.self, capacity: 2) { writev(c.fd, $0, 2) }
                }
            }
        }
    }

    private func startLingering(_ c: Connection) {
        shutdown(c.fd, Int32(SHUT_WR))
        c.lingering = true
        c.lingerUntil = now + 2_000
        c.input = []
        c.inputStart = 0
    }

    private func updateInterest(_ c: Connection) {
        var mask: UInt32 = 0
        if c.lingering {
            mask = Epoll.readable
        } else {
            // Stop reading while a response is pending and enough input is buffered: pipelined
            // bytes wait in the kernel instead of growing our buffer.
            let stalled = c.current != nil || c.stream != nil || c.output.count >= limits.outputHighWaterBytes
            if !c.peerClosed && !c.closeAfterWrite && (!stalled || c.bufferedInput < limits.stalledInputBytes) { mask |= Epoll.readable }
            if !c.output.isEmpty { mask |= Epoll.writable }
        }
        if mask != c.interest {
            epoll.modify(c.fd, mask)
            c.interest = mask
        }
    }

    // MARK: - Timers

    private func updateDeadline(_ c: Connection) {
        let d: Int64
        if c.lingering {
            d = c.lingerUntil
        } else if !c.output.isEmpty {
            d = c.lastWriteAt + Int64(limits.writeTimeoutMs)
        } else if c.current != nil || c.stream != nil {
            d = 0
        } else if c.assembler.isMidRequest {
            d = c.lastReadAt + Int64(limits.bodyIdleTimeoutMs)
        } else if c.bufferedInput > 0 || c.servedRequests == 0 {
            // A head is arriving, or a fresh connection has sent nothing yet: the header timeout
            // applies, so idle sockets cannot be hoarded at the keep-alive timeout.
            d = c.headStartedAt + Int64(limits.headerTimeoutMs)
        } else {
            d = c.idleSince + Int64(limits.keepAliveTimeoutMs)
        }
        c.deadline = d
        if d != 0 && (c.scheduledDeadline == 0 || d < c.scheduledDeadline) {
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
                updateDeadline(c)
                continue
            }
            expire(c)
        }
        if acceptPausedUntil != 0 && now >= acceptPausedUntil && listenFD >= 0 {
            acceptPausedUntil = 0
            epoll.modify(listenFD, Epoll.readable)
        }
    }

    private func expire(_ c: Connection) {
        let midRequest = c.bufferedInput > 0 || c.assembler.isMidRequest
        if c.lingering || !c.output.isEmpty || !midRequest || c.current != nil {
            closeConnection(c)
            return
        }
        c.input = []
        c.inputStart = 0
        reject(c, .malformed(.requestTimeout), head: nil)
        advance(c)
    }

    private func closeConnection(_ c: Connection) {
        guard connection(c.fd) === c else { return }
        connections[Int(c.fd)] = nil
        connectionCount -= 1
        ctx.stats.openConnections.subtract(1, ordering: .relaxed)
        pendingCloses.append(c.fd)
    }

    private func applyCloses() {
        for fd in pendingCloses { close(fd) }
        pendingCloses.removeAll(keepingCapacity: true)
    }
}
