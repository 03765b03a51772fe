/// The HTTP/1.1 side of one connection as a value type with no I/O: bytes, completions and
/// time go in through its event methods; `next(now:plan:)` says what the event loop must do
/// now. The loop performs that action, reports the outcome (`wrote`, `respond`, ...) and asks
/// again until the answer is `.wait`. Because every decision is re-taken from the state after
/// each step, no progress can be forgotten (a pipelined request buffered while output drained
/// is parsed as soon as the output allows it), and every timeout is testable with a manual
/// clock (see HTTP1ConnectionTests).
///
/// Lifecycle: reading (head, then body) -> handling (inline, or on a worker) -> [streaming a
/// response body] -> reading again, or closing (flush, half-close, linger) -> closed. Later
/// pipelined bytes stay buffered while a request is handled, so responses leave in order.
struct HTTP1Connection {
    enum Phase: Equatable {
        /// Waiting for a request head or body. Also between keep-alive requests.
        case reading
        /// A request is with its handler; its response is owed. `deadline` 0 means none.
        case handling(deadline: Int64)
        /// A streamed response body is being sent.
        case streaming
        /// The last response is queued; once written: half-close and linger.
        case closing
        /// Input is drained and dropped until `until`, then the connection closes.
        case lingering(until: Int64)
        case closed
    }

    enum Action {
        /// Run the handler, then call `respond` with this sequence number.
        case dispatch(Request, RoutePlan, sequence: UInt64)
        /// Build the refusal's response, then call `respond` with this sequence number. For
        /// `.deadlineExceeded`, also cancel the handler still running.
        case reject(ServerRejection, RefusedRequest, sequence: UInt64)
        /// Output is pending and the socket may take it: write, then call `wrote` or `writeBlocked`.
        case write
        /// The response head is queued: connect the stream to the loop and start its
        /// producer on a worker.
        case startStream(ResponseStream, sequence: UInt64)
        /// The stream will never be sent (HEAD, a status without body): cancel it.
        case discardStream(ResponseStream)
        /// Take what the stream has, then call `piece`, `streamDry` or `streamFailed`.
        case pullStream(ResponseStream, sequence: UInt64)
        /// Everything owed is sent: shut down the write side; lingering follows.
        case shutdownWrite
        case close
        /// Nothing to do until the socket is ready as asked or the deadline passes.
        case wait(readable: Bool, writable: Bool, deadline: Int64?)
    }

    /// What the response owed for the current request needs to know.
    struct ResponseTarget {
        var method: HTTPMethod
        var version: HTTPVersion
        var keepAlive: Bool
        /// The request, for the log line of a 504 given in its handler's place.
        var request: Request?
    }

    struct StreamState {
        var stream: ResponseStream
        var chunked: Bool
        var keepAlive: Bool
        var started = false
        /// The last take found nothing; the stream wakes the loop when it has more.
        var dry = false
    }

    /// Progress of a body being received: the idle timeout and the minimum rate are measured
    /// from these.
    struct BodyClock {
        var lastProgress: Int64
        var windowStart: Int64
        var windowBytes = 0
    }

    let remoteAddress: String
    let limits: HTTPLimits
    private let budget: MemoryBudget?
    private(set) var phase = Phase.reading
    private var input: [UInt8] = []
    private var inputStart = 0
    private var assembler: RequestAssembler
    private(set) var output = OutputQueue()
    private var socketFull = false
    private(set) var peerClosed = false
    private var draining = false
    private var target: ResponseTarget?
    private(set) var sequence: UInt64 = 0
    private var stream: StreamState?
    /// A request body streamed to a handler that is already running.
    private var incomingBody: RequestBodyStream?
    /// The handler is not taking the streamed body as fast as it arrives: reading is paused,
    /// and so are the body's timeouts (the delay is ours, not the client's).
    private var incomingBodyPaused = false
    /// Set when the next action must hand a stream to the loop.
    private var discardedStream: ResponseStream?
    private var pendingRejection: ServerRejection?
    /// What the bytes of a refused request named, kept for its rejection.
    private var refusedInfo: (method: HTTPMethod?, origin: String?) = (nil, nil)
    private(set) var servedRequests = 0
    /// Body bytes charged to the budget for the request being assembled.
    private var charged = 0

    // Clocks (monotonic ms).
    let acceptedAt: Int64
    /// When the wait for the current head began with bytes of it present; nil while none are.
    private(set) var headClockMs: Int64?
    /// Set while a body is arriving (the deadline extension moves its rate window).
    var bodyClock: BodyClock?
    private(set) var idleSinceMs: Int64
    private(set) var lastWriteProgressMs: Int64

