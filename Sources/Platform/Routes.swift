import HTTPServer

public typealias Handler = @Sendable (Request, RequestContext) throws -> Response

/// How a route runs.
public struct RouteOptions: Sendable {
    /// Run on the event loop. Only for handlers that never block (no database, no disk).
    public var inline: Bool
    /// Body limit for this route; nil uses MAX_BODY_BYTES.
    public var maxBodyBytes: Int?

    public init(inline: Bool = false, maxBodyBytes: Int? = nil) {
        self.inline = inline
        self.maxBodyBytes = maxBodyBytes
    }
}

public struct Route: Sendable {
    let handler: Handler
    let options: RouteOptions
}

/// Route registration for features. Registering the same method and pattern twice, or two
/// parameter names at one position, fails at start-up.
public struct Routes {
    var builder = RouterBuilder<Route>()

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ options: RouteOptions = RouteOptions(),
                             _ handler: @escaping Handler) throws {
        try builder.add(method, pattern, Route(handler: handler, options: options))
    }

    public mutating func get(_ pattern: String, _ options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) throws {
        try add(.GET, pattern, options, handler)
    }

    public mutating func post(_ pattern: String, _ options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) throws {
        try add(.POST, pattern, options, handler)
    }

    public mutating func put(_ pattern: String, _ options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) throws {
        try add(.PUT, pattern, options, handler)
    }

    public mutating func patch(_ pattern: String, _ options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) throws {
        try add(.PATCH, pattern, options, handler)
    }

    public mutating func delete(_ pattern: String, _ options: RouteOptions = RouteOptions(), _ handler: @escaping Handler) throws {
        try add(.DELETE, pattern, options, handler)
    }
}
