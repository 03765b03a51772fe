import Glibc
import CSystem

/// Listening and accepted sockets: thin wrappers that turn errno into `SystemError`.
enum Socket {
    /// Creates a non-blocking, close-on-exec listening socket. With `reusePort` several loops
    /// can bind the same port and the kernel spreads connections across them.
    static func listen(host: String, port: Int, reusePort: Bool, backlog: Int32, listening: Bool = true) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let info = result else {
            throw SystemError("getaddrinfo(\(host)): \(String(cString: gai_strerror(rc)))", errno: EINVAL)
        }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size)) }
        if info.pointee.ai_family == AF_INET6 {
            // "::" should also accept IPv4 clients (as mapped addresses).
            var off: Int32 = 0
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let e = SystemError(errno == EADDRINUSE ? "bind(\(host):\(port)): the port is in use by another process (REUSE_PORT=true shares it)" : "bind(\(host):\(port))")
            close(fd)
            throw e
        }
        guard !listening || Glibc.listen(fd, backlog) == 0 else {
            let e = SystemError("listen")
            close(fd)
            throw e
        }
        return fd
    }

    /// Throws EADDRINUSE when another socket (of any process) listens on host:port. The probe
    /// binds without SO_REUSEPORT, which the kernel refuses while a listener holds the port.
    static func ensurePortFree(host: String, port: Int) throws {
        let probe = try listen(host: host, port: port, reusePort: false, backlog: 1, listening: false)
        close(probe)
    }

    /// The port a socket is bound to (used when PORT=0 asks the kernel to pick).
    static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { p -> Int in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    enum AcceptResult {
        case accepted(fd: Int32, address: String)
        case wouldBlock
        /// Transient (EMFILE, ENFILE, ENOBUFS, ...): log and try again on the next wake-up.
        case failed(SystemError)
    }

    static func accept(_ listenFD: Int32) -> AcceptResult {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    CSystem.accept4(listenFD, $0, &len, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
                }
            }
            if fd >= 0 {
                var on: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                return .accepted(fd: fd, address: addressString(&storage))
            }
            switch errno {
            case EINTR, ECONNABORTED: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(SystemError("accept4"))
            }
        }
    }

    /// Numeric host of a peer address; IPv4-mapped IPv6 addresses are shown as plain IPv4 so that
    /// one client has one identity whichever way it connected.
    static func addressString(_ storage: inout sockaddr_storage) -> String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if storage.ss_family == sa_family_t(AF_INET) {
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var a = sin.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
                }
            }
        } else if storage.ss_family == sa_family_t(AF_INET6) {
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var a = sin6.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
                }
            }
        } else {
            return "unknown"
        }
        let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return s.hasPrefix("::ffff:") && s.contains(".") ? String(s.dropFirst(7)) : s
    }
}