    init(remoteAddress: String, limits: HTTPLimits, budget: MemoryBudget? = nil, now: Int64) {
        self.remoteAddress = remoteAddress
        self.limits = limits
        self.budget = budget
        self.assembler = RequestAssembler(limits: limits)
        acceptedAt = now
        idleSinceMs = now
        lastWriteProgressMs = now
    }

    var bufferedInput: Int { input.count - inputStart }

    /// Nothing received and nothing owed: a keep-alive connection between requests (or a new
    /// one that has sent nothing). Such a connection may be closed to make room.
    var isIdle: Bool {
        phase == .reading && bufferedInput == 0 && !assembler.isMidRequest && output.isEmpty
    }

    // MARK: - Events

    /// Bytes read from the socket.
    mutating func received(_ bytes: UnsafeRawBufferPointer, now: Int64) {
        guard !bytes.isEmpty else { return }
        switch phase {
        case .lingering, .closed, .closing:
            return // drained and dropped
        case .reading:
            if assembler.isMidRequest {
                bodyClock?.lastProgress = now
                bodyClock?.windowBytes += bytes.count
            } else if headClockMs == nil {
                headClockMs = now
            }
        case .handling, .streaming:
            if incomingBody != nil {
                // A streamed body arriving while its handler runs.
                bodyClock?.lastProgress = now
                bodyClock?.windowBytes += bytes.count
            }
            // Otherwise pipelined input for later; its head clock starts when it is waited for.
        }
        input.append(contentsOf: bytes.bindMemory(to: UInt8.self))
    }

    /// The peer closed its sending side (read returned 0).
    mutating func peerClosedInput() { peerClosed = true }

    /// `n` bytes of output were written.
    mutating func wrote(_ n: Int, now: Int64) {
        output.consume(n)
        lastWriteProgressMs = now
        if output.isEmpty { idleSinceMs = now }
    }

    /// The socket took no more (EAGAIN) or this wake-up's write budget is spent.
    mutating func writeBlocked() { socketFull = true }

    /// The socket is writable again.
    mutating func socketWritable() { socketFull = false }

    /// Shutdown begins: idle connections close, the request in progress is answered with
    /// `Connection: close`.
    mutating func beginDraining() { draining = true }

    /// The response for request `sequence` (from a handler or a rejection). A response for
    /// an earlier sequence (a handler that finished after its deadline) is dropped.
    mutating func respond(_ response: Response, sequence: UInt64, now: Int64, date: [UInt8]) {
        guard sequence == self.sequence, let t = target else { return }
        if case .handling = phase {} else { return }
        // A handler that answers before its streamed body is all here leaves bytes unread:
        // the connection cannot be reused.
        let bodyUnread = incomingBody != nil
        if let b = incomingBody {
            b.fail(.incomplete)
            incomingBody = nil
            incomingBodyPaused = false
        }
        let keepAlive = t.keepAlive && !draining && !peerClosed && !bodyUnread
        var needsBody = false
        output.withTail { out in
            needsBody = ResponseSerializer.writeHead(response, version: t.version, isHead: t.method == .HEAD,
                                                     keepAlive: keepAlive, date: date, into: &out)
        }
        if needsBody { output.append(response.body) }
        target = nil
        servedRequests += 1
        if let s = response.stream, t.method != .HEAD, !response.status.forbidsBody {
            // HTTP/1.0 has no chunked coding: the end of the body is the end of the connection.
            let chunked = t.version == .http1_1
            stream = StreamState(stream: s, chunked: chunked, keepAlive: keepAlive && chunked)
            phase = .streaming
            return
        }
        discardedStream = response.stream
        if keepAlive {
            startReading(now)
        } else {
            phase = .closing
        }
    }

    /// What the streamed response had: bytes, or nil at its end.
    mutating func piece(_ data: [UInt8]?, sequence: UInt64, now: Int64) {
        guard sequence == self.sequence, phase == .streaming, let s = stream else { return }
        guard let data else {
            if s.chunked { output.append(ResponseSerializer.lastChunk) }
            stream = nil
            if s.keepAlive { startReading(now) } else { phase = .closing }
            return
        }
        guard !data.isEmpty else { return }
        if s.chunked {
            output.withTail { ResponseSerializer.appendChunk(data, into: &$0) }
        } else {
            output.append(data)
        }
    }

    /// The stream's producer failed after the head was sent: close without the last chunk, so
    /// the client sees an incomplete body rather than one that looks complete.
    mutating func streamFailed(sequence: UInt64) {
        guard sequence == self.sequence, phase == .streaming else { return }
        close()
    }

