import HTTPServer

/// Enforces each route's `Access`: inside the error boundary, after the rate limiter. No
/// principal for a non-public route: 401 with `WWW-Authenticate: Bearer` (error="invalid_token"
/// when credentials were given but not accepted); a principal without the role: 403.
public struct AuthMiddleware: Middleware {
    let authenticators: [any Authenticator]

    public init(authenticators: [any Authenticator]) { self.authenticators = authenticators }

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        guard context.needsAuthentication, case .found(let route, _, _) = context.match else {
            return try next(request, context)
        }
        let access = route.options.access ?? .admin
        var invalid: String?
        for authenticator in authenticators {
            switch try authenticator.authenticate(request) {
            case .notMine:
                continue
            case .invalid(let why):
                invalid = why
            case .principal(let principal):
                guard principal.satisfies(access) else {
                    throw AppError(.forbidden, "This action needs a role you do not have")
                }
                context.principal = principal
                return try next(request, context)
            }
            if invalid != nil { break }
        }
        let tokenGiven = invalid != nil || request.bearerToken != nil
        let challenge = tokenGiven ? "Bearer realm=\"apiserver\", error=\"invalid_token\"" : "Bearer realm=\"apiserver\""
        throw AppError(.unauthorized, tokenGiven
                       ? "The access token is invalid or expired: get a new one from POST /api/v1/auth/refresh with your refresh token, or log in again at POST /api/v1/auth/login"
                       : "Authentication required: send Authorization: Bearer <access token> (from POST /api/v1/auth/login)",
                       headers: [("WWW-Authenticate", challenge)])
    }
}
