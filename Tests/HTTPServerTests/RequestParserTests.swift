import Testing
@testable import HTTPServer

@Suite struct RequestParserTests {
    // MARK: Valid forms

    @Test func simpleGet() throws {
        let head = try #require(try parseHead("GET /health HTTP/1.1\r\nHost: example.com\r\n\r\n")?.get())
        #expect(head.method == .GET)
        #expect(head.version == .http1_1)
        #expect(head.keepAlive)
        #expect(head.framing == .none)
        #expect(head.headers["host"] == "example.com")
    }

    @Test(arguments: [
        ("GET /a/b?x=1&y=two HTTP/1.1\r\nHost: h\r\n\r\n", "/a/b", "x=1&y=two"),
        ("GET http://example.com:8080/p/q?z=9 HTTP/1.1\r\nHost: other\r\n\r\n", "/p/q", "z=9"),
        ("GET https://example.com HTTP/1.1\r\nHost: h\r\n\r\n", "", ""),
        ("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", "*", ""),
        ("GET /caf%C3%A9/x%20y HTTP/1.1\r\nHost: h\r\n\r\n", "/caf%C3%A9/x%20y", ""),
    ])
    func targetForms(request: String, path: String, query: String) throws {
        let head = try #require(try parseHead(request)?.get())
        let storage = head.headers.storage
        #expect(String(decoding: storage[head.path], as: UTF8.self) == path)
        #expect(String(decoding: storage[head.query], as: UTF8.self) == query)
    }

    @Test func percentDecodingOfPathAndQuery() throws {
        let events = assemble("GET /caf%C3%A9/x%20y?q=a%2Bb+c&flag HTTP/1.1\r\nHost: h\r\n\r\n")
        guard case .request(_, let path, _, _) = events.first else { Issue.record("no request"); return }
        #expect(path == "/café/x y")
        let req = Request(method: .GET, target: "/s?q=a%2Bb+c&flag&e=")
        #expect(req.query("q") == "a+b c")
        #expect(req.query("flag") == "")
        #expect(req.queryItems.count == 3)
    }

    @Test func http10ClosesUnlessKeepAlive() throws {
        let plain = try #require(try parseHead("GET / HTTP/1.0\r\n\r\n")?.get())
        #expect(plain.version == .http1_0)
        #expect(!plain.keepAlive)
        let ka = try #require(try parseHead("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")?.get())
        #expect(ka.keepAlive)
        let close = try #require(try parseHead("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n")?.get())
        #expect(!close.keepAlive)
    }

    @Test func higherMinorVersionTreatedAsHTTP11() throws {
        let head = try #require(try parseHead("GET / HTTP/1.7\r\nHost: h\r\n\r\n")?.get())
        #expect(head.version == .http1_1)
    }