    /// The stream had nothing to take; it wakes the loop (`channelReady`) when it has.
    mutating func streamDry() { stream?.dry = true }

    /// A body channel woke the loop: the response stream has bytes, or the handler took the
    /// streamed request body and there is room again.
    mutating func channelReady(now: Int64) {
        stream?.dry = false
        if incomingBodyPaused {
            incomingBodyPaused = false
            // The body's clocks restart: the pause was the handler's, not the client's.
            bodyClock = BodyClock(lastProgress: now, windowStart: now)
        }
    }

    mutating func close() {
        phase = .closed
        releaseBody()
        incomingBody?.fail(.incomplete)
        incomingBody = nil
    }

    /// The streams the loop must cancel or fail when this connection closes.
    var openStreams: (response: ResponseStream?, request: RequestBodyStream?) { (stream?.stream, incomingBody) }

    private mutating func startReading(_ now: Int64) {
        phase = .reading
        idleSinceMs = now
        // The next head's clock starts now if it is already (partly) here: time spent waiting
        // for our own handler is not the client's.
        headClockMs = bufferedInput > 0 ? now : nil
    }

    /// Answer at once with this refusal and close (a connection over a limit).
    mutating func refuse(_ reason: ServerRejection) {
        if phase == .reading { pendingRejection = reason }
    }

    /// The handler did not answer in time: the next `next()` answers 504 and closes.
    mutating func markDeadlineExceeded() {
        if case .handling = phase, target != nil { pendingRejection = .deadlineExceeded }
    }

    /// The head or body did not arrive in time: drop what arrived and answer 408.
    mutating func timeOutRequest() {
        refusedInfo = sniffRequestLine()
        assembler = RequestAssembler(limits: limits)
        input = []
        inputStart = 0
        releaseBody()
        headClockMs = nil
        pendingRejection = .malformed(.requestTimeout)
    }
}

// MARK: - Deciding what to do next

/// Decides how a request is handled, once its head is parsed (the application's plan). A
/// protocol rather than a closure: the event loop passes itself, which costs no reference
/// counting on every call.
protocol RoutePlanner {
    func plan(_ request: Request) -> RoutePlan
}

extension HTTP1Connection {
    /// What the event loop must do now. `plan` is asked once per parsed head.
    mutating func next<P: RoutePlanner>(now: Int64, planner: P) -> Action {
        while true {
            if case .closed = phase { return .close }
            if !output.isEmpty && !socketFull { return .write }
            switch phase {
            case .closed:
                return .close
            case .lingering:
                if peerClosed {
                    close()
                    return .close
                }
                return waitAction()
            case .closing:
                if let d = discardedStream {
                    discardedStream = nil
                    return .discardStream(d)
                }
                guard output.isEmpty else { return waitAction() }
                if peerClosed {
                    close()
                    return .close
                }
                phase = .lingering(until: now + Int64(limits.lingerMs))
                input = []
                inputStart = 0
                return .shutdownWrite
            case .streaming:
                guard let s = stream else { return waitAction() }
                if peerClosed {
                    // The client went away: stop, and let the producer know.
                    close()
                    return .close
                }
                if !s.started {
                    stream?.started = true
                    return .startStream(s.stream, sequence: sequence)
                }
                if !s.dry && output.count < limits.streamLowWaterBytes { return .pullStream(s.stream, sequence: sequence) }
                return waitAction()
            case .handling:
                if let d = discardedStream {
                    discardedStream = nil
                    return .discardStream(d)
                }
                if incomingBody != nil, let action = feedIncomingBody(now: now) { return action }
                if pendingRejection == .deadlineExceeded, let t = target {
                    pendingRejection = nil
                    target?.keepAlive = false
                    return .reject(.deadlineExceeded, RefusedRequest(request: t.request, peer: remoteAddress), sequence: sequence)
                }
                return waitAction()
            case .reading:
                if let d = discardedStream {
                    discardedStream = nil
                    return .discardStream(d)
                }
                if let reason = pendingRejection {
                    pendingRejection = nil
                    return reject(reason, head: nil, method: refusedInfo.method, origin: refusedInfo.origin)
                }
                if draining && !assembler.isMidRequest && bufferedInput == 0 {
                    close()
                    return .close
                }
                guard bufferedInput > 0, output.count < limits.outputHighWaterBytes else {
                    if peerClosed && output.isEmpty && bufferedInput == 0 {
                        // Nothing more can arrive: an unfinished request never completes.
                        close()
                        return .close
                    }
                    return waitAction()
                }
                if let action = parseStep(now: now, planner: planner) { return action }
            }
        }
    }

