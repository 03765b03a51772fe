@testable import HTTPServer

/// Plays the event loop around one `HTTP1Connection` with a manual clock: feeds bytes, carries
/// out the actions, and records what would have reached the socket.
struct ConnectionHarness {
    var machine: HTTP1Connection
    var now: Int64 = 0
    var written: [UInt8] = []
    var dispatched: [(request: Request, sequence: UInt64)] = []
    var rejections: [ServerRejection] = []
    var closed = false
    var shutDown = false
    var lastWait: (readable: Bool, writable: Bool, deadline: Int64?)?
    /// Bytes the socket takes before answering EAGAIN (until `socketDrains`).
    var socketRoom = Int.max
    /// Answer every dispatched request at once with 200 "ok" (inline handlers).
    var answerAtOnce = true
    var plan = RoutePlan(runsInline: false)
    var startedStreams: [ResponseStream] = []
    var discardedStreams: [ResponseStream] = []

    init(limits: HTTPLimits = HTTPLimits(), budget: MemoryBudget? = nil) {
        machine = HTTP1Connection(remoteAddress: "192.0.2.1", limits: limits, budget: budget, now: 0)
    }

    static let ok = Response(status: .ok, contentType: "text/plain", body: Array("ok".utf8))

    mutating func feed(_ text: String) { feed(Array(text.utf8)) }

    mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { machine.received($0, now: now) }
        run()
    }

    /// Carries out actions until the machine waits or closes.
    mutating func run() {
        var steps = 0
        while !closed {
            steps += 1
            precondition(steps < 1_000_000, "the machine does not settle")
            switch machine.next(now: now, planner: FixedPlan(plan: plan)) {
            case .dispatch(let request, _, let sequence):
                dispatched.append((request, sequence))
                if answerAtOnce { machine.respond(Self.ok, sequence: sequence, now: now, date: []) }
            case .reject(let reason, _, let sequence):
                rejections.append(reason)
                machine.respond(Response(status: reason.status), sequence: sequence, now: now, date: [])
            case .write:
                let chunk = machine.output.chunks[0]
                let available = chunk.count - machine.output.offset
                let n = min(available, socketRoom)
                if n == 0 {
                    machine.writeBlocked()
                    continue
                }
                written.append(contentsOf: chunk[machine.output.offset..<(machine.output.offset + n)])
                if socketRoom != .max { socketRoom -= n }
                machine.wrote(n, now: now)
            case .startStream(let stream, _):
                startedStreams.append(stream)
            case .discardStream(let stream):
                discardedStreams.append(stream)
                stream.cancel()
            case .pullStream(let stream, let sequence):
                switch stream.take() {
                case .bytes(let b): machine.piece(b, sequence: sequence, now: now)
                case .empty: machine.streamDry()
                case .finished: machine.piece(nil, sequence: sequence, now: now)
                case .failed: machine.streamFailed(sequence: sequence)
                }
            case .shutdownWrite:
                shutDown = true
            case .close:
                closed = true
            case .wait(let r, let w, let d):
                lastWait = (r, w, d)
                return
            }
        }
    }

    /// The socket can take `bytes` more (the peer read some).
    mutating func socketDrains(_ bytes: Int = .max) {
        socketRoom = bytes
        machine.socketWritable()
        run()
    }

    /// A body channel woke the loop.
    mutating func channelReady() {
        machine.channelReady(now: now)
        run()
    }

    /// Moves the clock to `t` and lets deadlines fire.
    mutating func advance(to t: Int64) {
        now = t
        machine.expire(now: now)
        run()
    }

    var deadline: Int64? { lastWait?.deadline ?? nil }

    var writtenText: String { String(decoding: written, as: UTF8.self) }

    /// Occurrences of `s` in what was written.
    func count(_ s: String) -> Int {
        let needle = Array(s.utf8)
        guard written.count >= needle.count else { return 0 }
        var n = 0
        var i = 0
        while i <= written.count - needle.count {
            if written[i] == needle[0] && written[i..<(i + needle.count)].elementsEqual(needle) {
                n += 1
                i += needle.count
            } else {
                i += 1
            }
        }
        return n
    }
}

/// Plans every request the same way.
struct FixedPlan: RoutePlanner {
    let plan: RoutePlan
    func plan(_ request: Request) -> RoutePlan { plan }
}
