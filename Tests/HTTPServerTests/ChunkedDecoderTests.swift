import Testing
@testable import HTTPServer

@Suite struct ChunkedDecoderTests {
    func decode(_ text: String, maxBody: Int = 1 << 20) -> (ChunkedDecoder.Outcome, [UInt8]) {
        var decoder = ChunkedDecoder(maxBody: maxBody, limits: HTTPLimits())
        var body: [UInt8] = []
        let bytes = Array(text.utf8)
        let outcome = bytes.withUnsafeBufferPointer { decoder.decode($0, start: 0, end: $0.count, into: &body) }
        return (outcome, body)
    }

    @Test(arguments: [
        ("5\r\nhello\r\n0\r\n\r\n", "hello"),
        ("5;a=b;c\r\nhello\r\n0\r\n\r\n", "hello"),
        ("5 ;a=\"q\"\r\nhello\r\n0\r\n\r\n", "hello"),
        ("A\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
        ("a\r\n0123456789\r\n1\r\n!\r\n0\r\nX-Trailer: v\r\nY: w\r\n\r\n", "0123456789!"),
        ("0000\r\n\r\n", ""),
    ])
    func validBodies(input: String, expected: String) {
        let (outcome, body) = decode(input)
        #expect(outcome == .done(consumed: input.utf8.count))
        #expect(body == Array(expected.utf8))
    }

    @Test(arguments: [
        "\r\nhello\r\n0\r\n\r\n",         // missing size
        "g\r\n",                          // not hex
        "5\nhello\r\n0\r\n\r\n",           // bare LF
        "5\r\nhelloX\r\n0\r\n\r\n",        // data longer than size
        "5 \r\nhello\r\n0\r\n\r\n",        // whitespace not followed by an extension
        "-5\r\n",                         // sign
        "0x5\r\n",                        // prefix
        "5\r\nhello\r\n0\r\n folded: x\r\n\r\n", // obs-fold in trailer
        "5\r\nhello\r\n0\r\nNoColon\r\n\r\n",
        "5;a\u{1}b\r\nhello\r\n0\r\n\r\n", // control character in extension
        "00000000000000001\r\n",          // 17 hex digits, however small the value
    ])
    func invalidBodies(input: String) {
        let (outcome, _) = decode(input)
        guard case .failed(let e) = outcome else { Issue.record("accepted \(input.debugDescription): \(outcome)"); return }
        #expect(e.status.code == 400)
    }

    @Test func sizeLimitCheckedOnTheSizeLine() {
        let (outcome, body) = decode("ffffffff\r\n", maxBody: 1000)
        #expect(outcome == .failed(.payloadTooLarge(limit: 1000)))
        #expect(body.isEmpty)
    }

    @Test func overlongExtensionIsRejected() {
        let (outcome, _) = decode("5;" + String(repeating: "a", count: 5000) + "\r\n")
        #expect(outcome == .failed(.badRequest("chunk size line too long")))
    }
}
