import Testing
@testable import HTTPServer

/// The connection state machine with a manual clock: every timeout path, pipelining under
/// back-pressure, deadlines and budgets, without sockets or sleeping.
@Suite struct HTTP1ConnectionTests {
    let get = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n"

    // MARK: - Timeouts

    @Test func partialHeadGets408AtTheHeaderTimeout() {
        var h = ConnectionHarness()
        h.feed("GET /x HTTP/1.1\r\nHo")
        #expect(h.deadline == 10_000)
        h.advance(to: 9_999)
        #expect(h.written.isEmpty && !h.closed)
        h.advance(to: 10_000)
        #expect(h.rejections == [.malformed(.requestTimeout)])
        #expect(h.writtenText.hasPrefix("HTTP/1.1 408") && h.writtenText.contains("Connection: close"))
        #expect(h.shutDown, "a refused connection half-closes and lingers")
    }

    @Test func newConnectionThatSendsNothingIsClosedSilently() {
        var h = ConnectionHarness()
        h.run()
        #expect(h.deadline == 10_000, "the header timeout, not the longer keep-alive one")
        h.advance(to: 10_000)
        #expect(h.closed && h.written.isEmpty)
    }

    @Test func idleKeepAliveConnectionClosesAfterTheKeepAliveTimeout() {
        var h = ConnectionHarness()
        h.now = 500
        h.feed(get)
        #expect(h.count("HTTP/1.1 200") == 1)
        let expected: Int64 = 500 + 60_000
        #expect(h.deadline == expected, "\(String(describing: h.lastWait))")
        h.advance(to: 60_499)
        #expect(!h.closed)
        h.advance(to: 60_500)
        #expect(h.closed && h.count("HTTP/1.1") == 1, "closed without another word")
    }

    @Test func stalledBodyGets408AfterTheBodyTimeout() {
        var limits = HTTPLimits()
        limits.minBodyBytesPerSecond = 0 // the idle timeout alone
        var h = ConnectionHarness(limits: limits)
        h.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n12345")
        h.now = 20_000
        h.feed("6")
        h.advance(to: 20_000 + 29_999)
        #expect(h.rejections.isEmpty)
        h.advance(to: 50_000)
        #expect(h.rejections == [.malformed(.requestTimeout)])
    }

    @Test func bodyThatTricklesBelowTheMinimumRateGets408() {
        var limits = HTTPLimits()
        limits.minBodyBytesPerSecond = 1000
        limits.bodyRateWindowMs = 10_000
        var h = ConnectionHarness(limits: limits)
        h.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n" + String(repeating: "a", count: 50_000))
        #expect(h.deadline == 10_000, "the rate window ends first")
        h.advance(to: 10_000)
        #expect(h.rejections.isEmpty, "50 kB in the first window is fast enough")
        for t in stride(from: Int64(12_000), through: 18_000, by: 2_000) {
            h.now = t
            h.feed("b") // one byte every 2 s: well within the idle timeout, far below the rate
        }
        h.advance(to: 20_000)
        #expect(h.rejections == [.malformed(.requestTimeout)])
    }

    @Test func readerThatNeverReadsIsCutOffAtTheWriteTimeout() {
        var h = ConnectionHarness()
        h.socketRoom = 0
        h.feed(get)
        #expect(h.lastWait?.writable == true && h.deadline == 30_000)
        h.advance(to: 29_999)
        #expect(!h.closed)
        h.advance(to: 30_000)
        #expect(h.closed)
    }

