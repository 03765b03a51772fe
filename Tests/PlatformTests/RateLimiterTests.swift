import Testing
@testable import Platform
import HTTPServer

@Suite struct RateLimiterTests {
    let policy = RateLimitPolicy(name: "default", pathPrefix: "/", ratePerSecond: 10, burst: 20)

    @Test func burstThenRejectThenRefill() {
        let limiter = InMemoryRateLimiter(maxKeys: 1000)
        let t0 = 1000.0
        for i in 0..<20 {
            let d = limiter.acquire(key: "a", policy: policy, now: t0)
            #expect(d.allowed, "request \(i) within the burst")
            #expect(d.remaining == 19 - i)
        }
        let refused = limiter.acquire(key: "a", policy: policy, now: t0)
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 1)
        #expect(refused.remaining == 0)
        #expect(limiter.acquire(key: "b", policy: policy, now: t0).allowed, "keys are independent")
        #expect(limiter.acquire(key: "a", policy: policy, now: t0 + 0.1).allowed, "one token back after 1/rate s")
        #expect(!limiter.acquire(key: "a", policy: policy, now: t0 + 0.1).allowed)
        #expect(limiter.acquire(key: "a", policy: policy, now: t0 + 2.2).remaining == 19, "full again after burst/rate s")
    }

    @Test func sustainedRateIsEnforced() {
        let limiter = InMemoryRateLimiter(maxKeys: 1000)
        var allowed = 0
        // 100 requests per second for 10 s against 10/s with burst 20: about 20 + 100 pass.
        for i in 0..<1000 where limiter.acquire(key: "k", policy: policy, now: Double(i) * 0.01).allowed { allowed += 1 }
        #expect((115...125).contains(allowed), "allowed \(allowed)")
    }

    @Test func memoryIsBoundedAndIdleKeysExpire() {
        let limiter = InMemoryRateLimiter(maxKeys: 160, shardCount: 16)
        for i in 0..<1000 { _ = limiter.acquire(key: "client-\(i)", policy: policy, now: 0) }
        #expect(limiter.trackedKeys <= 160)
        #expect(limiter.untrackedAdmissions.load(ordering: .relaxed) > 0)
        // Once their buckets refill, old keys are swept to make room.
        for i in 0..<160 { _ = limiter.acquire(key: "later-\(i)", policy: policy, now: 100) }
        #expect(limiter.trackedKeys <= 160)
        #expect(limiter.acquire(key: "later-0", policy: policy, now: 100).remaining == 18, "later keys are tracked")
    }

    @Test func policiesByLongestPrefixAndExemptions() throws {
        var config = RateLimitConfig()
        config.groups = [RateLimitPolicy(name: "auth", pathPrefix: "/api/v1/auth", ratePerSecond: 1, burst: 5),
                         RateLimitPolicy(name: "api", pathPrefix: "/api", ratePerSecond: 50, burst: 100)]
        #expect(config.policy(forPath: "/api/v1/auth/login")?.name == "auth")
        #expect(config.policy(forPath: "/api/v1/authors")?.name == "api", "prefix matches whole segments")
        #expect(config.policy(forPath: "/api/v1/projects")?.name == "api")
        #expect(config.policy(forPath: "/other")?.name == "default")
        #expect(config.policy(forPath: "/health") == nil && config.policy(forPath: "/metrics") == nil)
    }

    @Test func forwardedForOnlyFromTrustedProxies() {
        let identity = ClientIdentity(trustedProxies: [CIDR("10.0.0.0/8")!, CIDR("::1")!])
        let direct = Request(method: .GET, target: "/", headers: [("X-Forwarded-For", "6.6.6.6")], remoteAddress: "203.0.113.9")
        #expect(identity.clientAddress(for: direct) == "203.0.113.9", "untrusted peer cannot claim another address")
        let viaProxy = Request(method: .GET, target: "/", headers: [("X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.1.2.3")],
                               remoteAddress: "10.0.0.1")
        #expect(identity.clientAddress(for: viaProxy) == "198.51.100.7", "rightmost untrusted hop; spoofed left entries ignored")
        let garbage = Request(method: .GET, target: "/", headers: [("X-Forwarded-For", "not-an-ip")], remoteAddress: "10.0.0.1")
        #expect(identity.clientAddress(for: garbage) == "10.0.0.1")
        let v6 = Request(method: .GET, target: "/", remoteAddress: "2001:db8:1:2:aaaa::1")
        #expect(identity.rateLimitKey(for: v6) == identity.rateLimitKey(for: Request(method: .GET, target: "/", remoteAddress: "2001:db8:1:2:bbbb::9")))
    }

    @Test func forwardedAddressesAreNormalisedBeforeKeying() {
        let identity = ClientIdentity(trustedProxies: [CIDR("10.0.0.0/8")!])
        func key(_ forwarded: String) -> String {
            identity.rateLimitKey(for: Request(method: .GET, target: "/", headers: [("X-Forwarded-For", forwarded)], remoteAddress: "10.0.0.1"))
        }
        let spellings = ["198.51.100.9", "::ffff:198.51.100.9", "::ffff:c633:6409", "0:0:0:0:0:ffff:198.51.100.9", "::FFFF:198.51.100.9"]
        #expect(Set(spellings.map(key)) == ["198.51.100.9"], "one client, one key, however its address is written")
        #expect(key("2001:DB8:0:0:1::1") == key("2001:db8::1:0:0:1"), "IPv6 spellings share their /64 key")
        let client = identity.clientAddress(for: Request(method: .GET, target: "/", headers: [("X-Forwarded-For", "2001:0DB8::0001")],
                                                         remoteAddress: "10.0.0.1"))
        #expect(client == "2001:db8::1", "logs show the canonical form")
    }

    @Test func cidrMatching() {
        #expect(CIDR("192.168.1.0/24")!.contains(IPAddress.parse("192.168.1.77")!))
        #expect(!CIDR("192.168.1.0/24")!.contains(IPAddress.parse("192.168.2.1")!))
        #expect(CIDR("0.0.0.0/0")!.contains(IPAddress.parse("8.8.8.8")!))
        #expect(CIDR("127.0.0.1")!.contains(IPAddress.parse("::ffff:127.0.0.1")!), "IPv4-mapped IPv6 is the IPv4 address")
        #expect(CIDR("bad") == nil && CIDR("10.0.0.0/x") == nil)
    }
}
