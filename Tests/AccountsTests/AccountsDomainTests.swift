import Crypto
import Foundation
import Platform
import Testing
@testable import Accounts

@Suite struct AccountsDomainTests {
    @Test func emailsAreTrimmedWithLowerCaseDomainsAndValidated() throws {
        #expect(try EmailAddress.normalize("  Ann.Lee@Example.COM ").get() == "Ann.Lee@example.com")
        for bad in ["", "plain", "a@b", "a@@b.com", "a b@c.com", "@example.com", "a@-x.com", "a..b@c.com", "a@c..com", String(repeating: "a", count: 65) + "@x.com"] {
            #expect((try? EmailAddress.normalize(bad).get()) == nil, "\(bad)")
        }
    }

    @Test func passwordsFollowNISTRules() {
        #expect(PasswordPolicy.problem("short", email: "a@b.co") != nil)
        #expect(PasswordPolicy.problem(String(repeating: "x", count: 129) + "y", email: "a@b.co") != nil)
        #expect(PasswordPolicy.problem("1qaz2wsx3edc", email: "a@b.co")?.contains("common") == true)
        #expect(PasswordPolicy.problem("QWERTY123456", email: "a@b.co")?.contains("common") == true, "compared case-insensitively")
        #expect(PasswordPolicy.problem("my-annabelle-2024", email: "annabelle@x.org")?.contains("email") == true)
        #expect(PasswordPolicy.problem("aaaaaaaaaaaaaa", email: "z@x.org") != nil)
        #expect(PasswordPolicy.problem("correct horse battery", email: "ann@x.org") == nil)
        // No composition rules: lower-case words are fine; length counts characters, not bytes.
        #expect(PasswordPolicy.problem("ééééééééééé1", email: "ann@x.org") == nil)
        #expect(PasswordPolicy.common.count == 10_000)
    }

    /// The guesses tried right after the list: a common password with digits, a year or symbols
    /// around it, in look-alike characters, twice; runs of keys or digits of any length.
    @Test(arguments: ["password1234", "qwertyuiop123", "1234567890123", "P@ssw0rd2024!", "!!monkey123456", "dragondragon", "Football#2025",
                      "letmein12345", "asdfghjkl;'", "0987654321098", "zxcvbnm12345", "iloveyou2024", "correct horse battery staple",
                      "1q2w3e4r5t6y", "abcdefghijkl"])
    func commonPasswordsWithAdditionsAreRefused(_ password: String) {
        #expect(PasswordPolicy.problem(password, email: "ann@x.org") != nil, "\(password) was accepted")
    }

    @Test(arguments: ["a horse, a battery, a staple", "a perfectly fine password", "another fine password", "Tulips in 1987 were red",
                      "my dog eats 3 socks", "ééééééééééé1"])
    func ordinaryPassphrasesStillPass(_ password: String) {
        #expect(PasswordPolicy.problem(password, email: "ann@x.org") == nil, "\(password): \(PasswordPolicy.problem(password, email: "ann@x.org") ?? "")")
    }

    @Test func scryptHashesAreSelfDescribingAndRehashOnNewParameters() throws {
        let h = PasswordHasher(logN: 10, r: 8, p: 1)
        let stored = try h.hash("correct horse battery")
        #expect(stored.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(h.verify("correct horse battery", against: stored))
        #expect(!h.verify("correct horse batterx", against: stored))
        #expect(try h.hash("correct horse battery") != stored, "a fresh salt every time")
        #expect(!h.needsRehash(stored))
        #expect(PasswordHasher(logN: 11).needsRehash(stored))
        #expect(PasswordHasher(logN: 11).verify("correct horse battery", against: stored), "old parameters still verify")
        for broken in ["", "$scrypt$ln=10,r=8,p=1$$", "$bcrypt$x$y$z", "$scrypt$ln=99,r=8,p=1$AAAA$AAAA"] {
            #expect(!h.verify("x", against: broken))
        }
    }

    static let key = AccessTokens.Key(secret: Array("0123456789abcdef0123456789abcdef".utf8))
    static let tokens = AccessTokens(keys: [key], issuer: "apiserver", audience: "apiserver-api", lifetimeSeconds: 900)

    /// A token with any header and claims, signed with `secret`.
    static func forge(header: [String: Any], claims: [String: Any], secret: [UInt8] = key.secret) -> String {
        let input = Base64URL.encode(AccessTokens.json(header)) + "." + Base64URL.encode(AccessTokens.json(claims))
        return input + "." + Base64URL.encode(HMAC.sha256(key: secret, data: Array(input.utf8)))
    }

