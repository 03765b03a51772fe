import HTTPServer

/// One layer of request handling. It may answer itself, or call `next` and adjust the response.
public protocol Middleware: Sendable {
    func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response
}

/// The rest of the chain after one middleware: the remaining middleware and finally the
/// handler. Every request walks the whole chain, so a step must cost little: one dynamic
/// dispatch to a link built at start-up, no closure context or boxed middleware to copy.
public struct Responder: @unchecked Sendable {
    /// Not counted: the application holds its chains for the life of the process, and a
    /// Responder only exists while a request is walking one. Called through a guaranteed
    /// reference, so no step of the chain retains or releases a link (links are shared by
    /// every event loop; counting them would write one cache line from all of them).
    let link: Unmanaged<ChainLink>

    public func callAsFunction(_ request: Request, _ context: RequestContext) throws -> Response {
        try link._withUnsafeGuaranteedRef { try $0.respond(request, context) }
    }
}

/// One step of a chain: a middleware with its successor, or the terminal handler. A class
/// (not a protocol) so a link can be held as `Unmanaged`.
class ChainLink: @unchecked Sendable {
    func respond(_ request: Request, _ context: RequestContext) throws -> Response {
        // Only the subclasses below are ever linked.
        throw AppError(.internalError, "An internal error occurred")
    }
}

/// A middleware of a concrete type, so calling it needs no existential box.
private final class MiddlewareLink<M: Middleware>: ChainLink, @unchecked Sendable {
    let middleware: M
    /// Not counted either: the chain owns every link.
    let next: Unmanaged<ChainLink>

    init(_ middleware: M, next: ChainLink) {
        self.middleware = middleware
        self.next = Unmanaged.passUnretained(next)
    }

    override func respond(_ request: Request, _ context: RequestContext) throws -> Response {
        try middleware.handle(request, context, next: Responder(link: next))
    }
}

private final class TerminalLink: ChainLink, @unchecked Sendable {
    let handler: MiddlewareChain.Terminal

    init(_ handler: @escaping MiddlewareChain.Terminal) { self.handler = handler }

    override func respond(_ request: Request, _ context: RequestContext) throws -> Response { try handler(request, context) }
}

/// Middleware, outermost first, around a terminal handler; linked once at start-up.
final class MiddlewareChain: Sendable {
    typealias Terminal = @Sendable (Request, RequestContext) throws -> Response
    /// Every link, innermost first: they refer to each other without counting.
    private let links: [ChainLink]

    init(_ middleware: [any Middleware], terminal: @escaping Terminal) {
        var all: [ChainLink] = [TerminalLink(terminal)]
        for m in middleware.reversed() { all.append(Self.link(m, next: all[all.count - 1])) }
        links = all
    }

    private static func link<M: Middleware>(_ middleware: M, next: ChainLink) -> ChainLink {
        MiddlewareLink(middleware, next: next)
    }

    func callAsFunction(_ request: Request, _ context: RequestContext) throws -> Response {
        try Responder(link: Unmanaged.passUnretained(links[links.count - 1]))(request, context)
    }
}
