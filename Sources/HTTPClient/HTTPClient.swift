import COpenSSL
import Glibc
import SystemSupport

/// A small blocking HTTP/1.1 client for outbound calls (market data, object storage): one
/// request per connection, http or https. TLS through OpenSSL: TLS 1.2 or newer, the
/// certificate chain verified against the system's CAs (or `caFile`) and the host name checked.
/// Every socket operation has a timeout, and the whole exchange a deadline.
public final class HTTPClient: @unchecked Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public enum Kind: String, Sendable { case resolve, connect, tls, timeout, protocolError, tooLarge, io }
        public let kind: Kind
        public let message: String
        public var description: String { "\(kind.rawValue): \(message)" }
    }

    public let timeoutMs: Int
    public let maxResponseBytes: Int
    private let context: OpaquePointer

    public init(caFile: String? = nil, timeoutMs: Int = 15_000, maxResponseBytes: Int = 64 << 20) throws {
        self.timeoutMs = timeoutMs
        self.maxResponseBytes = maxResponseBytes
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw Failure(kind: .tls, message: "SSL_CTX_new failed") }
        context = ctx
        SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        let loaded = caFile.map { SSL_CTX_load_verify_locations(ctx, $0, nil) } ?? SSL_CTX_set_default_verify_paths(ctx)
        guard loaded == 1 else {
            SSL_CTX_free(ctx)
            throw Failure(kind: .tls, message: "cannot load CA certificates" + (caFile.map { " from \($0)" } ?? ""))
        }
    }

    deinit { SSL_CTX_free(context) }

    /// Sends one request and reads the whole response.
    public func send(method: String, url: URLParts, headers: [(String, String)] = [], body: [UInt8] = []) throws -> Response {
        let deadline = Self.nowMs() + Int64(timeoutMs)
        let connection = try Connection(url: url, timeoutMs: timeoutMs, context: url.secure ? context : nil)
        var head = "\(method) \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nConnection: close\r\n"
        if !headers.contains(where: { $0.0.lowercased() == "user-agent" }) { head += "User-Agent: apiserver\r\n" }
        for (n, v) in headers {
            guard !n.contains(where: { $0 == "\r" || $0 == "\n" }) && !v.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw Failure(kind: .protocolError, message: "header \(n) contains a line break")
            }
            head += "\(n): \(v)\r\n"
        }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try connection.write(Array(head.utf8) + body, deadline: deadline)
        var reader = ResponseReader(connection: connection, deadline: deadline, maxBytes: maxResponseBytes)
        return try reader.read(method: method)
    }

    static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// One TCP (and maybe TLS) connection with per-operation timeouts.
final class Connection {
    private var fd: Int32 = -1
    private var ssl: OpaquePointer?

    init(url: URLParts, timeoutMs: Int, context: OpaquePointer?) throws {
        do {
            fd = try BlockingTCP.connect(host: url.host, port: url.port, timeoutMs: timeoutMs)
        } catch let e as BlockingTCP.Failure {
            let kind: HTTPClient.Failure.Kind = switch e.kind {
            case .resolve: .resolve
            case .timeout: .timeout
            case .socket, .connect: .connect
            }
            throw HTTPClient.Failure(kind: kind, message: e.description)
        }
        guard let context else { return }
        guard let s = SSL_new(context) else { throw HTTPClient.Failure(kind: .tls, message: "SSL_new failed") }
        ssl = s
        SSL_set_fd(s, fd)
        // SNI, and the name the certificate must carry (an IP address is checked as one).
        var address = in_addr()
        if inet_pton(AF_INET, url.host, &address) != 1 && !url.host.contains(":") {
            _ = url.host.withCString { SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
            SSL_set1_host(s, url.host)
        } else {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), url.host)
        }
        guard SSL_connect(s) == 1 else {
            let verify = SSL_get_verify_result(s)
            let reason = verify != X509_V_OK ? "certificate verification failed: " + String(cString: X509_verify_cert_error_string(verify))
                : Self.lastError()
            throw HTTPClient.Failure(kind: .tls, message: "TLS handshake with \(url.hostHeader) failed: \(reason)")
        }
    }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "connection closed or timed out" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        if let ssl {
            SSL_shutdown(ssl)
            SSL_free(ssl)
        }
        if fd >= 0 { close(fd) }
    }

    func write(_ bytes: [UInt8], deadline: Int64) throws {
        var offset = 0
        while offset < bytes.count {
            guard HTTPClient.nowMs() < deadline else { throw HTTPClient.Failure(kind: .timeout, message: "sending the request timed out") }
            let n = bytes.withUnsafeBytes { raw -> Int in
                let p = raw.baseAddress! + offset
                if let ssl { return Int(SSL_write(ssl, p, Int32(min(raw.count - offset, 1 << 20)))) }
                return Glibc.send(fd, p, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                throw HTTPClient.Failure(kind: errno == EAGAIN ? .timeout : .io, message: "write failed (errno \(errno))")
            }
            offset += n
        }
    }

    /// Up to `max` bytes; 0 at end of stream.
    func read(into buffer: inout [UInt8], max: Int) throws -> Int {
        var chunk = [UInt8](repeating: 0, count: max)
        while true {
            let n = chunk.withUnsafeMutableBytes { raw -> Int in
                if let ssl { return Int(SSL_read(ssl, raw.baseAddress!, Int32(raw.count))) }
                return Glibc.recv(fd, raw.baseAddress!, raw.count, 0)
            }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return n
            }
            if let ssl {
                let e = SSL_get_error(ssl, Int32(n))
                if e == SSL_ERROR_ZERO_RETURN { return 0 }
                if e == SSL_ERROR_SYSCALL && n == 0 && errno == 0 { return 0 }
                if e == SSL_ERROR_WANT_READ || errno == EAGAIN { throw HTTPClient.Failure(kind: .timeout, message: "reading the response timed out") }
                throw HTTPClient.Failure(kind: .io, message: "TLS read failed: \(Self.lastError())")
            }
            if n == 0 { return 0 }
            if errno == EINTR { continue }
            throw HTTPClient.Failure(kind: errno == EAGAIN ? .timeout : .io, message: errno == EAGAIN ? "reading the response timed out" : "read failed (errno \(errno))")
        }
    }
}