    @Test func lingerEndsAtItsDeadlineOrWhenThePeerCloses() {
        var h = ConnectionHarness()
        h.feed("GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        #expect(h.shutDown && h.deadline == 2_000 && h.lastWait?.readable == true)
        h.feed("ignored bytes")
        #expect(!h.closed, "input while lingering is drained")
        h.advance(to: 2_000)
        #expect(h.closed)

        var early = ConnectionHarness()
        early.feed("GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        early.machine.peerClosedInput()
        early.run()
        #expect(early.closed)
    }

    @Test func handlerPastItsDeadlineGets504AndItsLateAnswerIsDropped() {
        var h = ConnectionHarness()
        h.answerAtOnce = false
        h.plan = RoutePlan(runsInline: false, timeoutMs: 500)
        h.now = 100
        h.feed(get)
        let sequence = h.dispatched[0].sequence
        #expect(h.deadline == 600)
        h.advance(to: 600)
        #expect(h.rejections == [.deadlineExceeded])
        #expect(h.writtenText.hasPrefix("HTTP/1.1 504") && h.writtenText.contains("Connection: close"))
        let before = h.written.count
        h.machine.respond(ConnectionHarness.ok, sequence: sequence, now: 700, date: [])
        h.run()
        #expect(h.written.count == before, "the handler's late answer never reaches the wire")
    }

    @Test func routeWithoutDeadlineWaitsForever() {
        var h = ConnectionHarness()
        h.answerAtOnce = false
        h.plan = RoutePlan(runsInline: false, timeoutMs: 0)
        h.feed(get)
        #expect(h.deadline == nil)
    }

    // MARK: - Pipelining

    @Test func pipelinedHeadArrivingDuringASlowHandlerIsNotTimedOut() {
        var h = ConnectionHarness()
        h.answerAtOnce = false
        h.feed(get + "GET /y HTTP/1.1\r\nHo") // the second head is incomplete
        #expect(h.dispatched.count == 1)
        h.advance(to: 15_000) // longer than the header timeout; the first handler still runs
        #expect(h.rejections.isEmpty)
        h.machine.respond(ConnectionHarness.ok, sequence: h.dispatched[0].sequence, now: 15_000, date: [])
        h.run()
        #expect(h.deadline == 25_000, "the second head's clock starts when the server waits for it")
        h.feed("st: h\r\n\r\n")
        #expect(h.dispatched.count == 2 && h.rejections.isEmpty)
    }

    @Test func everyPipelinedRequestIsAnsweredWhenTheClientReadsAtOnce() {
        var h = ConnectionHarness()
        h.feed(String(repeating: get, count: 2_000))
        #expect(h.count("HTTP/1.1 200") == 2_000)
    }

    @Test func everyPipelinedRequestIsAnsweredUnderBackPressure() {
        var limits = HTTPLimits()
        limits.outputHighWaterBytes = 4 * 1024
        var h = ConnectionHarness(limits: limits)
        h.socketRoom = 0 // the client reads nothing at first
        h.feed(String(repeating: get, count: 2_000))
        #expect(h.dispatched.count < 2_000, "parsing paused while output is over the high-water mark")
        #expect(h.lastWait?.readable == false, "and reading too: the rest waits in the kernel")
        var rounds = 0
        while h.count("HTTP/1.1 200") < 2_000 && rounds < 10_000 {
            h.socketDrains(4 * 1024) // the client reads 4 KiB at a time
            rounds += 1
        }
        #expect(h.count("HTTP/1.1 200") == 2_000)
        #expect(h.machine.bufferedInput == 0)
    }

    @Test func inlineRoutesTakeNoBody() {
        var h = ConnectionHarness()
        h.plan = RoutePlan(runsInline: true, maxBodyBytes: 1 << 20)
        h.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
        #expect(h.rejections == [.malformed(.payloadTooLarge(limit: 0))])
    }

    // MARK: - Body memory budget

    @Test func newBodiesPastTheBudgetGet503AndChargesAreReleased() {
        let budget = MemoryBudget(limit: 100)
        var a = ConnectionHarness(budget: budget)
        a.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 80\r\n\r\n" + String(repeating: "a", count: 30))
        #expect(budget.inUse == 30, "charged as bytes arrive, not as declared")
        var b = ConnectionHarness(budget: budget)
        b.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 80\r\n\r\nxx")
        #expect(b.rejections == [.bodyBudgetExhausted])
        a.feed(String(repeating: "a", count: 50))
        #expect(a.dispatched.count == 1 && a.dispatched[0].request.body.count == 80)
        #expect(budget.inUse == 0, "released once the body is handed on")
        var c = ConnectionHarness(budget: budget)
        c.feed("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 80\r\n\r\nxx")
        #expect(c.rejections.isEmpty && budget.inUse == 2)
        c.machine.close()
        #expect(budget.inUse == 0, "a closed connection gives its charge back")
    }

    // MARK: - Draining

    @Test func drainingClosesIdleConnectionsAndAnswersTheRequestInProgressWithClose() {
        var idle = ConnectionHarness()
        idle.feed(get)
        idle.machine.beginDraining()
        idle.run()
        #expect(idle.closed)

        var busy = ConnectionHarness()
        busy.answerAtOnce = false
        busy.feed(get)
        busy.machine.beginDraining()
        busy.machine.respond(ConnectionHarness.ok, sequence: busy.dispatched[0].sequence, now: 0, date: [])
        busy.run()
        #expect(busy.writtenText.contains("Connection: close") && busy.shutDown)
    }
}
