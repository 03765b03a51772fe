/// Request methods the server understands: a known method a route does not serve is 405 with
/// Allow; anything else that is a valid token is answered 501. QUERY (the safe method with a
/// body, IANA-registered) is known so that clients trying it learn what the route allows.
public enum HTTPMethod: UInt8, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    case GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE, CONNECT, QUERY

    public var description: String {
        switch self {
        case .GET: "GET"
        case .HEAD: "HEAD"
        case .POST: "POST"
        case .PUT: "PUT"
        case .DELETE: "DELETE"
        case .PATCH: "PATCH"
        case .OPTIONS: "OPTIONS"
        case .TRACE: "TRACE"
        case .CONNECT: "CONNECT"
        case .QUERY: "QUERY"
        }
    }

    /// The method of this exact (case-sensitive) name.
    public init?(name: String) {
        guard let m = ResponseHeaders.withBytes(name, { Self.parse($0, 0, $0.count) }) else { return nil }
        self = m
    }

    /// Matches the method token without building a String.
    static func parse(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> HTTPMethod? {
        let n = end - start
        @inline(__always) func eq(_ s: StaticString) -> Bool {
            guard s.utf8CodeUnitCount == n else { return false }
            let u = s.utf8Start
            for i in 0..<n where p[start + i] != u[i] { return false }
            return true
        }
        switch n {
        case 3: return eq("GET") ? .GET : eq("PUT") ? .PUT : nil
        case 4: return eq("HEAD") ? .HEAD : eq("POST") ? .POST : nil
        case 5: return eq("PATCH") ? .PATCH : eq("TRACE") ? .TRACE : eq("QUERY") ? .QUERY : nil
        case 6: return eq("DELETE") ? .DELETE : nil
        case 7: return eq("OPTIONS") ? .OPTIONS : eq("CONNECT") ? .CONNECT : nil
        default: return nil
        }
    }
}

public enum HTTPVersion: Sendable, Equatable {
    case http1_0, http1_1

    var bytes: StaticString { self == .http1_0 ? "HTTP/1.0" : "HTTP/1.1" }
}
