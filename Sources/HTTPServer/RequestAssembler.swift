/// Turns a connection's input bytes into complete requests: head, then body by its framing.
/// A value type with no I/O, so framing can be tested (and fuzzed) without sockets.
struct RequestAssembler {
    enum Step {
        /// Everything buffered was used; wait for more. `sendContinue` is true exactly once, when
        /// a head with `Expect: 100-continue` was accepted and its body has not fully arrived.
        case needMore(consumed: Int, sendContinue: Bool)
        /// A complete request. Bytes after `consumed` belong to the next (pipelined) request.
        case request(ParsedHead, body: [UInt8], plan: RoutePlan, consumed: Int)
        /// The input cannot be framed; answer with this error and close.
        case failed(HTTPParseError, head: ParsedHead?)
    }

    private enum State {
        case head
        case fixed(ParsedHead, RoutePlan, remaining: Int)
        case chunked(ParsedHead, RoutePlan, ChunkedDecoder)
    }

    private var parser: RequestHeadParser
    private var state = State.head {
        // Kept as a flag: asked several times per request, and testing the enum copies its
        // payload (a head with its arrays).
        didSet {
            if case .head = state { isMidRequest = false } else { isMidRequest = true }
        }
    }
    private var body: [UInt8] = []
    let limits: HTTPLimits

    init(limits: HTTPLimits) {
        self.limits = limits
        self.parser = RequestHeadParser(limits: limits)
    }

    /// True while a head has been accepted and its body is still arriving.
    private(set) var isMidRequest = false

    /// Body bytes held so far for the request being assembled.
    var bufferedBodyBytes: Int { body.count }

    /// The head and plan of the request whose body is arriving.
    var pendingHead: (head: ParsedHead, plan: RoutePlan)? {
        switch state {
        case .head: nil
        case .fixed(let head, let plan, _): (head, plan)
        case .chunked(let head, let plan, _): (head, plan)
        }
    }

    /// Hands over the body bytes decoded so far (a streamed body); later ones follow.
    mutating func takeBody() -> [UInt8] {
        defer { body = [] }
        return body
    }

    /// What the body being assembled will hold at least: its Content-Length, or what arrived
    /// so far of a chunked one.
    var expectedBodyBytes: Int {
        switch state {
        case .head: 0
        case .fixed(_, _, let remaining): body.count + remaining
        case .chunked: body.count
        }
    }

    /// Consumes from p[start..<end]. `plan` is asked once per head for its route's execution plan.
    mutating func feed(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int, plan: (ParsedHead) -> RoutePlan) -> Step {
        var pos = start
        var sendContinue = false
        if case .head = state {
            switch parser.parse(p, start: pos, end: end) {
            case .incomplete:
                return .needMore(consumed: 0, sendContinue: false)
            case .invalid(let e):
                return .failed(e, head: nil)
            case .complete(let head, let consumed):
                pos += consumed
                let routePlan = plan(head)
                let maxBody = routePlan.maxBodyBytes ?? limits.maxBodyBytes
                switch head.framing {
                case .none:
                    return .request(head, body: [], plan: routePlan, consumed: pos - start)
                case .length(let n):
                    if n > maxBody { return .failed(.payloadTooLarge(limit: maxBody), head: head) }
                    // The buffer grows with what arrives: a declared length costs nothing until
                    // the bytes are really here.
                    body = []
                    state = .fixed(head, routePlan, remaining: n)
                case .chunked:
                    body = []
                    state = .chunked(head, routePlan, ChunkedDecoder(maxBody: maxBody, limits: limits))
                }
                sendContinue = head.expectContinue
            }
        }
        switch state {
        case .head:
            preconditionFailure("unreachable: head state handled above")
        case .fixed(let head, let routePlan, let remaining):
            let n = min(remaining, end - pos)
            body.append(contentsOf: UnsafeBufferPointer(rebasing: p[pos..<(pos + n)]))
            pos += n
            if remaining - n == 0 {
                state = .head
                let complete = body
                body = []
                return .request(head, body: complete, plan: routePlan, consumed: pos - start)
            }
            state = .fixed(head, routePlan, remaining: remaining - n)
            return .needMore(consumed: pos - start, sendContinue: sendContinue)
        case .chunked(let head, let routePlan, var decoder):
            let outcome = decoder.decode(p, start: pos, end: end, into: &body)
            switch outcome {
            case .failed(let e):
                state = .head
                return .failed(e, head: head)
            case .needMore(let consumed):
                state = .chunked(head, routePlan, decoder)
                return .needMore(consumed: pos + consumed - start, sendContinue: sendContinue)
            case .done(let consumed):
                state = .head
                let complete = body
                body = []
                return .request(head, body: complete, plan: routePlan, consumed: pos + consumed - start)
            }
        }
    }
}

/// What the application decides about a request once its head is known.
public struct RoutePlan: Sendable, Equatable {
    /// Run the handler on the event-loop thread. Only for handlers that never block; such a
    /// route accepts no body (decoding one would stall every connection of the loop).
    public var runsInline: Bool
    /// Body limit for this route; nil means the server default.
    public var maxBodyBytes: Int?
    /// Whole-request deadline in ms once the request is complete (504 past it); nil means the
    /// server default, 0 none (event streams).
    public var timeoutMs: Int?
    /// The handler starts as soon as the head is here and reads the body in pieces from
    /// `Request.bodyStream`, instead of receiving it whole.
    public var streamsBody: Bool
    /// Opaque to the server: handed back on the request (`Request.routeHint`) so the
    /// application need not route it twice.
    public var routeHint: Int

    public init(runsInline: Bool, maxBodyBytes: Int? = nil, timeoutMs: Int? = nil, streamsBody: Bool = false, routeHint: Int = -1) {
        self.runsInline = runsInline
        self.maxBodyBytes = runsInline ? 0 : maxBodyBytes
        self.timeoutMs = timeoutMs
        self.streamsBody = streamsBody && !runsInline
        self.routeHint = routeHint
    }
}
