import Glibc

/// Path parameters captured by a route pattern such as `/api/v1/projects/:id`.
public struct RouteParameters: Sendable {
    public private(set) var pairs: [(name: String, value: String)] = []

    public init() {}

    mutating func append(_ name: String, _ value: String) { pairs.append((name, value)) }

    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }
}

public struct RouterError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) { self.description = description }
}

/// Collects routes, rejecting conflicts as they are added, then freezes into a `Router`.
public struct RouterBuilder<Handler: Sendable> {
    fileprivate var nodes: [RouteNode] = [RouteNode()]
    fileprivate var handlers: [Handler] = []

    public init() {}

    /// Registers `handler` for `method` on `pattern`. Segments starting with ":" are parameters.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: Handler) throws {
        guard pattern.hasPrefix("/") else { throw RouterError(description: "pattern \(pattern) must start with /") }
        var node = 0
        for segment in pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst() where !(pattern == "/") {
            if segment.hasPrefix(":") {
                let name = String(segment.dropFirst())
                guard !name.isEmpty else { throw RouterError(description: "empty parameter name in \(pattern)") }
                if let existing = nodes[node].param {
                    guard existing.name == name else {
                        throw RouterError(description: "parameter :\(name) in \(pattern) conflicts with :\(existing.name)")
                    }
                    node = existing.child
                } else {
                    nodes.append(RouteNode())
                    nodes[node].param = (name, nodes.count - 1)
                    node = nodes.count - 1
                }
            } else {
                let bytes = Array(segment.utf8)
                if let existing = nodes[node].statics.first(where: { $0.segment == bytes }) {
                    node = existing.child
                } else {
                    nodes.append(RouteNode())
                    nodes[node].statics.append((bytes, nodes.count - 1))
                    node = nodes.count - 1
                }
            }
        }
        if nodes[node].routes[method] != nil {
            throw RouterError(description: "route \(method) \(pattern) registered twice")
        }
        if let existingPattern = nodes[node].pattern, existingPattern != pattern {
            throw RouterError(description: "pattern \(pattern) conflicts with \(existingPattern)")
        }
        handlers.append(handler)
        nodes[node].routes[method] = handlers.count - 1
        nodes[node].pattern = pattern
    }

    public func freeze() -> Router<Handler> { Router(nodes: nodes, handlers: handlers) }
}

fileprivate struct RouteNode: @unchecked Sendable {
    var statics: [(segment: [UInt8], child: Int)] = []
    var param: (name: String, child: Int)?
    var routes = MethodTable()
    var pattern: String?
}

/// Handler indices by method, in an array indexed by the method's raw value: looked up on
/// every request, so without hashing.
fileprivate struct MethodTable {
    private var slots = [Int](repeating: -1, count: HTTPMethod.allCases.count)

    subscript(method: HTTPMethod) -> Int? {
        get {
            let v = slots[Int(method.rawValue)]
            return v < 0 ? nil : v
        }
        set { slots[Int(method.rawValue)] = newValue ?? -1 }
    }

    var isEmpty: Bool { !slots.contains { $0 >= 0 } }
    var methods: [HTTPMethod] { HTTPMethod.allCases.filter { self[$0] != nil } }
}

/// An immutable route trie. Static segments win over parameters, with backtracking, so
/// `/a/new` and `/a/:id` can coexist.
public struct Router<Handler: Sendable>: Sendable {
    fileprivate let nodes: [RouteNode]
    fileprivate let handlers: [Handler]

    public enum Match {
        case found(Handler, parameters: RouteParameters, pattern: String)
        /// The path exists but not for this method; `allowed` lists what does.
        case methodNotAllowed(allowed: [HTTPMethod], pattern: String)
        case notFound
    }

    public var routeCount: Int { handlers.count }

    /// Matches a raw (percent-encoded) path. HEAD falls back to GET. Segments are walked in
    /// place, without splitting the path into an array.
    public func match(_ method: HTTPMethod, rawPath: ArraySlice<UInt8>) -> Match {
        guard rawPath.first == UInt8(ascii: "/") || rawPath.isEmpty else { return .notFound }
        var params = RouteParameters()
        let first: Int? = rawPath.count > 1 ? rawPath.startIndex + 1 : nil
        guard let node = find(0, rawPath, first, &params) else { return .notFound }
        // Fields read in place: a copy of the node would retain and release each of them.
        if let h = nodes[node].routes[method] ?? (method == .HEAD ? nodes[node].routes[.GET] : nil) {
            return .found(handlers[h], parameters: params, pattern: nodes[node].pattern ?? "")
        }
        var allowed = Set(nodes[node].routes.methods)
        if allowed.contains(.GET) { allowed.insert(.HEAD) }
        allowed.insert(.OPTIONS)
        return .methodNotAllowed(allowed: HTTPMethod.allCases.filter { allowed.contains($0) }, pattern: nodes[node].pattern ?? "")
    }

    /// Matches the segment starting at `start` (nil: the path is used up) and what follows.
    private func find(_ node: Int, _ path: ArraySlice<UInt8>, _ start: Int?, _ params: inout RouteParameters) -> Int? {
        guard let start else { return nodes[node].routes.isEmpty ? nil : node }
        var end = start
        while end < path.endIndex && path[end] != UInt8(ascii: "/") { end += 1 }
        let segment = path[start..<end]
        let next: Int? = end < path.endIndex ? end + 1 : nil
        let decoded: [UInt8]? = segment.contains(UInt8(ascii: "%")) ? PercentDecoding.decode(segment, plusAsSpace: false) : nil
        for k in nodes[node].statics.indices {
            let equal = decoded.map { $0 == nodes[node].statics[k].segment } ?? Self.bytesEqual(nodes[node].statics[k].segment, segment)
            if equal, let found = find(nodes[node].statics[k].child, path, next, &params) { return found }
        }
        if let p = nodes[node].param, !segment.isEmpty {
            let value = String(decoding: decoded ?? Array(segment), as: UTF8.self)
            let mark = params.pairs.count
            params.append(p.name, value)
            if let found = find(p.child, path, next, &params) { return found }
            params.truncate(to: mark)
        }
        return nil
    }
}

extension Router {
    /// Length first, then the bytes in place.
    @inline(__always) fileprivate static func bytesEqual(_ a: [UInt8], _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 }
        }
    }
}

extension RouteParameters {
    fileprivate mutating func truncate(to count: Int) { pairs.removeLast(pairs.count - count) }
}
