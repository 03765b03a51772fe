import Foundation
import Testing
@testable import Markets

/// The TwelveData provider against a local fixture server that speaks TwelveData's JSON over
/// TLS with a throwaway certificate made here.
@Suite(.serialized) struct TwelveDataTests {
    final class Fixture: @unchecked Sendable {
        let process = Process()
        let port: Int
        let directory: String
        let caFile: String

        /// `names`: the subjectAltName of the server's certificate.
        init(names: String = "DNS:localhost,IP:127.0.0.1") throws {
            directory = NSTemporaryDirectory() + "twelvedata-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            caFile = directory + "/cert.pem"
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem", "-out", caFile,
                                 "-days", "1", "-subj", "/CN=fixture", "-addext", "subjectAltName=\(names)"]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else { throw ProviderError("openssl could not make a certificate") }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", root + "/scripts/fixtures/twelvedata.py", caFile, directory + "/key.pem"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            guard let p = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw ProviderError("fixture did not start: \(line)") }
            port = p
        }

        deinit {
            Self.stop(process)
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// SIGTERM, then SIGKILL if the server has not ended within two seconds.
        static func stop(_ process: Process) {
            guard process.isRunning else { return }
            process.terminate()
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        func provider(key: String, host: String = "localhost", timeoutMs: Int = 2_000, retries: Int = 2, credits: Int = 100) throws -> TwelveDataProvider {
            var s = TwelveDataSettings()
            s.baseURL = "https://\(host):\(port)"
            s.apiKey = key
            s.caFile = caFile
            s.timeoutMs = timeoutMs
            s.maxRetries = retries
            s.creditsPerMinute = credits
            let p = try TwelveDataProvider(settings: s, symbols: ["AAPL", "MSFT"], benchmark: "^GSPC", metrics: nil)
            p.retryBaseMs = 10
            return p
        }
    }

    static let end = Day(year: 2024, month: 6, day: 28)

    /// A fixture server ends on SIGTERM even when the thread that started it had SIGTERM
    /// blocked (the mask passes to the child): none is left running after the tests.
    @Test func theFixtureServerEndsWhenStopped() throws {
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        let fixture: Fixture
        do { defer { pthread_sigmask(SIG_SETMASK, &old, nil) }; fixture = try Fixture() }
        let process = fixture.process
        process.terminate()
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!process.isRunning, "the fixture server ignored SIGTERM")
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM)
    }

    @Test func successForSeveralSymbolsAndFXPairs() throws {
        let f = try Fixture()
        let p = try f.provider(key: "ok")
        let bars = try p.prices([("AAPL", Day(year: 2024, month: 6, day: 24)), ("MSFT", Day(year: 2024, month: 6, day: 24)), ("^GSPC", nil)],
                                through: Self.end)
        #expect(bars["AAPL"]?.count == 5 && bars["MSFT"]?.count == 5 && bars["^GSPC"]?.isEmpty == false)
        #expect(bars["AAPL"]?.first?.day == Day(year: 2024, month: 6, day: 24), "oldest first")
        #expect(bars["AAPL"]!.allSatisfy { $0.low! <= $0.close && $0.close <= $0.high! && $0.volume! > 0 })
        let fx = try p.fxRates(["EUR", "JPY"], from: Day(year: 2024, month: 6, day: 24), through: Self.end)
        #expect(Set(fx.map(\.currency)) == ["EUR", "JPY"] && fx.count == 10)
        // One call per start date group (AAPL and MSFT share one), one for the pairs.
        #expect(p.calls == 3)
    }

    @Test func anErrorPayloadFailsWithItsMessageAndIsNotRetried() throws {
        let f = try Fixture()
        let p = try f.provider(key: "error")
        #expect(throws: ProviderError.self) { try p.prices([("AAPL", nil)], through: Self.end) }
        do {
            _ = try p.prices([("AAPL", nil)], through: Self.end)
        } catch let e as ProviderError {
            #expect(e.description.contains("symbol** not found") && e.description.hasPrefix(ProviderError.prefix))
        }
        #expect(p.calls == 2)
    }

    @Test func rateLimitedThenSucceeds() throws {
        let f = try Fixture()
        for key in ["ratelimit", "credits"] {
            let p = try f.provider(key: key)
            final class Waits: @unchecked Sendable {
                let lock = NSLock()
                var values: [Int64] = []
            }
            let recorded = Waits()
            p.sleep = { ms in recorded.lock.lock(); recorded.values.append(ms); recorded.lock.unlock() }
            let bars = try p.prices([("AAPL", Day(year: 2024, month: 6, day: 24))], through: Self.end)
            #expect(bars["AAPL"]?.count == 5, "\(key)")
            #expect(p.calls == 2, "\(key): one refused call, one retry")
            #expect(recorded.values.contains { $0 >= 10 }, "\(key): backed off before retrying")
        }
    }

    @Test func aSlowResponseTimesOutAndMalformedBodiesAndServerErrorsFailAfterRetries() throws {
        let f = try Fixture()
        for key in ["slow", "malformed", "servererror"] {
            let p = try f.provider(key: key, timeoutMs: 800, retries: 1)
            let start = Date()
            #expect(throws: ProviderError.self, "\(key)") { try p.prices([("AAPL", nil)], through: Self.end) }
            #expect(p.calls == 2, "\(key): retried once")
            #expect(Date().timeIntervalSince(start) < 5, "\(key): the timeout bounds the wait")
        }
    }

    @Test func aCertificateForAnotherHostIsRefused() throws {
        let f = try Fixture(names: "DNS:wrong.example")
        let p = try f.provider(key: "ok")
        do {
            _ = try p.prices([("AAPL", nil)], through: Self.end)
            Issue.record("a certificate for wrong.example was accepted for localhost")
        } catch let e as ProviderError {
            #expect(e.description.contains("TLS"), "\(e)")
        }
        // Not retried: a bad certificate does not get better.
        #expect(p.calls == 1)
        // An untrusted CA is refused too (the system store does not know the throwaway certificate).
        var s = TwelveDataSettings()
        s.baseURL = "https://localhost:\(f.port)"
        s.apiKey = "ok"
        let untrusted = try TwelveDataProvider(settings: s, symbols: ["AAPL"], benchmark: "^GSPC", metrics: nil)
        #expect(throws: ProviderError.self) { try untrusted.prices([("AAPL", nil)], through: Self.end) }
    }

    @Test func theCircuitBreakerFailsFastAfterRepeatedFailures() throws {
        let f = try Fixture()
        let p = try f.provider(key: "servererror", retries: 0)
        for _ in 0..<5 { #expect(throws: ProviderError.self) { try p.prices([("AAPL", nil)], through: Self.end) } }
        #expect(p.calls == 5)
        do {
            _ = try p.prices([("AAPL", nil)], through: Self.end)
        } catch let e as ProviderError {
            #expect(e.description.contains("circuit breaker is open"))
        }
        #expect(p.calls == 5, "no call while open")
    }
}

