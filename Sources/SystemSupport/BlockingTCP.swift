import Glibc

/// A blocking TCP connection with send and receive timeouts (SO_SNDTIMEO also bounds connect
/// on Linux), for the clients that talk to one peer at a time: Redis, outbound HTTP.
public enum BlockingTCP {
    public struct Failure: Error, CustomStringConvertible {
        public enum Kind: Sendable { case resolve, socket, connect, timeout }
        public let kind: Kind
        public let description: String
    }

    /// The connected socket's descriptor; the caller closes it.
    public static func connect(host: String, port: Int, timeoutMs: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw Failure(kind: .resolve, description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(kind: .socket, description: "socket failed (errno \(errno))") }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let e = errno
            close(fd)
            throw Failure(kind: e == EINPROGRESS || e == EAGAIN ? .timeout : .connect, description: "connect to \(host):\(port) failed (errno \(e))")
        }
        return fd
    }
}
