import Testing
@testable import Platform
import HTTPServer
import Logging

/// The authentication hook: who may call a route, 401/403, and the admin API token.
@Suite struct AuthTests {
    static let token = "0123456789abcdef0123456789abcdef-admin"

    /// Accepts "Bearer user-<id>" as a user and "Bearer bad" as an invalid token of its kind.
    struct FakeTokens: Authenticator {
        func authenticate(_ request: Request) throws -> AuthenticationResult {
            guard let t = request.bearerToken else { return .notMine }
            if t.hasPrefix("user-") { return .principal(Principal(id: String(t.dropFirst(5)), role: "user")) }
            if t == "bad" { return .invalid("signature") }
            return .notMine
        }
    }

    func makeApp(_ env: [String: String] = ["ADMIN_API_TOKEN": token]) throws -> Application {
        var routes = Routes()
        try routes.get("/open", RouteOptions(access: .public)) { _, context in try context.success(["who": context.principal?.id ?? "-"]) }
        try routes.get("/mine", RouteOptions(access: .authenticated)) { _, context in try context.success(["who": context.principal?.id ?? "-"]) }
        try routes.get("/ops", RouteOptions(access: .admin)) { _, context in try context.success(["who": context.principal?.id ?? "-"]) }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return Application(config: try AppConfig.load(from: Environment(env)), routes: routes, metrics: MetricsRegistry(),
                           lifecycle: Lifecycle(), logger: logger, authenticators: [FakeTokens()])
    }

    func call(_ app: Application, _ path: String, _ bearer: String? = nil) -> Response {
        app.respond(to: Request(method: .GET, target: path, headers: bearer.map { [("Authorization", "Bearer \($0)")] } ?? []))
    }

    @Test func routesWithoutAccessAreRefusedAtRegistration() {
        var routes = Routes()
        #expect(throws: RouterError.self) { try routes.get("/x", RouteOptions(access: nil)) { _, _ in Response(status: .ok) } }
    }

    @Test func publicRoutesNeedNothing() throws {
        #expect(call(try makeApp(), "/open").status == .ok)
    }

    /// A body is read as sent: a declared coding other than identity is refused, not ignored.
    @Test func contentEncodingsOtherThanIdentityGet415() throws {
        let app = try makeApp()
        for coding in ["br", "gzip", "identity, br"] {
            let r = app.respond(to: Request(method: .GET, target: "/open", headers: [("Content-Encoding", coding)]))
            #expect(r.status == .unsupportedMediaType, "\(coding)")
        }
        #expect(app.respond(to: Request(method: .GET, target: "/open", headers: [("Content-Encoding", "identity")])).status == .ok)
    }

    @Test func missingOrInvalidCredentialsGet401WithAChallenge() throws {
        let app = try makeApp()
        let missing = call(app, "/mine")
        #expect(missing.status == .unauthorized && missing.headers["WWW-Authenticate"] == "Bearer realm=\"apiserver\"")
        for bad in ["bad", "unknown-token", "\(Self.token)x"] {
            let r = call(app, "/mine", bad)
            #expect(r.status == .unauthorized, "\(bad)")
            #expect(r.headers["WWW-Authenticate"] == "Bearer realm=\"apiserver\", error=\"invalid_token\"", "\(bad)")
        }
        let notBearer = app.respond(to: Request(method: .GET, target: "/mine", headers: [("Authorization", "Basic dXNlcjpwYXNz")]))
        #expect(notBearer.status == .unauthorized)
        // Two Authorization fields name no one, even when the first is a valid token.
        let two = app.respond(to: Request(method: .GET, target: "/mine", headers: [("Authorization", "Bearer user-7"), ("Authorization", "Bearer other")]))
        #expect(two.status == .unauthorized)
    }

    @Test func rolesAreEnforcedWith403() throws {
        let app = try makeApp()
        #expect(call(app, "/mine", "user-7").status == .ok)
        let body = String(decoding: call(app, "/mine", "user-7").body, as: UTF8.self)
        #expect(body.contains("\"who\":\"7\""), "the principal reaches the handler")
        let forbidden = call(app, "/ops", "user-7")
        #expect(forbidden.status == .forbidden && String(decoding: forbidden.body, as: UTF8.self).contains("FORBIDDEN"))
        #expect(call(app, "/ops", Self.token).status == .ok, "the admin API token is an admin")
        #expect(call(app, "/mine", Self.token).status == .ok, "an admin passes every check")
    }

    @Test func adminTokenConfiguration() throws {
        #expect(call(try makeApp([:]), "/ops", Self.token).status == .unauthorized, "no token configured: nobody is the operator")
        #expect(throws: ConfigError.self) { try AppConfig.load(from: Environment(["ADMIN_API_TOKEN": "short"])) }
        #expect(throws: ConfigError.self) { try AppConfig.load(from: Environment(["APP_ENV": "production"])) }
        let production = try AppConfig.load(from: Environment(["APP_ENV": "production", "ADMIN_API_TOKEN": Self.token, "DATABASE_URL": "postgresql://db.internal/app"]))
        #expect(production.adminAPIToken == Self.token)
    }
}
