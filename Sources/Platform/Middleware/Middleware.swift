import HTTPServer

/// The next step of the chain: the remaining middleware and finally the route handler.
public typealias Responder = @Sendable (Request, RequestContext) throws -> Response

/// One layer of request handling. It may answer itself, or call `next` and adjust the response.
public protocol Middleware: Sendable {
    func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response
}

enum MiddlewareChain {
    /// Composes middleware, outermost first, around `terminal` once at start-up.
    static func compose(_ middleware: [any Middleware], terminal: @escaping Responder) -> Responder {
        middleware.reversed().reduce(terminal) { next, m in
            { request, context in try m.handle(request, context, next: next) }
        }
    }
}
