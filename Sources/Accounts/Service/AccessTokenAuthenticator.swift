import Foundation
import HTTPServer
import Platform
import Postgres

/// Bearer access tokens (JWT) of users. Besides the token's own checks, every request looks up
/// that the user is still active and the session not ended, and takes the role from the
/// database, so deactivation, logout and a role change apply from the next request. Blocking:
/// used by routes that run on workers (inline routes are public).
struct AccessTokenAuthenticator: Authenticator {
    let tokens: AccessTokens
    let pool: ConnectionPool

    /// A JWT is three base64url parts; anything else is another authenticator's (the admin token).
    static func looksLikeJWT(_ token: String) -> Bool {
        token.hasPrefix("eyJ") && token.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: ".") ? 1 : 0) } == 2
    }

    func authenticate(_ request: Request) throws -> AuthenticationResult {
        guard let token = request.bearerToken, Self.looksLikeJWT(token) else { return .notMine }
        let claims: AccessTokens.Claims
        switch tokens.verify(token, now: Int(Date().timeIntervalSince1970)) {
        case .failure(let f): return .invalid(f.description)
        case .success(let c): claims = c
        }
        guard let user = UUID(uuidString: claims.subject), let session = UUID(uuidString: claims.session) else { return .invalid("malformed claims") }
        let row = try pool.withConnection { c in try c.query(UserRepository.authState(user: user, session: session)).first }
        guard let row, try row.decode("active", as: Bool.self) else { return .invalid("account inactive") }
        guard try row.decode("session_alive", as: Bool.self) else { return .invalid("session ended") }
        return .principal(Principal(id: claims.subject, role: try row.decode("role"), session: claims.session))
    }

    /// Whether the login behind a principal still stands: the account active and its session
    /// not ended (logout, logout-all, a password change, deactivation). A database that cannot
    /// answer keeps the subscription (the next check asks again).
    static func stillValid(_ principal: Principal, pool: ConnectionPool) -> Bool {
        guard let user = UUID(uuidString: principal.id), let session = principal.session.flatMap(UUID.init(uuidString:)) else { return true }
        do {
            guard let row = try pool.withConnection({ c in try c.query(UserRepository.authState(user: user, session: session)).first }) else { return false }
            return try row.decode("active", as: Bool.self) && row.decode("session_alive", as: Bool.self)
        } catch {
            return true
        }
    }
}
