import Testing
@testable import HTTPServer

@Suite struct RouterTests {
    func router() throws -> Router<String> {
        var b = RouterBuilder<String>()
        try b.add(.GET, "/", "root")
        try b.add(.GET, "/api/v1/projects", "list")
        try b.add(.POST, "/api/v1/projects", "create")
        try b.add(.GET, "/api/v1/projects/:id", "show")
        try b.add(.DELETE, "/api/v1/projects/:id", "delete")
        try b.add(.GET, "/api/v1/projects/new", "new-form")
        try b.add(.GET, "/api/v1/projects/:id/jobs/:jobId", "job")
        try b.add(.GET, "/api/v1/projects/summary/stats", "stats")
        return b.freeze()
    }

    func match(_ r: Router<String>, _ m: HTTPMethod, _ path: String) -> Router<String>.Match {
        r.match(m, rawPath: ArraySlice(Array(path.utf8)))
    }

    @Test func staticParameterAndBacktracking() throws {
        let r = try router()
        guard case .found("root", _, "/") = match(r, .GET, "/") else { Issue.record("root"); return }
        guard case .found("show", let p, "/api/v1/projects/:id") = match(r, .GET, "/api/v1/projects/42") else { Issue.record("show"); return }
        #expect(p["id"] == "42")
        guard case .found("new-form", _, _) = match(r, .GET, "/api/v1/projects/new") else { Issue.record("static wins"); return }
        guard case .found("job", let p2, _) = match(r, .GET, "/api/v1/projects/7/jobs/9") else { Issue.record("job"); return }
        #expect(p2["id"] == "7" && p2["jobId"] == "9")
        // "summary" is static at that depth but has no "jobs" child: must backtrack to :id.
        guard case .found("job", let p3, _) = match(r, .GET, "/api/v1/projects/summary/jobs/1") else { Issue.record("backtrack"); return }
        #expect(p3["id"] == "summary")
    }

    @Test func percentEncodedParameterIsDecoded() throws {
        guard case .found(_, let p, _) = match(try router(), .GET, "/api/v1/projects/a%20b%2Fc") else { Issue.record("no match"); return }
        #expect(p["id"] == "a b/c")
    }

    @Test func notFoundVersusMethodNotAllowed() throws {
        let r = try router()
        guard case .notFound = match(r, .GET, "/api/v2/projects") else { Issue.record("404"); return }
        guard case .notFound = match(r, .GET, "/api/v1/projects/") else { Issue.record("empty segment is not a parameter"); return }
        guard case .methodNotAllowed(let allowed, _) = match(r, .PUT, "/api/v1/projects/1") else { Issue.record("405"); return }
        #expect(allowed == [.GET, .HEAD, .DELETE, .OPTIONS])
    }

    @Test func headFallsBackToGet() throws {
        guard case .found("list", _, _) = match(try router(), .HEAD, "/api/v1/projects") else { Issue.record("HEAD"); return }
    }

    @Test func conflictsFailAtBuildTime() {
        var b = RouterBuilder<String>()
        #expect(throws: Never.self) { try b.add(.GET, "/a/:id", "x") }
        #expect(throws: RouterError.self) { try b.add(.GET, "/a/:id", "dup") }
        #expect(throws: RouterError.self) { try b.add(.POST, "/a/:other", "param-name-clash") }
        #expect(throws: RouterError.self) { try b.add(.GET, "no-slash", "bad") }
    }
}
