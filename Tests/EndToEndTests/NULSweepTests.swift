import Foundation
import Testing

/// U+0000 in any string of a write route's JSON body: 400 naming the field, nothing stored,
/// never a 500 and never text cut short at the NUL (PostgreSQL text cannot hold it).
@Suite(.serialized) struct NULSweepTests {
    typealias C = ReconciliationClient

    @Test func everyStringFieldOfTheWriteRoutesRefusesNUL() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try ReconciliationE2ETests.server(url)
        defer { s.stop() }
        let client = try C.user(s, "sweep@example.com")
        let p = try client.project("sweep")
        let (left, right, _) = try client.loadGenerated(p, count: 200, seed: 4)
        let job = try client.startJob(p, left: left, right: right)
        #expect(try client.waitForJob(p, job)["status"] as? String == "completed")
        let jobBase = "/api/v1/projects/\(p)/reconciliation-jobs/\(job)"
        let match = C.list(try client.call("GET", "\(jobBase)/matches?limit=1")).first?["id"] as? String ?? ""
        let nul = #"a\u0000b"#
        let mapping = #"{"id":"id","date":"\#(nul)","amount":"amount","currency":"currency"}"#
        let cases: [(String, String, String, String)] = [
            ("POST", "/api/v1/projects", #"{"name":"\#(nul)"}"#, "name"),
            ("POST", "/api/v1/projects", #"{"name":"n","description":"\#(nul)"}"#, "description"),
            ("POST", "/api/v1/projects", #"{"name":"n","settings":{"\#(nul)":"v"}}"#, #"settings.a\u0000b"#),
            ("POST", "/api/v1/projects", #"{"name":"n","settings":{"k":"\#(nul)"}}"#, "settings.k"),
            ("PATCH", "/api/v1/projects/\(p)", #"{"name":"\#(nul)"}"#, "name"),
            ("PATCH", "/api/v1/projects/\(p)", #"{"description":"\#(nul)"}"#, "description"),
            ("PATCH", "/api/v1/projects/\(p)", #"{"settings":{"k":["\#(nul)"]}}"#, "settings.k[0]"),
            ("POST", "/api/v1/projects/\(p)/sources", #"{"name":"s","kind":"bank","mapping":\#(mapping)}"#, "mapping.date"),
            ("POST", "/api/v1/projects/\(p)/sources", #"{"name":"\#(nul)","kind":"bank","mapping":{"id":"id","date":"d","amount":"a","currency":"c"}}"#, "name"),
            ("POST", "/api/v1/projects/\(p)/reconciliation-jobs", #"{"name":"\#(nul)","left_source_id":"\#(left)","right_source_id":"\#(right)"}"#, "name"),
            ("PATCH", "\(jobBase)/matches/\(match)", #"{"status":"confirmed","note":"\#(nul)"}"#, "note"),
            ("POST", "\(jobBase)/batch-resolve", #"{"decisions":[{"match_id":"\#(match)","status":"confirmed","note":"\#(nul)"}]}"#, "decisions[0].note"),
            ("POST", "\(jobBase)/matches", #"{"left_ids":["\#(nul)"],"right_ids":["x"]}"#, "left_ids[0]"),
            ("POST", "/api/v1/auth/register", #"{"email":"\#(nul)@example.com","password":"a perfectly fine password"}"#, "email"),
            ("POST", "/api/v1/auth/login", #"{"email":"sweep@example.com","password":"\#(nul)"}"#, "password"),
        ]
        let before = try DatabaseTests.psql(url, "SELECT (SELECT count(*) FROM projects) || ',' || (SELECT count(*) FROM data_sources) || ',' || (SELECT count(*) FROM reconciliation_jobs) || ',' || (SELECT count(*) FROM matches WHERE notes IS NOT NULL)")
        for (method, path, body, field) in cases {
            let r = try client.call(method, path, json: body)
            let details = (r.json?["error"] as? [String: Any])?["details"] as? [[String: Any]] ?? []
            #expect(r.status == 400 && details.contains { $0["field"] as? String == field }, "\(method) \(path) \(body): \(r.status) \(r.text.prefix(300))")
        }
        let after = try DatabaseTests.psql(url, "SELECT (SELECT count(*) FROM projects) || ',' || (SELECT count(*) FROM data_sources) || ',' || (SELECT count(*) FROM reconciliation_jobs) || ',' || (SELECT count(*) FROM matches WHERE notes IS NOT NULL)")
        #expect(before == after, "nothing stored: \(before) then \(after)")
        #expect(try DatabaseTests.psql(url, "SELECT count(*) FROM projects WHERE name = 'a' OR description = 'a'") == "0", "nothing cut short at the NUL")
    }
}
