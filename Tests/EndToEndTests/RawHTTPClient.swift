import Foundation
import Glibc

/// A parsed HTTP/1.1 response as read off the wire.
struct WireResponse {
    let status: Int
    let headers: [(String, String)]
    let body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    func headers(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
}

/// A blocking TCP client that sends raw bytes and parses responses itself, so tests control
/// every byte on the wire (pipelining, partial heads, smuggling attempts).
final class RawConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    /// `receiveBuffer`: SO_RCVBUF set before connecting (it sizes the TCP window). `source`: an
    /// IPv4 loopback address to connect from (127.0.0.2 is another client than 127.0.0.1).
    init(port: Int, host: String = "127.0.0.1", timeout: TimeInterval = 10, receiveBuffer: Int32? = nil, source: String? = nil) throws {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw E2EError("socket failed") }
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw E2EError("bind to \(source) failed: errno \(errno)")
            }
        }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var rc: Int32
        if family == AF_INET6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &addr.sin6_addr)
            rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &addr.sin_addr)
            rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard rc == 0 else {
            close(fd)
            throw E2EError("connect to \(host):\(port) failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw E2EError("send failed: errno \(errno)") }
            off += n
        }
    }

    /// Reads more bytes; false on EOF, timeout or error.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads one response. `head` means the request was HEAD (no body despite Content-Length).
    func readResponse(head: Bool = false) throws -> WireResponse {
        while true {
            if let r = try parse(head: head) { return r }
            guard fill() else { throw E2EError("connection closed or timed out before a full response (\(buffer.count) bytes buffered)") }
        }
    }

    /// Reads raw bytes (chunk framing included) until `text` has arrived; false on EOF or
    /// timeout. For endless bodies such as event streams.
    func readUntil(_ text: String) -> Bool {
        let pattern = Array(text.utf8)
        while true {
            if let at = find(pattern) {
                buffer.removeFirst(at + pattern.count)
                return true
            }
            guard fill() else { return false }
        }
    }

    /// True when the server closed the connection (EOF) within the socket timeout.
    func isClosedByPeer() -> Bool {
        if !buffer.isEmpty { return false }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        if n > 0 { buffer.append(byte) }
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    private func parse(head: Bool) throws -> WireResponse? {
        guard let end = find([13, 10, 13, 10]) else { return nil }
        let headText = String(decoding: buffer[0..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw E2EError("bad status line \(statusLine)") }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let c = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<c]), line[line.index(after: c)...].trimmingCharacters(in: .whitespaces))
        }
        let bodyStart = end + 4
        if status == 100 {
            buffer.removeFirst(bodyStart)
            return WireResponse(status: 100, headers: headers, body: [])
        }
        let noBody = head || status == 204 || status == 304
        if !noBody, headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased() == "chunked" }) {
            guard let (body, consumed) = Self.decodeChunked(Array(buffer[bodyStart...])) else { return nil }
            buffer.removeFirst(bodyStart + consumed)
            return WireResponse(status: status, headers: headers, body: body)
        }
        if !noBody && !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
            // Delimited by close (HTTP/1.0 streaming): read to EOF.
            while fill() {}
            let body = Array(buffer[bodyStart...])
            buffer.removeAll()
            return WireResponse(status: status, headers: headers, body: body)
        }
        let length = noBody ? 0 : Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
        guard buffer.count >= bodyStart + length else { return nil }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return WireResponse(status: status, headers: headers, body: body)
    }

    /// (body, bytes consumed) once the whole chunked body is buffered; nil while incomplete.
    /// Walks the chunk sizes first and copies only once the body is complete.
    static func decodeChunked(_ bytes: [UInt8]) -> ([UInt8], Int)? {
        var i = 0
        var pieces: [Range<Int>] = []
        while true {
            var lineEnd = i
            while lineEnd + 1 < bytes.count && !(bytes[lineEnd] == 13 && bytes[lineEnd + 1] == 10) { lineEnd += 1 }
            guard lineEnd + 1 < bytes.count else { return nil }
            let sizeText = String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText, radix: 16) else { return nil }
            i = lineEnd + 2
            if size == 0 {
                guard bytes.count >= i + 2 else { return nil }
                var body: [UInt8] = []
                body.reserveCapacity(pieces.reduce(0) { $0 + $1.count })
                for p in pieces { body.append(contentsOf: bytes[p]) }
                return (body, i + 2) // no trailers from our server
            }
            guard bytes.count >= i + size + 2 else { return nil }
            pieces.append(i..<(i + size))
            i += size + 2
        }
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where buffer[i] == pattern[0] && Array(buffer[i..<(i + pattern.count)]) == pattern {
            return i
        }
        return nil
    }
}

extension ServerProcess {
    /// One request on a fresh connection.
    func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> WireResponse {
        let c = try RawConnection(port: port)
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (n, v) in headers { text += "\(n): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        try c.send(Array(text.utf8) + body)
        return try c.readResponse(head: method == "HEAD")
    }
}
