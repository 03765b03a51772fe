import Testing
import SystemSupport
@testable import HTTPServer

/// Random and mutated inputs: the assembler must never crash and must always end in a request,
/// a clean "need more" or a framed error; and after an error it must never yield more requests.
@Suite struct FuzzTests {
    static let seeds = RequestParserTests.samples + [
        "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
        "GET http://h/p?q=%41 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ]
    static let interesting: [UInt8] = Array("\r\n :;,%0aA\t\u{0}\u{7f}-chunkedHTTP/1.1".utf8) + [0xFF, 0x80]

    @Test func mutatedRequestsNeverCrash() {
        var rng = SplitMix64(seed: 0xC0FFEE)
        var limits = HTTPLimits()
        limits.maxBodyBytes = 4096
        for i in 0..<20_000 {
            var bytes = Array(Self.seeds[i % Self.seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let pos = Int.random(in: 0..<max(1, bytes.count), using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0 where !bytes.isEmpty: bytes[pos] = Self.interesting.randomElement(using: &rng)!
                case 1: bytes.insert(Self.interesting.randomElement(using: &rng)!, at: min(pos, bytes.count))
                case 2 where !bytes.isEmpty: bytes.remove(at: pos)
                default: bytes.insert(contentsOf: bytes[pos..<min(bytes.count, pos + 8)], at: pos)
                }
            }
            check(bytes, limits: limits, rng: &rng)
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<5_000 {
            let n = Int.random(in: 0..<300, using: &rng)
            let bytes = (0..<n).map { _ in Bool.random(using: &rng) ? Self.interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng) }
            check(bytes, limits: HTTPLimits(), rng: &rng)
        }
    }

    private func check(_ bytes: [UInt8], limits: HTTPLimits, rng: inout SplitMix64) {
        // Split at random points, as the network would.
        var chunks: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            let n = Int.random(in: 1...max(1, bytes.count - i), using: &rng)
            chunks.append(Array(bytes[i..<(i + n)]))
            i += n
        }
        let split = assemble(chunks, limits: limits).events
        let whole = assemble([bytes], limits: limits).events
        // However the bytes arrive, the outcome is the same.
        #expect(split.filter { $0 != .sentContinue } == whole.filter { $0 != .sentContinue })
        if let failure = whole.firstIndex(where: { if case .failed = $0 { return true } else { return false } }) {
            #expect(failure == whole.count - 1, "events after a framing error")
        }
    }
}