    @Test func strayEmptyLinesBeforeRequestLineAreSkipped() {
        let events = assemble("\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(events == [.request(method: .GET, path: "/x", body: [], keepAlive: true)])
    }

    @Test func headerValuesAreTrimmedAndObsTextAllowed() throws {
        let head = try #require(try parseHead("GET / HTTP/1.1\r\nHost: h\r\nX-A: \t spaced value \t\r\nX-B: caf\u{e9}\r\n\r\n")?.get())
        #expect(head.headers["x-a"] == "spaced value")
        #expect(head.headers["X-B"] == "café")
        #expect(head.headers.values("x-a").count == 1)
    }

    @Test func identicalRepeatedContentLengthsAreAccepted() throws {
        let head = try #require(try parseHead("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\n")?.get())
        #expect(head.framing == .length(3))
    }

    @Test func expectContinue() throws {
        let head = try #require(try parseHead("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n")?.get())
        #expect(head.expectContinue)
        let (events, _) = assemble([Array("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n".utf8),
                                    Array("abc".utf8)])
        #expect(events == [.sentContinue, .request(method: .POST, path: "/u", body: Array("abc".utf8), keepAlive: true)])
    }

    // MARK: Rejections, each with its own status

    @Test(arguments: [
        // line endings
        ("GET / HTTP/1.1\nHost: h\n\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400),
        // request line shape
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400),
        ("GET /\u{7f} HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /%4 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET nothing HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/11\r\nHost: h\r\n\r\n", 400),
        ("GET / http/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/1.1x\r\nHost: h\r\n\r\n", 400),
        // versions and methods
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505),
        ("BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501),
        ("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 501),
        // Host
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        // field syntax
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A : b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A\t: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{0}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{1}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\n: novalue\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX(A): b\r\n\r\n", 400),
        // expectations
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\n", 417),
    ])
    func rejections(request: String, status: Int) {
        let result = parseHead(request)
        guard case .failure(let e)? = result else {
            Issue.record("accepted: \(request.debugDescription)")
            return
        }
        #expect(e.status.code == status, "\(request.debugDescription): \(e)")
    }

    // MARK: Request smuggling (RFC 9112 sections 6.1 and 6.3)

    @Test(arguments: [
        // CL.TE and TE.CL: both present
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST",
        // TE.TE: obfuscated or doubled codings
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\u{0b}chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\n Transfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        // Content-Length forms
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5.0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
    ])
    func smugglingAttemptsAreRejected(request: String) {
        let events = assemble(request)
        guard case .failed(let e)? = events.first else {
            Issue.record("not rejected: \(request.debugDescription) -> \(events)")
            return
        }
        #expect([400, 501].contains(e.status.code), "\(request.debugDescription): \(e)")
        #expect(events.count == 1, "nothing may be parsed after a framing error")
    }

    @Test func unknownTransferCodingBeforeChunkedIs501() {
        #expect(assemble("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == [.failed(.notImplemented("transfer coding gzip"))])
    }

    // MARK: Limits

    @Test func limitsYieldTheirOwnStatus() {
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 64
        limits.maxHeaderBytes = 128
        limits.maxHeaderCount = 3
        let longTarget = "GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(parseHead(longTarget, limits: limits).map { (try? $0.get()) == nil } == true)
        if case .failure(let e)? = parseHead(longTarget, limits: limits) { #expect(e == .uriTooLong) }
        // Incomplete but already too long: answered at once, not after a timeout.
        #expect(assemble([Array(("GET /" + String(repeating: "a", count: 100)).utf8)], limits: limits).events == [.failed(.uriTooLong)])
        let manyFields = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        if case .failure(let e)? = parseHead(manyFields, limits: limits) { #expect(e.status.code == 431) } else { Issue.record("accepted") }
        let bigField = "GET / HTTP/1.1\r\nHost: h\r\nA: " + String(repeating: "x", count: 200)
        let events = assemble([Array(bigField.utf8)], limits: limits).events
        #expect(events.count == 1)
        if case .failed(let e)? = events.first { #expect(e.status.code == 431) }
    }

    @Test func bodyLimitCheckedBeforeReadingBody() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 10
        #expect(assemble("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits: limits) == [.failed(.payloadTooLarge(limit: 10))])
        // A route may raise the limit.
        let (events, _) = assemble([Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world".utf8)],
                                   limits: limits, plan: RoutePlan(runsInline: false, maxBodyBytes: 20))
        #expect(events == [.request(method: .POST, path: "/", body: Array("hello world".utf8), keepAlive: true)])
        // Chunked bodies are checked per chunk size, before the data arrives.
        #expect(assemble("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n", limits: limits)
            == [.failed(.payloadTooLarge(limit: 10))])
    }

    @Test func tooManyEmptyLinesBeforeRequestIsRejected() {
        let events = assemble(String(repeating: "\r\n", count: 20) + "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(events.count == 1)
        if case .failed(let e)? = events.first { #expect(e.status.code == 400) }
    }

    // MARK: Incremental input

    static let samples = [
        "GET /health HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
        "POST /p?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world",
        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nTrailer-A: 1\r\n\r\n",
        "\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    ]

    @Test(arguments: samples)
    func everyTruncationIsIncompleteNotAnError(sample: String) {
        let bytes = Array(sample.utf8)
        for cut in 0..<bytes.count {
            let (events, _) = assemble([Array(bytes[0..<cut])])
            #expect(events.allSatisfy { $0 == .sentContinue }, "cut at \(cut) produced \(events)")
        }
    }

    @Test(arguments: samples)
    func byteAtATimeEqualsAllAtOnce(sample: String) {
        let bytes = Array(sample.utf8)
        let whole = assemble([bytes]).events
        let trickled = assemble(bytes.map { [$0] }).events
        #expect(whole.count == 1)
        #expect(whole == trickled)
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let one = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
        let two = "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok"
        let three = "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
        let (events, leftover) = assemble([Array((one + two + three + "GET /4").utf8)])
        #expect(events == [
            .request(method: .GET, path: "/1", body: [], keepAlive: true),
            .request(method: .POST, path: "/2", body: Array("ok".utf8), keepAlive: true),
            .request(method: .POST, path: "/3", body: Array("x".utf8), keepAlive: true),
        ])
        #expect(leftover == 6)
    }
}
