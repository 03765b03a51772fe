import HTTPServer

/// Who may call a route. Every route must say it: registering one without `access` fails at
/// start-up, so nothing is left unprotected by accident.
public enum Access: Sendable, Equatable {
    /// Anyone, without credentials (health, documentation, login).
    case `public`
    /// Any authenticated principal.
    case authenticated
    /// A principal with this role (an admin passes every role check).
    case role(String)

    /// Operators and administrators: ADMIN_API_TOKEN or an admin's access token.
    public static let admin = Access.role(Principal.adminRole)
}

/// Who is calling, once authenticated.
public struct Principal: Sendable, Equatable {
    public static let adminRole = "admin"

    public var id: String
    public var role: String
    public var scopes: Set<String>
    /// The login session an access token belongs to (logout ends it); nil for API tokens.
    public var session: String?

    public init(id: String, role: String, scopes: Set<String> = [], session: String? = nil) {
        self.id = id
        self.role = role
        self.scopes = scopes
        self.session = session
    }

    public var isAdmin: Bool { role == Self.adminRole }

    /// Whether this principal may call a route with `access`.
    public func satisfies(_ access: Access) -> Bool {
        switch access {
        case .public, .authenticated: true
        case .role(let required): isAdmin || role == required
        }
    }
}

/// Turns a request's credentials into a principal. Implemented by the platform (the admin API
/// token) and by the accounts feature (JWT access tokens).
public protocol Authenticator: Sendable {
    func authenticate(_ request: Request) throws -> AuthenticationResult
}

public enum AuthenticationResult: Sendable, Equatable {
    /// The request carries no credentials of this authenticator's kind.
    case notMine
    case principal(Principal)
    /// Credentials of this kind, but not valid (expired, tampered, revoked).
    case invalid(String)
}

extension Request {
    /// The token of an `Authorization: Bearer <token>` field, if present. Two Authorization
    /// fields name no one: which credential a proxy or a server would pick is not for an
    /// attacker to choose, so the request is taken as unauthenticated.
    public var bearerToken: String? {
        let values = headers.values("Authorization")
        guard values.count == 1, let value = values.first else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = String(parts[1]).trimmingWhitespace()
        return token.isEmpty ? nil : token
    }
}
