import HTTPServer

public typealias Handler = @Sendable (Request, RequestContext) throws -> Response

/// Who may call a route and how it runs.
public struct RouteOptions: Sendable {
    /// Who may call it. Required: a route registered without it fails at start-up.
    public var access: Access?
    /// Run on the event loop. Only for handlers that never block (no database, no disk) and
    /// read no body: such routes are refused for POST, PUT and PATCH at registration, and any
    /// body sent to them gets 413.
    public var inline: Bool
    /// Body limit for this route; nil uses MAX_BODY_BYTES.
    public var maxBodyBytes: Int?
    /// Whole-request deadline in ms (504 past it, the handler's statement cancelled); nil uses
    /// REQUEST_TIMEOUT, 0 means none (event streams).
    public var timeoutMs: Int?
    /// The handler starts once the head is here and reads the body in pieces from
    /// `request.bodyStream` (uploads larger than memory).
    public var streamsBody: Bool
    /// Set on a route being replaced: its responses say so (Deprecation, Sunset, Link).
    public var deprecation: Deprecation?
    /// What it does, for /api/v1/openapi.json and /docs.
    public var doc: RouteDoc?

    public init(access: Access?, inline: Bool = false, maxBodyBytes: Int? = nil, timeoutMs: Int? = nil, streamsBody: Bool = false,
                deprecation: Deprecation? = nil, doc: RouteDoc? = nil) {
        self.deprecation = deprecation
        self.doc = doc
        self.access = access
        self.inline = inline
        self.maxBodyBytes = maxBodyBytes
        self.timeoutMs = timeoutMs
        self.streamsBody = streamsBody
    }
}

/// A registered route. A class: it travels through the router's match and the request
/// context on every request, and one reference is cheaper to pass than its fields.
public final class Route: Sendable {
    let handler: Handler
    let options: RouteOptions
    let method: HTTPMethod
    let pattern: String
    /// Position in registration order; the routing hint of requests planned to it.
    let index: Int
    let hasParameters: Bool

    init(handler: @escaping Handler, options: RouteOptions, method: HTTPMethod, pattern: String, index: Int) {
        self.handler = handler
        self.options = options
        self.method = method
        self.pattern = pattern
        self.index = index
        hasParameters = pattern.contains("/:")
    }
}

/// Route registration for features. Registering the same method and pattern twice, or two
/// parameter names at one position, fails at start-up.
public struct Routes {
    var builder = RouterBuilder<Route>()
    /// Every route in registration order.
    public private(set) var all: [Route] = []
    /// What the routes' properties mean (the OpenAPI document's descriptions and examples).
    public private(set) var glossary = Glossary()

    /// A feature's terms, added beside its routes.
    public mutating func describe(_ terms: [String: String], examples: [String: String] = [:]) {
        glossary.add(terms, examples: examples)
    }

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ options: RouteOptions,
                             _ handler: @escaping Handler) throws {
        guard options.access != nil else {
            throw RouterError(description: "route \(method) \(pattern) does not say who may call it (RouteOptions.access)")
        }
        if options.inline && (method == .POST || method == .PUT || method == .PATCH || (options.maxBodyBytes ?? 0) > 0 || options.streamsBody) {
            // Decoding a large body on the event loop stalls every connection of that loop.
            throw RouterError(description: "route \(method) \(pattern) is inline and would read a body; run it on a worker")
        }
        let route = Route(handler: handler, options: options, method: method, pattern: pattern, index: all.count)
        try builder.add(method, pattern, route)
        all.append(route)
    }

    public mutating func get(_ pattern: String, _ options: RouteOptions, _ handler: @escaping Handler) throws {
        try add(.GET, pattern, options, handler)
    }

    public mutating func post(_ pattern: String, _ options: RouteOptions, _ handler: @escaping Handler) throws {
        try add(.POST, pattern, options, handler)
    }

    public mutating func put(_ pattern: String, _ options: RouteOptions, _ handler: @escaping Handler) throws {
        try add(.PUT, pattern, options, handler)
    }

    public mutating func patch(_ pattern: String, _ options: RouteOptions, _ handler: @escaping Handler) throws {
        try add(.PATCH, pattern, options, handler)
    }

    public mutating func delete(_ pattern: String, _ options: RouteOptions, _ handler: @escaping Handler) throws {
        try add(.DELETE, pattern, options, handler)
    }
}
