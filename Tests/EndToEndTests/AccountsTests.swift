import Foundation
import Testing

/// Accounts end to end: the real binary, a fresh database, HTTP over sockets.
@Suite(.serialized) struct AccountsTests {
    static let secret = "accounts-test-jwt-secret-0123456789abcdef"
    static let json = [("Content-Type", "application/json")]

    static func server(_ url: String, _ env: [String: String] = [:]) throws -> ServerProcess {
        var e = ["DATABASE_URL": url, "JWT_SECRET": secret, "PASSWORD_SCRYPT_LOG_N": "10", "RATE_LIMIT_ENABLED": "false",
                 "REFRESH_ENABLED": "false", "ADMIN_API_TOKEN": "accounts-admin-api-token-0123456789abc"]
        e.merge(env) { _, new in new }
        return try ServerProcess(e)
    }

    static func post(_ s: ServerProcess, _ path: String, _ body: String, token: String? = nil) throws -> WireResponse {
        try s.request("POST", path, headers: json + (token.map { [("Authorization", "Bearer \($0)")] } ?? []), body: Array(body.utf8))
    }

    static func get(_ s: ServerProcess, _ path: String, token: String?) throws -> WireResponse {
        try s.request("GET", path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    static func data(_ r: WireResponse) -> [String: Any] { r.json?["data"] as? [String: Any] ?? [:] }

    static func register(_ s: ServerProcess, _ email: String, _ password: String = "a perfectly fine password") throws -> String {
        let r = try post(s, "/api/v1/auth/register", #"{"email":"\#(email)","password":"\#(password)"}"#)
        #expect(r.status == 201, "\(r.text)")
        return (data(r)["user"] as? [String: Any])?["id"] as? String ?? ""
    }

    static func login(_ s: ServerProcess, _ email: String, _ password: String = "a perfectly fine password") throws -> (access: String, refresh: String) {
        let r = try post(s, "/api/v1/auth/login", #"{"email":"\#(email)","password":"\#(password)"}"#)
        #expect(r.status == 200, "\(r.text)")
        return (data(r)["access_token"] as? String ?? "", data(r)["refresh_token"] as? String ?? "")
    }

    static func auditCount(_ url: String, _ action: String) throws -> Int {
        Int(try DatabaseTests.psql(url, "SELECT count(*) FROM audit_logs WHERE action = '\(action)'")) ?? -1
    }

    @Test func registerLoginRefreshRotationReuseDetectionAndLogout() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        let id = try Self.register(s, "  Ann@Example.COM ")
        #expect(try Self.post(s, "/api/v1/auth/register", #"{"email":"ann@example.com","password":"another fine password"}"#).status == 409)
        #expect(try Self.post(s, "/api/v1/auth/register", #"{"email":"bob@example.com","password":"short"}"#).status == 400)
        #expect(try Self.post(s, "/api/v1/auth/register", #"{"email":"bob@example.com","password":"1qaz2wsx3edc"}"#).status == 400)
        #expect(try Self.post(s, "/api/v1/auth/register", #"{"email":"bob@example.com","password":"x","admin":true}"#).status == 400)
        let first = try Self.login(s, "ann@example.com")
        let tokenBody = Self.data(try Self.post(s, "/api/v1/auth/login", #"{"email":"ann@example.com","password":"a perfectly fine password"}"#))
        #expect(tokenBody["token_type"] as? String == "Bearer" && tokenBody["expires_in"] as? Int == 900 && tokenBody["refresh_expires_in"] as? Int == 604_800)
        let me = try Self.get(s, "/api/v1/auth/me", token: first.access)
        #expect(me.status == 200 && Self.data(me)["email"] as? String == "Ann@example.com" && Self.data(me)["id"] as? String == id)
        // Rotation: the old refresh token is spent; presenting it again revokes the whole family.
        let rotated = try Self.post(s, "/api/v1/auth/refresh", #"{"refresh_token":"\#(first.refresh)"}"#)
        #expect(rotated.status == 200)
        let second = (Self.data(rotated)["access_token"] as? String ?? "", Self.data(rotated)["refresh_token"] as? String ?? "")
        #expect(second.1 != first.refresh)
        #expect(try Self.get(s, "/api/v1/auth/me", token: second.0).status == 200)
        let reuse = try Self.post(s, "/api/v1/auth/refresh", #"{"refresh_token":"\#(first.refresh)"}"#)
        #expect(reuse.status == 401)
        #expect(try Self.post(s, "/api/v1/auth/refresh", #"{"refresh_token":"\#(second.1)"}"#).status == 401, "the family is revoked")
        #expect(try Self.get(s, "/api/v1/auth/me", token: second.0).status == 401, "so are its access tokens")
        let actions = try DatabaseTests.psql(url, "SELECT string_agg(action, ',' ORDER BY id) FROM audit_logs")
        // Both presentations are recorded: the spent token, then a token of the revoked family.
        #expect(try Self.auditCount(url, "auth.refresh_reuse") == 2, "\(actions)")
        // Logout ends this session at once; another session lives until logout-all.
        let a = try Self.login(s, "ann@example.com"), b = try Self.login(s, "ann@example.com")
        #expect(try Self.post(s, "/api/v1/auth/logout", "", token: a.access).status == 200)
        #expect(try Self.get(s, "/api/v1/auth/me", token: a.access).status == 401)
        #expect(try Self.post(s, "/api/v1/auth/refresh", #"{"refresh_token":"\#(a.refresh)"}"#).status == 401)
        #expect(try Self.get(s, "/api/v1/auth/me", token: b.access).status == 200)
        #expect(try Self.post(s, "/api/v1/auth/logout-all", "", token: b.access).status == 200)
        #expect(try Self.get(s, "/api/v1/auth/me", token: b.access).status == 401)
        // Password change keeps this session and ends the others; the old password stops working.
        let c = try Self.login(s, "ann@example.com"), d = try Self.login(s, "ann@example.com")
        #expect(try Self.post(s, "/api/v1/auth/change-password", #"{"current_password":"wrong password here","new_password":"a brand new passphrase"}"#,
                              token: c.access).status == 400)
        #expect(try Self.post(s, "/api/v1/auth/change-password", #"{"current_password":"a perfectly fine password","new_password":"a brand new passphrase"}"#,
                              token: c.access).status == 200)
        #expect(try Self.get(s, "/api/v1/auth/me", token: c.access).status == 200)
        #expect(try Self.get(s, "/api/v1/auth/me", token: d.access).status == 401)
        #expect(try Self.post(s, "/api/v1/auth/login", #"{"email":"ann@example.com","password":"a perfectly fine password"}"#).status == 401)
        _ = try Self.login(s, "ann@example.com", "a brand new passphrase")
        // Exactly one audit row per audited action.
        #expect(try Self.auditCount(url, "auth.register") == 1)
        #expect(try Self.auditCount(url, "auth.logout") == 1 && Self.auditCount(url, "auth.logout_all") == 1)
        #expect(try Self.auditCount(url, "auth.password_changed") == 1)
        #expect(try Self.auditCount(url, "auth.login") == 7)
        #expect(try Self.auditCount(url, "auth.login_failed") == 1 && Self.auditCount(url, "auth.password_change_failed") == 1)
        // A tampered token is refused with the invalid_token challenge.
        let tampered = String(first.access.dropLast(2)) + (first.access.hasSuffix("AA") ? "BB" : "AA")
        let refused = try Self.get(s, "/api/v1/auth/me", token: tampered)
        #expect(refused.status == 401 && refused.header("WWW-Authenticate")?.contains("invalid_token") == true)
    }

    @Test func administratorsDeactivateUsersAndTheirTokensStopAtOnce() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        // The first administrator comes from the command line, password on stdin.
        let (status, out) = try DatabaseTests.run("/bin/sh", ["-c", "printf 'an administrator password\\n' | \(ServerProcess.binaryPath) user create --email root@example.com --role admin"],
                                                  env: ["DATABASE_URL": url, "MIGRATIONS_DIR": ServerProcess.repositoryRoot + "/migrations",
                                                        "PASSWORD_SCRYPT_LOG_N": "10", "JWT_SECRET": Self.secret])
        #expect(status == 0 && out.contains("created admin root@example.com"), "\(out)")
        let admin = try Self.login(s, "root@example.com", "an administrator password")
        let userID = try Self.register(s, "carol@example.com")
        let carol = try Self.login(s, "carol@example.com")
        // A user cannot reach admin routes; an admin's access token works on /admin/* too.
        #expect(try Self.get(s, "/api/v1/admin/users", token: carol.access).status == 403)
        #expect(try Self.get(s, "/admin/jobs", token: carol.access).status == 403)
        #expect(try Self.get(s, "/admin/jobs", token: admin.access).status == 200)
        let list = try Self.get(s, "/api/v1/admin/users?limit=1", token: admin.access)
        let cursor = try #require((list.json?["meta"] as? [String: Any])?["next_cursor"] as? String)
        let page2 = try Self.get(s, "/api/v1/admin/users?limit=1&cursor=\(cursor)", token: admin.access)
        #expect((page2.json?["data"] as? [[String: Any]])?.first?["email"] as? String == "carol@example.com")
        let patch = try s.request("PATCH", "/api/v1/admin/users/\(userID)", headers: Self.json + [("Authorization", "Bearer \(admin.access)")],
                                  body: Array(#"{"active":false}"#.utf8))
        #expect(patch.status == 200 && Self.data(patch)["is_active"] as? Bool == false)
        #expect(try Self.get(s, "/api/v1/auth/me", token: carol.access).status == 401, "refused on the next request")
        #expect(try Self.post(s, "/api/v1/auth/login", #"{"email":"carol@example.com","password":"a perfectly fine password"}"#).status == 401)
        #expect(try Self.auditCount(url, "user.updated") == 1)
        // Promotion takes effect on the next request too: the role comes from the database.
        _ = try s.request("PATCH", "/api/v1/admin/users/\(userID)", headers: Self.json + [("Authorization", "Bearer \(admin.access)")],
                          body: Array(#"{"active":true,"role":"admin"}"#.utf8))
        let promoted = try Self.login(s, "carol@example.com")
        #expect(try Self.get(s, "/api/v1/admin/users", token: promoted.access).status == 200)
        let trail = try Self.get(s, "/api/v1/admin/audit-logs?action=user.updated", token: admin.access)
        #expect((trail.json?["data"] as? [[String: Any]])?.count == 2)
        #expect(try Self.get(s, "/api/v1/admin/audit-logs", token: carol.access).status == 401, "carol's old session ended on deactivation")
    }

    /// An event-stream subscription ends once its login no longer stands: after logout-all the
    /// stream is finished at the next heartbeat (15 s), and a new one needs a live token.
    @Test func anEventStreamEndsWhenItsSessionEnds() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url, ["PUBLIC_MARKET_DATA": "false"])
        defer { s.stop() }
        _ = try Self.register(s, "listener@example.com")
        let tokens = try Self.login(s, "listener@example.com")
        let c = try RawConnection(port: s.port, timeout: 40)
        try c.send("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(tokens.access)\r\n\r\n")
        #expect(c.readUntil("retry: 3000"))
        #expect(try Self.post(s, "/api/v1/auth/logout-all", "", token: tokens.access).status == 200)
        let ended = Date()
        #expect(c.readUntil("\r\n0\r\n\r\n"), "the stream is finished (its last chunk)")
        #expect(Date().timeIntervalSince(ended) < 35)
        let again = try s.request("GET", "/api/v1/events", headers: [("Authorization", "Bearer \(tokens.access)")])
        #expect(again.status == 401)
    }

    /// One identity per address however it is typed: the lockout counts the account, and no
    /// other spelling of the address reaches it with its own count (issue: a dotted capital I
    /// gave five more guesses per i).
    @Test func theLockoutHoldsForEverySpellingOfAnAddress() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url, ["LOGIN_MAX_FAILURES": "5", "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000"])
        defer { s.stop() }
        _ = try Self.register(s, "victim1@example.com")
        _ = try Self.register(s, "kelly@example.com")
        _ = try Self.register(s, "jos\u{00E9}@example.com")
        for _ in 0..<5 {
            #expect(try Self.post(s, "/api/v1/auth/login", #"{"email":"victim1@example.com","password":"not the password!"}"#).status == 401)
        }
        func login(_ email: String) throws -> Int {
            try Self.post(s, "/api/v1/auth/login", #"{"email":"\#(email)","password":"a perfectly fine password"}"#).status
        }
        #expect(try login("victim1@example.com") == 429)
        // Spellings that are the same address under NFKC and case folding share the lock...
        for same in ["VICTIM1@EXAMPLE.COM", "\u{FF56}\u{FF49}\u{FF43}\u{FF54}\u{FF49}\u{FF4D}\u{FF11}@example.com"] {
            #expect(try login(same) == 429, "\(same)")
        }
        // ...and one that is another address (U+0130 folds to i + U+0307) reaches no account.
        for other in ["v\u{0130}ctim1@example.com", "V\u{0130}CT\u{0130}M1@example.com"] {
            #expect(try login(other) == 401, "\(other)")
        }
        // The Kelvin sign is a K; NFD and NFC forms are one address.
        #expect(try login("\u{212A}elly@example.com") == 200)
        #expect(try login("jose\u{0301}@example.com") == 200)
        let decomposed = "JOSE\u{0301}@example.com"
        let twice = try Self.post(s, "/api/v1/auth/register", #"{"email":"\#(decomposed)","password":"a perfectly fine password"}"#)
        #expect(twice.status == 409, "\(twice.text)")
        // A stolen access token does not buy unlimited guesses at the password either.
        let kelly = try Self.login(s, "kelly@example.com")
        func change(_ current: String) throws -> Int {
            try Self.post(s, "/api/v1/auth/change-password", #"{"current_password":"\#(current)","new_password":"a brand new passphrase"}"#,
                          token: kelly.access).status
        }
        for _ in 0..<5 { #expect(try change("not the password!") == 400) }
        #expect(try change("a perfectly fine password") == 429)
        #expect(try login("kelly@example.com") == 429, "the same account's lock")
        // A password is one password in NFC and NFD.
        _ = try Self.register(s, "umlaut@example.com", "gr\u{00FC}ne h\u{00E4}user am see")
        _ = try Self.login(s, "umlaut@example.com", "gru\u{0308}ne ha\u{0308}user am see")
        // Invisible characters make look-alike addresses: refused.
        for hidden in ["vic\u{200B}tim1@example.com", "victim1\u{202E}@example.com"] {
            #expect(try Self.post(s, "/api/v1/auth/register", #"{"email":"\#(hidden)","password":"a perfectly fine password"}"#).status == 400)
        }
    }

    @Test func loginsAreThrottledPerAccountAndUnknownEmailsCostTheSameTime() throws {
        let url = try DatabaseTests.freshDatabase()
        do {
            let s = try Self.server(url, ["LOGIN_MAX_FAILURES": "5"])
            defer { s.stop() }
            _ = try Self.register(s, "dave@example.com")
            _ = try Self.register(s, "gina@example.com")
            for _ in 0..<5 {
                #expect(try Self.post(s, "/api/v1/auth/login", #"{"email":"dave@example.com","password":"not the password!"}"#).status == 401)
            }
            let limited = try Self.post(s, "/api/v1/auth/login", #"{"email":"dave@example.com","password":"a perfectly fine password"}"#)
            #expect(limited.status == 429 && Int(limited.header("Retry-After") ?? "") ?? 0 > 0, "\(limited.text)")
        }
        // Timing: a known email with a wrong password and an unknown email, alternating, at the real cost.
        let s = try Self.server(url, ["PASSWORD_SCRYPT_LOG_N": "14", "LOGIN_MAX_FAILURES": "1000", "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000"])
        defer { s.stop() }
        _ = try Self.register(s, "frank@example.com")
        // A hash made with other parameters is replaced at the next successful login.
        #expect(try DatabaseTests.psql(url, "SELECT password_hash FROM users WHERE email = 'gina@example.com'").hasPrefix("$scrypt$ln=10,"))
        _ = try Self.login(s, "gina@example.com")
        #expect(try DatabaseTests.psql(url, "SELECT password_hash FROM users WHERE email = 'gina@example.com'").hasPrefix("$scrypt$ln=14,"))
        // Pairs measured back to back, so load from other tests running at the same time hits
        // both sides of a pair alike; the median of the pairs' relative differences is the
        // systematic difference, and it must stay within 20%.
        var differences: [Double] = []
        var known: [Double] = [], unknown: [Double] = []
        for i in 0..<20 {
            var pair: [Double] = []
            for email in ["frank@example.com", "nobody\(i)@example.com"] {
                let start = Date()
                #expect(try Self.post(s, "/api/v1/auth/login", #"{"email":"\#(email)","password":"not the password!"}"#).status == 401)
                pair.append(Date().timeIntervalSince(start))
            }
            known.append(pair[0])
            unknown.append(pair[1])
            differences.append((pair[0] - pair[1]) / max(pair[0], pair[1]))
        }
        let median = differences.sorted()[differences.count / 2]
        let k = known.sorted()[known.count / 2], u = unknown.sorted()[unknown.count / 2]
        #expect(abs(median) < 0.2, "median pair difference \(median); median known \(k) s, unknown \(u) s")
    }

    @Test func projectsAreVisibleOnlyToMembersAndRolesLimitWhatTheyDo() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        _ = try Self.register(s, "alice@example.com")
        let bobID = try Self.register(s, "bob@example.com")
        let alice = try Self.login(s, "alice@example.com"), bob = try Self.login(s, "bob@example.com")
        let created = try Self.post(s, "/api/v1/projects", #"{"name":" Books 2026 ","settings":{"currency":"EUR"}}"#, token: alice.access)
        #expect(created.status == 201, "\(created.text)")
        let pid = Self.data(created)["id"] as? String ?? ""
        #expect(Self.data(created)["name"] as? String == "Books 2026" && Self.data(created)["role"] as? String == "owner")
        #expect(try Self.post(s, "/api/v1/projects", #"{"name":"books 2026"}"#, token: alice.access).status == 409)
        for bad in [#"{"name":"   "}"#, #"{"name":"x","settings":[1]}"#, #"{"name":"x","colour":"red"}"#, #"{"name":5}"#] {
            #expect(try Self.post(s, "/api/v1/projects", bad, token: alice.access).status == 400, "\(bad)")
        }
        // Bob is not a member: 404 everywhere, including adding himself.
        #expect(try Self.get(s, "/api/v1/projects/\(pid)", token: bob.access).status == 404)
        #expect((try Self.get(s, "/api/v1/projects", token: bob.access).json?["data"] as? [Any])?.isEmpty == true)
        let bobAuth = [("Authorization", "Bearer \(bob.access)")], aliceAuth = [("Authorization", "Bearer \(alice.access)")]
        #expect(try s.request("PATCH", "/api/v1/projects/\(pid)", headers: Self.json + bobAuth, body: Array(#"{"name":"mine"}"#.utf8)).status == 404)
        #expect(try s.request("DELETE", "/api/v1/projects/\(pid)", headers: bobAuth).status == 404)
        #expect(try Self.post(s, "/api/v1/projects/\(pid)/members", #"{"user_id":"\#(bobID)","role":"owner"}"#, token: bob.access).status == 404)
        #expect(try Self.get(s, "/api/v1/projects/\(pid)/members", token: bob.access).status == 404)
        #expect(try Self.get(s, "/api/v1/projects/\(UUID().uuidString)", token: alice.access).status == 404)
        // As a viewer Bob reads but cannot write (403).
        #expect(try Self.post(s, "/api/v1/projects/\(pid)/members", #"{"user_email":"BOB@example.com","role":"viewer"}"#, token: alice.access).status == 201)
        #expect(try Self.post(s, "/api/v1/projects/\(pid)/members", #"{"user_id":"\#(bobID)","role":"editor"}"#, token: alice.access).status == 409)
        #expect(try Self.get(s, "/api/v1/projects/\(pid)", token: bob.access).status == 200)
        #expect(try s.request("PATCH", "/api/v1/projects/\(pid)", headers: Self.json + bobAuth, body: Array(#"{"name":"mine"}"#.utf8)).status == 403)
        #expect(try Self.post(s, "/api/v1/projects/\(pid)/members", #"{"user_id":"\#(bobID)","role":"owner"}"#, token: bob.access).status == 403)
        // The last owner can be neither demoted nor removed; once Bob owns it too, Alice may leave.
        let aliceID = try #require(try DatabaseTests.psql(url, "SELECT id FROM users WHERE email = 'alice@example.com'") as String?)
        #expect(try s.request("PATCH", "/api/v1/projects/\(pid)/members/\(aliceID)", headers: Self.json + aliceAuth, body: Array(#"{"role":"viewer"}"#.utf8)).status == 409)
        #expect(try s.request("DELETE", "/api/v1/projects/\(pid)/members/\(aliceID)", headers: aliceAuth).status == 409)
        #expect(try s.request("PATCH", "/api/v1/projects/\(pid)/members/\(bobID)", headers: Self.json + aliceAuth, body: Array(#"{"role":"owner"}"#.utf8)).status == 200)
        #expect(try s.request("DELETE", "/api/v1/projects/\(pid)/members/\(aliceID)", headers: aliceAuth).status == 200)
        #expect(try Self.get(s, "/api/v1/projects/\(pid)", token: alice.access).status == 404)
        // A failed change (a name its owner already uses) changes nothing and writes no audit row.
        #expect(try Self.post(s, "/api/v1/projects", #"{"name":"Other"}"#, token: bob.access).status == 201)
        let third = Self.data(try Self.post(s, "/api/v1/projects", #"{"name":"Third"}"#, token: bob.access))["id"] as? String ?? ""
        let updatesBefore = try Self.auditCount(url, "project.updated")
        #expect(try s.request("PATCH", "/api/v1/projects/\(third)", headers: Self.json + bobAuth, body: Array(#"{"name":"other"}"#.utf8)).status == 409)
        #expect(try Self.auditCount(url, "project.updated") == updatesBefore)
        #expect(try DatabaseTests.psql(url, "SELECT name FROM projects WHERE id = '\(third)'") == "Third")
        // Delete is soft and the name can be used again; search and pages.
        #expect(try s.request("DELETE", "/api/v1/projects/\(pid)", headers: bobAuth).status == 200)
        #expect(try Self.get(s, "/api/v1/projects/\(pid)", token: bob.access).status == 404)
        #expect(try Self.post(s, "/api/v1/projects", #"{"name":"Books 2026"}"#, token: bob.access).status == 201)
        let search = try Self.get(s, "/api/v1/projects?q=%25", token: bob.access)
        #expect((search.json?["data"] as? [Any])?.isEmpty == true, "a % in q is a literal, not a wildcard")
        let page = try Self.get(s, "/api/v1/projects?limit=1", token: bob.access)
        let cursor = try #require((page.json?["meta"] as? [String: Any])?["next_cursor"] as? String)
        let next = try Self.get(s, "/api/v1/projects?limit=1&cursor=\(cursor)", token: bob.access)
        #expect((next.json?["data"] as? [[String: Any]])?.first?["name"] as? String == "Third")
        #expect(try Self.auditCount(url, "project.created") == 4 && Self.auditCount(url, "project.deleted") == 1)
        #expect(try Self.auditCount(url, "project.member_added") == 1 && Self.auditCount(url, "project.member_removed") == 1)
    }

    @Test func marketDataNeedsATokenUnlessPublic() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        _ = try Self.register(s, "erin@example.com")
        let erin = try Self.login(s, "erin@example.com")
        #expect(try Self.get(s, "/api/v1/assets", token: nil).status == 401)
        #expect(try Self.get(s, "/api/v1/assets", token: erin.access).status == 200)
        #expect(try s.request("PUT", "/api/v1/strategy/config", headers: Self.json + [("Authorization", "Bearer \(erin.access)")],
                              body: Array(#"{"lookback_days":30}"#.utf8)).status == 403)
        let open = try Self.server(url, ["PUBLIC_MARKET_DATA": "true"])
        defer { open.stop() }
        #expect(try Self.get(open, "/api/v1/assets", token: nil).status == 200)
    }
}
