import Testing
import SystemSupport
@testable import HTTPServer

/// Bytes that cannot start a request line are refused as they arrive, without waiting for the
/// end of the line (or the header timeout).
@Suite struct EarlyRejectionTests {
    func verdict(_ bytes: [UInt8]) -> HeadParseResult {
        var parser = RequestHeadParser(limits: HTTPLimits())
        return bytes.withUnsafeBufferPointer { parser.parse($0, start: 0, end: $0.count) }
    }

    func isInvalid(_ text: String) -> Bool {
        if case .invalid(.badRequest) = verdict(Array(text.utf8)) { return true }
        return false
    }

    func isIncomplete(_ text: String) -> Bool {
        if case .incomplete = verdict(Array(text.utf8)) { return true }
        return false
    }

    @Test func prefixesOfValidRequestLinesWait() {
        for prefix in ["G", "GET", "GET ", "GET /a?b=c", "GET /a ", "GET /a HTTP/", "GET /a HTTP/1.", "GET /a HTTP/1.1", "PURGE * HTTP/1.0",
                       "OPTIONS * HTTP/1.1\r", "GET /a HTTP/1.1\r\nHost: x"] {
            #expect(isIncomplete(prefix), "\(prefix)")
        }
    }

    @Test func impossibleRequestLinesFailAtOnce() {
        for bad in ["\u{01}", "G{T", "GET  /", " GET", "GET /a\u{7F}", "GET /a HTTPS", "GET /a HTTP/x", "GET /a HTTP/1.1x",
                    "GET /a HTTP/1.12", String(repeating: "A", count: RequestLinePrefix.maxMethodLength + 1), "GET /a#frag"] {
            #expect(isInvalid(bad), "\(bad.debugDescription)")
        }
    }

    /// The first verdict that is not `.incomplete` when the bytes arrive one at a time.
    func verdictByteByByte(_ bytes: [UInt8]) -> HeadParseResult {
        var parser = RequestHeadParser(limits: HTTPLimits())
        return bytes.withUnsafeBufferPointer { p in
            for end in 1...p.count {
                let v = parser.parse(p, start: 0, end: end)
                if case .incomplete = v { continue }
                return v
            }
            return .incomplete
        }
    }

    func error(_ v: HeadParseResult) -> HTTPParseError? {
        if case .invalid(let e) = v { return e }
        return nil
    }

    @Test func completeRequestLinesAreJudgedAtTheirEndWithoutTheRestOfTheHead() {
        let cases: [(String, HTTPParseError)] = [
            ("BREW /pot HTTP/1.1\r\nHost: x", .notImplemented("method BREW")),
            ("GET / HTTP/2.0\r\nHost: x", .versionNotSupported),
            ("CONNECT example.com:443 HTTP/1.1\r\n", .notImplemented("method CONNECT")),
            (String(repeating: "A", count: RequestLinePrefix.maxMethodLength + 1) + " / HTTP/1.1\r\n", .badRequest("invalid method")),
            ("GET /a HTTP/1.1\nHost: x", .badRequest("bare LF")),
            ("G\u{01}T / HTTP/1.1\nHost: x", .badRequest("invalid method")),
            ("GET /a\rb HTTP/1.1\r\n", .badRequest("bare CR")),
        ]
        for (text, expected) in cases {
            let bytes = Array(text.utf8)
            #expect(error(verdict(bytes)) == expected, "\(text.debugDescription)")
            // Split anywhere, the verdict is the same.
            #expect(error(verdictByteByByte(bytes)) == expected, "\(text.debugDescription) byte by byte")
        }
    }

    @Test func randomBytesAreRefusedWithinTheFirstLine() {
        var rng = SplitMix64(seed: 42)
        var refused = 0
        for _ in 0..<200 {
            let bytes = (0..<512).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            switch verdict(bytes) {
            case .invalid: refused += 1
            case .incomplete, .complete: break
            }
        }
        #expect(refused == 200, "512 random bytes can never be a pending request head")
    }
}