@Suite struct BreakerAndCreditTests {
    @Test func breakerOpensHalfOpensAndCloses() {
        var b = CircuitBreaker(threshold: 3, coolDownMs: 1_000)
        for _ in 0..<2 { b.failed(now: 0) }
        var allowed = b.allow(now: 0)
        #expect(allowed)
        b.failed(now: 10)
        allowed = b.allow(now: 500)
        #expect(b.state == .open(until: 1_010) && !allowed && b.gaugeValue == 1)
        allowed = b.allow(now: 1_010)
        #expect(allowed, "half-open: one trial")
        allowed = b.allow(now: 1_011)
        #expect(!allowed, "only one trial at a time")
        b.failed(now: 1_020)
        #expect(b.state == .open(until: 2_020))
        allowed = b.allow(now: 2_020)
        #expect(allowed)
        b.succeeded()
        allowed = b.allow(now: 2_021)
        #expect(b.state == .closed(failures: 0) && allowed)
    }

    @Test func creditsPerMinuteDelayCallsThatWouldExceedThem() {
        var w = CreditWindow(perMinute: 8)
        var d = w.delay(for: 5, now: 0)
        #expect(d == 0)
        w.spend(5, now: 0)
        d = w.delay(for: 3, now: 1_000)
        #expect(d == 0)
        w.spend(3, now: 1_000)
        d = w.delay(for: 1, now: 2_000)
        #expect(d == 58_000, "waits until the first spending leaves the window")
        d = w.delay(for: 6, now: 30_000)
        #expect(d == 31_000, "needs both spendings gone")
        d = w.delay(for: 4, now: 61_000)
        #expect(d == 0)
    }
}
