import Glibc
import SystemSupport

/// One blocking connection to Redis with short timeouts: a rate-limit check must fail fast,
/// not hang a worker, when Redis is slow or gone. Used by one thread at a time.
final class RedisConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    /// Connects to `host:port` (numeric or resolvable), authenticates and selects `database`.
    init(_ endpoint: RedisEndpoint, timeoutMs: Int) throws {
        do {
            fd = try BlockingTCP.connect(host: endpoint.host, port: endpoint.port, timeoutMs: timeoutMs)
        } catch let e as BlockingTCP.Failure {
            throw Failure(description: e.description)
        }
        for command in endpoint.setupCommands {
            guard case .simple = try call(command) else { throw Failure(description: "\(command[0]) refused") }
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Sends one command and reads its reply. Any I/O problem throws; the connection must then
    /// be discarded.
    func call(_ args: [String]) throws -> RESPValue {
        let bytes = RESP.command(args)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { throw Failure(description: "write failed (errno \(errno))") }
        }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            switch RESP.parse(buffer) {
            case .value(let v, let consumed):
                buffer.removeFirst(consumed)
                return v
            case .invalid:
                throw Failure(description: "malformed reply")
            case .incomplete:
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    buffer.append(contentsOf: chunk[0..<n])
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    throw Failure(description: n == 0 ? "connection closed" : "read failed (errno \(errno))")
                }
            }
        }
    }
}

/// Where Redis is: redis://[[user]:password@]host[:port][/db].
public struct RedisEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    /// What a new connection sends before anything else: AUTH when a password is set, SELECT
    /// for a database other than 0.
    var setupCommands: [[String]] {
        var commands: [[String]] = []
        if let password { commands.append(username.map { ["AUTH", $0, password] } ?? ["AUTH", password]) }
        if database != 0 { commands.append(["SELECT", String(database)]) }
        return commands
    }

    public init?(url: String) {
        guard url.hasPrefix("redis://") else { return nil }
        var rest = Substring(url.dropFirst("redis://".count))
        username = nil
        password = nil
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = String(userInfo[..<colon])
                username = user.isEmpty ? nil : user
                password = String(userInfo[userInfo.index(after: colon)...])
            } else {
                password = String(userInfo)
            }
        }
        var hostPort = rest
        database = 0
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let d = Int(db), (0...15).contains(d) else { return nil }
                database = d
            }
        }
        if let colon = hostPort.lastIndex(of: ":") {
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            host = String(hostPort[..<colon])
        } else {
            port = 6379
            host = String(hostPort)
        }
        guard !host.isEmpty else { return nil }
    }
}
