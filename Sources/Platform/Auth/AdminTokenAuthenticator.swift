import Crypto
import HTTPServer

/// Accepts `Authorization: Bearer <ADMIN_API_TOKEN>` as the operator (role admin). The token
/// is compared in constant time; any other bearer token is left to the other authenticators.
public struct AdminTokenAuthenticator: Authenticator {
    private let token: [UInt8]
    /// The shortest token accepted in configuration.
    public static let minimumLength = 32

    public init(token: String) { self.token = Array(token.utf8) }

    public func authenticate(_ request: Request) throws -> AuthenticationResult {
        guard let given = request.bearerToken else { return .notMine }
        return ConstantTime.equals(Array(given.utf8), token) ? .principal(Principal(id: "admin-token", role: Principal.adminRole)) : .notMine
    }
}
