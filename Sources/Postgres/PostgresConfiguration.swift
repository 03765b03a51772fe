/// How to reach the database and how to size the pool.
public struct PostgresConfiguration: Sendable {
    /// libpq connection URI, e.g. postgresql://user@127.0.0.1:5432/apiserver
    public var url: String
    public var applicationName = "apiserver"
    public var connectTimeoutSeconds = 5
    /// Server-side statement_timeout for every statement on pooled connections.
    public var statementTimeoutMs = 15_000
    /// Connections kept open.
    public var poolSize = 8
    /// Extra connections opened under load and closed when returned while `poolSize` are idle.
    public var maxOverflow = 4
    /// Longest wait for a free connection before giving up (the request gets 503).
    public var checkoutTimeoutMs = 5_000
    /// A connection idle longer than this is pinged before it is handed out.
    public var validateAfterIdleMs = 30_000
    /// Connections older than this are closed and replaced when returned.
    public var recycleAfterMs = 3_600_000
    /// Prepared statements remembered per connection.
    public var statementCacheSize = 256

    public init(url: String) { self.url = url }

    /// The URL with any password replaced, for logs.
    public var redactedURL: String {
        guard let scheme = url.firstRange(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let userInfo = url[scheme.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":****" + String(url[at...])
    }
}
