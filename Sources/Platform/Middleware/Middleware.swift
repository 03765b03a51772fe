import HTTPServer

/// One layer of request handling. It may answer itself, or call `next` and adjust the response.
public protocol Middleware: Sendable {
    func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response
}

/// The rest of the chain after one middleware: the remaining middleware and finally the
/// handler. Every request walks the whole chain, so a step must cost little: one dynamic
/// dispatch to a link built at start-up, no closure context or boxed middleware to copy.
public struct Responder: Sendable {
    /// Not counted: the application holds its chains for the life of the process, and a
    /// Responder only exists while a request is walking one.
    unowned(unsafe) let link: any ChainLink

    public func callAsFunction(_ request: Request, _ context: RequestContext) throws -> Response {
        try link.respond(request, context)
    }
}

/// One step of a chain: a middleware with its successor, or the terminal handler.
protocol ChainLink: AnyObject, Sendable {
    func respond(_ request: Request, _ context: RequestContext) throws -> Response
}

/// A middleware of a concrete type, so calling it needs no existential box.
private final class MiddlewareLink<M: Middleware>: ChainLink {
    let middleware: M
    let next: any ChainLink

    init(_ middleware: M, next: any ChainLink) {
        self.middleware = middleware
        self.next = next
    }

    func respond(_ request: Request, _ context: RequestContext) throws -> Response {
        try middleware.handle(request, context, next: Responder(link: next))
    }
}

private final class TerminalLink: ChainLink {
    let handler: MiddlewareChain.Terminal

    init(_ handler: @escaping MiddlewareChain.Terminal) { self.handler = handler }

    func respond(_ request: Request, _ context: RequestContext) throws -> Response { try handler(request, context) }
}

/// Middleware, outermost first, around a terminal handler; linked once at start-up.
final class MiddlewareChain: Sendable {
    typealias Terminal = @Sendable (Request, RequestContext) throws -> Response
    private let first: any ChainLink

    init(_ middleware: [any Middleware], terminal: @escaping Terminal) {
        var link: any ChainLink = TerminalLink(terminal)
        for m in middleware.reversed() { link = Self.link(m, next: link) }
        first = link
    }

    private static func link<M: Middleware>(_ middleware: M, next: any ChainLink) -> any ChainLink {
        MiddlewareLink(middleware, next: next)
    }

    func callAsFunction(_ request: Request, _ context: RequestContext) throws -> Response {
        try first.respond(request, context)
    }
}