    static func claims(now: Int, _ overrides: [String: Any] = [:]) -> [String: Any] {
        var c: [String: Any] = ["sub": "u1", "role": "user", "sid": "s1", "iat": now, "nbf": now, "exp": now + 900, "jti": "j",
                                "iss": "apiserver", "aud": "apiserver-api"]
        c.merge(overrides) { _, new in new }
        return c
    }

    @Test func accessTokensVerifyStrictly() throws {
        let now = 1_800_000_000
        let good = Self.tokens.issue(subject: "u1", role: "user", session: "s1", now: now)
        #expect(try Self.tokens.verify(good, now: now + 10).get().subject == "u1")
        let header: [String: Any] = ["alg": "HS256", "typ": "JWT", "kid": Self.key.id]
        func verdict(_ t: String, at: Int = now) -> AccessTokens.Failure? {
            if case .failure(let f) = Self.tokens.verify(t, now: at) { return f }
            return nil
        }
        // Tampered payload, other key, alg none / RS256, jku / x5u / crit headers, unknown kid.
        var parts = good.split(separator: ".").map(String.init)
        parts[1] = Base64URL.encode(AccessTokens.json(Self.claims(now: now, ["role": "admin"])))
        #expect(verdict(parts.joined(separator: ".")) == .signature)
        #expect(verdict(Self.forge(header: header, claims: Self.claims(now: now), secret: Array("another-secret-another-secret-xx".utf8))) == .signature)
        #expect(verdict(Self.forge(header: ["alg": "none", "kid": Self.key.id], claims: Self.claims(now: now))) == .algorithm)
        #expect(verdict(Self.forge(header: ["alg": "RS256", "kid": Self.key.id], claims: Self.claims(now: now))) == .algorithm)
        let unsigned = Base64URL.encode(AccessTokens.json(["alg": "none"])) + "." + Base64URL.encode(AccessTokens.json(Self.claims(now: now))) + "."
        #expect(verdict(unsigned) == .algorithm)
        for h in ["jku", "x5u", "crit", "jwk"] {
            var hh = header
            hh[h] = h == "crit" ? ["exp"] : "https://evil.example/keys"
            #expect(verdict(Self.forge(header: hh, claims: Self.claims(now: now))) == .forbiddenHeader(h))
        }
        var wrongKid = header
        wrongKid["kid"] = "0000000000000000"
        #expect(verdict(Self.forge(header: wrongKid, claims: Self.claims(now: now))) == .unknownKey)
        // Time: expired beyond the 30 s skew, not yet valid beyond it; within the skew both pass.
        #expect(verdict(good, at: now + 900 + 29) == nil)
        #expect(verdict(good, at: now + 900 + 30) == .expired)
        #expect(verdict(Self.forge(header: header, claims: Self.claims(now: now, ["nbf": now + 31])), at: now) == .notYetValid)
        #expect(verdict(Self.forge(header: header, claims: Self.claims(now: now, ["nbf": now + 29])), at: now) == nil)
        // Issuer, audience, claims.
        #expect(verdict(Self.forge(header: header, claims: Self.claims(now: now, ["iss": "other"]))) == .issuer)
        #expect(verdict(Self.forge(header: header, claims: Self.claims(now: now, ["aud": "other"]))) == .audience)
        #expect(verdict(Self.forge(header: header, claims: Self.claims(now: now, ["exp": true]))) == .claims)
        #expect(verdict("not.a.jwt") == .malformed)
        #expect(verdict("a.b") == .malformed)
        // Rotation: a token of an older key still verifies while that key is listed.
        let rotated = AccessTokens(keys: [AccessTokens.Key(secret: Array("the-new-signing-key-0123456789ab".utf8)), Self.key], issuer: "apiserver",
                                   audience: "apiserver-api", lifetimeSeconds: 900)
        #expect((try? rotated.verify(good, now: now).get()) != nil)
        #expect((try? Self.tokens.verify(rotated.issue(subject: "u", role: "user", session: "s", now: now), now: now).get()) == nil)
    }

    @Test func oneProjectPolicy() {
        typealias P = ProjectPolicy
        #expect(P.decide(isAdmin: true, membership: nil, action: .manage) == .allow)
        #expect(P.decide(isAdmin: false, membership: nil, action: .read) == .hidden)
        #expect(P.decide(isAdmin: false, membership: .viewer, action: .read) == .allow)
        #expect(P.decide(isAdmin: false, membership: .viewer, action: .write) == .forbidden)
        #expect(P.decide(isAdmin: false, membership: .editor, action: .write) == .allow)
        #expect(P.decide(isAdmin: false, membership: .editor, action: .manage) == .forbidden)
        #expect(P.decide(isAdmin: false, membership: .owner, action: .manage) == .allow)
    }
}
