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

/// Streamed request and response bodies in the state machine.
@Suite struct HTTP1StreamingTests {
    func upload(_ length: Int) -> String { "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: \(length)\r\n\r\n" }

    @Test func streamedBodyIsHandedToTheHandlerWhileItArrives() throws {
        var limits = HTTPLimits()
        limits.requestStreamBufferBytes = 100
        var h = ConnectionHarness(limits: limits)
        h.answerAtOnce = false
        h.plan = RoutePlan(runsInline: false, streamsBody: true)
        h.feed(upload(250) + String(repeating: "a", count: 60))
        #expect(h.dispatched.count == 1, "dispatched on the head, before the body")
        let body = try #require(h.dispatched[0].request.bodyStream)
        #expect(try body.read() == [UInt8](repeating: 0x61, count: 60))
        h.feed(String(repeating: "b", count: 150))
        #expect(h.machine.isStreamingBodyPaused == false)
        h.feed(String(repeating: "c", count: 40)) // the buffer (100) is full: the rest waits
        #expect(h.machine.isStreamingBodyPaused)
        #expect(try body.read()?.count == 150)
        h.channelReady() // the handler made room
        #expect(try body.read() == [UInt8](repeating: 0x63, count: 40))
        #expect(try body.read() == nil, "the end of the body")
        h.machine.respond(ConnectionHarness.ok, sequence: h.dispatched[0].sequence, now: 0, date: [])
        h.run()
        #expect(h.count("HTTP/1.1 200") == 1 && !h.writtenText.contains("Connection: close"), "fully read: keep-alive")
    }

    @Test func answerBeforeTheWholeBodyClosesTheConnection() throws {
        var h = ConnectionHarness()
        h.answerAtOnce = false
        h.plan = RoutePlan(runsInline: false, streamsBody: true)
        h.feed(upload(1000) + "abc")
        h.machine.respond(ConnectionHarness.ok, sequence: h.dispatched[0].sequence, now: 0, date: [])
        h.run()
        #expect(h.writtenText.contains("Connection: close") && h.shutDown)
        #expect(throws: RequestBodyError.incomplete) { _ = try h.dispatched[0].request.bodyStream?.readAll(limit: 1 << 20) }
    }

    @Test func stalledStreamedBodyFailsTheHandlersRead() throws {
        var limits = HTTPLimits()
        limits.minBodyBytesPerSecond = 0
        var h = ConnectionHarness(limits: limits)
        h.answerAtOnce = false
        h.plan = RoutePlan(runsInline: false, timeoutMs: 0, streamsBody: true)
        h.feed(upload(1000) + "abc")
        let body = try #require(h.dispatched[0].request.bodyStream)
        _ = try body.read()
        #expect(h.deadline == 30_000)
        h.advance(to: 30_000)
        #expect(throws: RequestBodyError.malformed(.requestTimeout)) { _ = try body.read() }
    }

    @Test func clientClosingMidBodyFailsTheRead() throws {
        var h = ConnectionHarness()
        h.answerAtOnce = false
        h.plan = RoutePlan(runsInline: false, streamsBody: true)
        h.feed(upload(1000) + "abc")
        let body = try #require(h.dispatched[0].request.bodyStream)
        _ = try body.read()
        h.machine.peerClosedInput()
        h.run()
        #expect(throws: RequestBodyError.incomplete) { _ = try body.read() }
    }

    @Test func oversizedChunkedStreamedBodyFailsWithTooLarge() throws {
        var h = ConnectionHarness()
        h.answerAtOnce = false
        h.plan = RoutePlan(runsInline: false, maxBodyBytes: 10, streamsBody: true)
        h.feed("POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n")
        let body = try #require(h.dispatched[0].request.bodyStream)
        #expect(try body.read() == Array("abcde".utf8))
        h.feed("10\r\n")
        #expect(throws: RequestBodyError.tooLarge(limit: 10)) { _ = try body.read() }
    }

    @Test func responseStreamIsPulledAsTheSocketDrains() throws {
        var h = ConnectionHarness()
        h.answerAtOnce = false
        h.feed("GET /s HTTP/1.1\r\nHost: h\r\n\r\n")
        let stream = ResponseStream(capacity: 1 << 20)
        h.machine.respond(Response(status: .ok, contentType: "text/plain", stream: stream), sequence: h.dispatched[0].sequence,
                          now: 0, date: [])
        h.run()
        #expect(h.startedStreams.count == 1 && h.writtenText.contains("Transfer-Encoding: chunked"))
        #expect(stream.offer(Array("hello".utf8)))
        h.channelReady()
        #expect(h.writtenText.hasSuffix("5\r\nhello\r\n"))
        stream.finish()
        h.channelReady()
        #expect(h.writtenText.hasSuffix("0\r\n\r\n"))
        h.feed("GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(h.dispatched.count == 2, "the connection is reusable after the last chunk")
    }

    @Test func headNeverStartsTheProducerAndDisconnectCancelsIt() throws {
        var head = ConnectionHarness()
        head.answerAtOnce = false
        head.feed("HEAD /s HTTP/1.1\r\nHost: h\r\n\r\n")
        let unused = ResponseStream { _ in Issue.record("the producer must not run for HEAD") }
        head.machine.respond(Response(status: .ok, contentType: "text/plain", stream: unused), sequence: head.dispatched[0].sequence,
                             now: 0, date: [])
        head.run()
        #expect(head.startedStreams.isEmpty && head.discardedStreams.count == 1)
        #expect(throws: ResponseStream.Cancelled.self) { try unused.write([1]) }

        var gone = ConnectionHarness()
        gone.answerAtOnce = false
        gone.feed("GET /s HTTP/1.1\r\nHost: h\r\n\r\n")
        let stream = ResponseStream(capacity: 1 << 20)
        gone.machine.respond(Response(status: .ok, contentType: "text/plain", stream: stream), sequence: gone.dispatched[0].sequence,
                             now: 0, date: [])
        gone.run()
        gone.machine.peerClosedInput()
        gone.run()
        #expect(gone.closed)
        #expect(gone.machine.openStreams.response === stream, "the loop cancels it as it closes")
    }
}
