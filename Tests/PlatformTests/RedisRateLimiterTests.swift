import Testing
import Foundation
@testable import Platform
import Logging

@Suite struct RESPTests {
    @Test func repliesParseWhateverTheSplit() {
        let text = Array("*4\r\n:1\r\n$5\r\nhello\r\n+OK\r\n*2\r\n$-1\r\n-ERR bad\r\n".utf8)
        let expected = RESPValue.array([.integer(1), .bulk(Array("hello".utf8)), .simple("OK"), .array([.bulk(nil), .error("ERR bad")])])
        #expect(RESP.parse(text) == .value(expected, consumed: text.count))
        for cut in 0..<text.count { #expect(RESP.parse(Array(text[0..<cut])) == .incomplete, "cut at \(cut)") }
        #expect(RESP.parse(Array("?x\r\n".utf8)) == .invalid)
        #expect(RESP.parse(Array("$3\r\nabcd\r\n".utf8)) == .invalid)
        #expect(RESP.command(["GET", "k"]) == Array("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".utf8))
    }

    @Test func endpoints() {
        #expect(RedisEndpoint(url: "redis://127.0.0.1:6380/2") == RedisEndpoint(url: "redis://127.0.0.1:6380/2"))
        let e = RedisEndpoint(url: "redis://app:s3cret@cache.internal:6390/3")
        #expect(e?.host == "cache.internal" && e?.port == 6390 && e?.username == "app" && e?.password == "s3cret" && e?.database == 3)
        #expect(RedisEndpoint(url: "redis://:pw@h")?.password == "pw" && RedisEndpoint(url: "redis://h")?.port == 6379)
        #expect(e?.setupCommands == [["AUTH", "app", "s3cret"], ["SELECT", "3"]])
        #expect(RedisEndpoint(url: "redis://:pw@h")?.setupCommands == [["AUTH", "pw"]] && RedisEndpoint(url: "redis://h")?.setupCommands == [])
        #expect(RedisEndpoint(url: "http://h") == nil && RedisEndpoint(url: "redis://h:99999") == nil && RedisEndpoint(url: "redis://h/99") == nil)
    }
}

/// The shared limiter against the real Redis the test script started.
@Suite(.serialized) struct RedisRateLimiterTests {
    static func limiter(_ url: String? = ProcessInfo.processInfo.environment["REDIS_URL"]) throws -> RedisRateLimiter {
        guard let url, let endpoint = RedisEndpoint(url: url) else { throw SkipRedis() }
        var logger = Logger(label: "redis-test")
        logger.logLevel = .critical
        return RedisRateLimiter(endpoint: endpoint, timeoutMs: 200, fallback: InMemoryRateLimiter(maxKeys: 1000), logger: logger)
    }

    struct SkipRedis: Error {}

    let policy = RateLimitPolicy(name: "t", pathPrefix: "/", ratePerSecond: 0.01, burst: 5)

    @Test func twoInstancesShareOneBurst() throws {
        let a = try Self.limiter(), b = try Self.limiter()
        let key = "client-\(UUID().uuidString)"
        var allowed = 0
        for i in 0..<10 {
            let d = (i % 2 == 0 ? a : b).acquire(key: key, policy: policy, now: 0)
            if d.allowed { allowed += 1 } else { #expect(d.retryAfterSeconds >= 1 && d.remaining == 0) }
        }
        #expect(allowed == 5, "one bucket across both instances")
        #expect(a.fallbacks.load(ordering: .relaxed) == 0 && a.redisChecks.load(ordering: .relaxed) == 5)
        let other = a.acquire(key: "client-\(UUID().uuidString)", policy: policy, now: 0)
        #expect(other.allowed && other.remaining == 4, "another client has its own bucket")
    }
}