    /// Feeds buffered input to the assembler once; returns an action, or nil to decide again.
    private mutating func parseStep<P: RoutePlanner>(now: Int64, planner: P) -> Action? {
        let start = inputStart
        let wasMidRequest = assembler.isMidRequest
        let address = remoteAddress
        // The request built to plan the route is the one dispatched: built once.
        var planned: Request?
        let step = input.withUnsafeBufferPointer { p in
            assembler.feed(p, start: start, end: p.count) { head in
                var request = Self.makeRequest(head, body: [], remoteAddress: address)
                let routePlan = planner.plan(request)
                request.routeHint = routePlan.routeHint
                planned = consume request
                return routePlan
            }
        }
        switch step {
        case .needMore(let consumed, let sendContinue):
            inputStart += consumed
            compactInput()
            if !wasMidRequest && assembler.isMidRequest, let (head, routePlan) = assembler.pendingHead, routePlan.streamsBody {
                // The handler starts now and reads the body while it arrives.
                bodyClock = BodyClock(lastProgress: now, windowStart: now, windowBytes: bufferedInput + assembler.bufferedBodyBytes)
                if sendContinue { output.append(ResponseSerializer.continueResponse) }
                let body = RequestBodyStream(capacity: limits.requestStreamBufferBytes)
                body.append(assembler.takeBody())
                incomingBody = body
                return dispatch(head, routePlan, body: [], stream: body, planned: planned, now: now)
            }
            if !wasMidRequest && assembler.isMidRequest {
                // A body begins: it must fit the memory all incomplete bodies may hold.
                if let budget, !budget.admits(assembler.expectedBodyBytes) {
                    assembler = RequestAssembler(limits: limits)
                    input = []
                    inputStart = 0
                    return reject(.bodyBudgetExhausted, head: nil)
                }
                bodyClock = BodyClock(lastProgress: now, windowStart: now, windowBytes: bufferedInput + assembler.bufferedBodyBytes)
            }
            chargeBody()
            if sendContinue { output.append(ResponseSerializer.continueResponse) }
            if peerClosed && output.isEmpty {
                // The rest of this request can never arrive.
                close()
                return .close
            }
            if bufferedInput > 0 && consumed == 0 { return waitAction() }
            return nil
        case .request(let head, let bodyBytes, let routePlan, let consumed):
            inputStart += consumed
            compactInput()
            releaseBody()
            if routePlan.streamsBody {
                // The whole body came with the head: the stream is complete from the start.
                let body = RequestBodyStream(capacity: max(bodyBytes.count, 1))
                body.append(bodyBytes)
                body.finish()
                return dispatch(head, routePlan, body: [], stream: body, planned: planned, now: now)
            }
            return dispatch(head, routePlan, body: bodyBytes, stream: nil, planned: planned, now: now)
        case .failed(let error, let head):
            let sniffed = sniffRequestLine()
            input = []
            inputStart = 0
            releaseBody()
            return reject(.malformed(error), head: head, method: sniffed.method, origin: sniffed.origin)
        }
    }

    private mutating func dispatch(_ head: ParsedHead, _ routePlan: RoutePlan, body: [UInt8], stream: RequestBodyStream?,
                                   planned: consuming Request?, now: Int64) -> Action {
        sequence += 1
        let timeout = routePlan.timeoutMs ?? limits.requestTimeoutMs
        phase = .handling(deadline: routePlan.runsInline || timeout <= 0 ? 0 : now + Int64(timeout))
        headClockMs = nil
        var request: Request
        if let built = consume planned {
            request = built
            if !body.isEmpty { request.body = body }
        } else {
            // The head arrived in an earlier read; its body only now.
            request = makeRequest(head, body: body)
            request.routeHint = routePlan.routeHint
        }
        request.bodyStream = stream
        target = ResponseTarget(method: head.method, version: head.version, keepAlive: head.keepAlive && !draining && !peerClosed,
                                request: routePlan.runsInline ? nil : request)
        return .dispatch(request, routePlan, sequence: sequence)
    }

    /// Moves arriving bytes of a streamed body to its handler, while the handler keeps up.
    /// Returns an action, or nil when there is nothing to feed now.
    private mutating func feedIncomingBody(now: Int64) -> Action? {
        guard let body = incomingBody else { return nil }
        if peerClosed && bufferedInput == 0 {
            body.fail(.incomplete)
            endIncomingBody()
            return nil
        }
        guard bufferedInput > 0, !incomingBodyPaused else { return nil }
        guard body.hasRoom() else {
            incomingBodyPaused = true
            return nil
        }
        let start = inputStart
        let step = input.withUnsafeBufferPointer { p in
            assembler.feed(p, start: start, end: p.count) { _ in RoutePlan(runsInline: false) }
        }
        switch step {
        case .needMore(let consumed, _):
            inputStart += consumed
            compactInput()
            body.append(assembler.takeBody())
            if consumed == 0 { return waitAction() }
        case .request(_, let rest, _, let consumed):
            inputStart += consumed
            compactInput()
            body.append(rest)
            body.finish()
            endIncomingBody()
        case .failed(let error, _):
            body.fail(Self.bodyError(error))
            input = []
            inputStart = 0
            endIncomingBody()
        }
        return nil
    }

    private static func bodyError(_ e: HTTPParseError) -> RequestBodyError {
        if case .payloadTooLarge(let limit) = e { return .tooLarge(limit: limit) }
        return .malformed(e)
    }

    /// The streamed body is over (complete or failed). A failed one leaves the connection
    /// unusable after the handler's answer.
    private mutating func endIncomingBody() {
        if incomingBody.map({ !$0.isComplete }) ?? false { target?.keepAlive = false }
        incomingBody = nil
        incomingBodyPaused = false
        bodyClock = nil
    }

    /// A streamed body's handler ran out of time waiting for it, or the client stopped.
    mutating func failIncomingBody(_ error: RequestBodyError) {
        guard let body = incomingBody else { return }
        body.fail(error)
        target?.keepAlive = false
        incomingBody = nil
        incomingBodyPaused = false
        bodyClock = nil
        input = []
        inputStart = 0
    }

    var isStreamingBodyPaused: Bool { incomingBodyPaused }
    var hasIncomingBody: Bool { incomingBody != nil }

    private mutating func reject(_ reason: ServerRejection, head: ParsedHead?, method: HTTPMethod? = nil, origin: String? = nil) -> Action {
        sequence += 1
        target = ResponseTarget(method: head?.method ?? method ?? .GET, version: head?.version ?? .http1_1, keepAlive: false, request: nil)
        phase = .handling(deadline: 0)
        headClockMs = nil
        bodyClock = nil
        refusedInfo = (nil, nil)
        let refused = RefusedRequest(request: head.map { makeRequest($0, body: []) }, peer: remoteAddress, method: method, origin: origin)
        return .reject(reason, refused, sequence: sequence)
    }

    /// `mutating` although it changes nothing: called on `self` in place, the (large) state
    /// is not copied for the call, as it was on every request otherwise.
    private mutating func waitAction() -> Action {
        var readable = false
        switch phase {
        case .reading:
            readable = !peerClosed && output.count < limits.outputHighWaterBytes
        case .handling, .streaming:
            // Pipelined input is read only up to a cap; the rest waits in the kernel.
            readable = !peerClosed && bufferedInput < limits.stalledInputBytes
        case .lingering:
            readable = true
        case .closing, .closed:
            readable = false
        }
        return .wait(readable: readable, writable: !output.isEmpty, deadline: deadline)
    }

    private func makeRequest(_ head: ParsedHead, body: [UInt8]) -> Request {
        Self.makeRequest(head, body: body, remoteAddress: remoteAddress)
    }

    private static func makeRequest(_ head: ParsedHead, body: [UInt8], remoteAddress: String) -> Request {
        Request(method: head.method, version: head.version, headers: head.headers, path: head.path, query: head.query,
                keepAlive: head.keepAlive, body: body, remoteAddress: remoteAddress)
    }

    /// The method and Origin named by the bytes of a head that failed to parse.
    func sniffRequestLine() -> (method: HTTPMethod?, origin: String?) {
        input.withUnsafeBufferPointer { p in RefusedHeadSniffer.sniff(UnsafeBufferPointer(rebasing: p[inputStart...])) }
    }

    /// Drops consumed input; gives memory back once a large buffer is empty.
    private mutating func compactInput() {
        if inputStart == input.count {
            if input.capacity > 64 * 1024 { input = [] } else { input.removeAll(keepingCapacity: true) }
            inputStart = 0
        } else if inputStart > 16 * 1024 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
    }

    private mutating func chargeBody() {
        let held = assembler.bufferedBodyBytes
        budget?.charge(held - charged)
        charged = held
    }

    private mutating func releaseBody() {
        budget?.charge(-charged)
        charged = 0
        bodyClock = nil
    }
}
