import Glibc
import SystemSupport

/// An event loop's connection to the admission service: non-blocking, registered in the loop's
/// epoll, checks pipelined and answered in order. Touched only by its loop's thread.
final class AdmissionClient {
    struct Pending {
        let connection: Connection
        let sequence: UInt64
        let request: Request
        let plan: RoutePlan
        let check: AdmissionCheck
        let sentAt: Int64
    }

    let service: any AdmissionService
    private(set) var fd: Int32 = -1
    private var connected = false
    private var retryAt: Int64 = 0
    private var output: [UInt8] = []
    private var input: [UInt8] = []
    private var skipReplies = 0
    private var pending: [Pending] = []
    private var pendingHead = 0

    init(service: any AdmissionService) { self.service = service }

    var interest: UInt32 { output.isEmpty && connected ? Epoll.readable : Epoll.readable | Epoll.writable }

    /// Queues a check. Returns the checks to resolve now without an answer (no connection and
    /// none may be attempted yet).
    func submit(_ p: Pending, loop: EventLoop) -> [Pending] {
        if fd < 0 {
            guard loop.now >= retryAt, connect(loop) else { return [p] }
        }
        pending.append(p)
        output.append(contentsOf: p.check.command)
        if connected { flush(loop) } else { loop.epoll.modify(fd, interest) }
        return []
    }

    private func connect(_ loop: EventLoop) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(service.host, String(service.port), &hints, &result) == 0, let info = result else {
            retryAt = loop.now + 1_000
            return false
        }
        defer { freeaddrinfo(result) }
        let s = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else {
            retryAt = loop.now + 1_000
            return false
        }
        var on: Int32 = 1
        setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        let rc = Glibc.connect(s, info.pointee.ai_addr, info.pointee.ai_addrlen)
        guard rc == 0 || errno == EINPROGRESS else {
            close(s)
            retryAt = loop.now + 1_000
            return false
        }
        fd = s
        connected = rc == 0
        output = service.handshake + output
        skipReplies = service.handshakeReplies
        do {
            try loop.epoll.add(fd, Epoll.readable | Epoll.writable)
        } catch {
            close(fd)
            fd = -1
            retryAt = loop.now + 1_000
            return false
        }
        return true
    }

    /// Socket events: finishes connecting, writes what is queued, reads replies. Returns the
    /// checks answered (reply bytes, or nil when the connection failed).
    func handle(_ mask: UInt32, loop: EventLoop) -> [(Pending, [UInt8]?)] {
        if mask & Epoll.hangup != 0 && mask & Epoll.readable == 0 { return fail(loop) }
        if !connected && mask & Epoll.writable != 0 {
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            guard err == 0 else { return fail(loop) }
            connected = true
        }
        if connected && !output.isEmpty && !flush(loop) { return fail(loop) }
        guard mask & Epoll.readable != 0 else { return [] }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                input.append(contentsOf: chunk[0..<n])
                if n < chunk.count { break }
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                break
            } else {
                return fail(loop)
            }
        }
        var answered: [(Pending, [UInt8]?)] = []
        var offset = 0
        while offset < input.count {
            let found: Int?
            do { found = try service.replyLength(input, from: offset) } catch { return answered + fail(loop) }
            guard let length = found else { break }
            let reply = Array(input[offset..<(offset + length)])
            offset += length
            if skipReplies > 0 {
                skipReplies -= 1
                continue
            }
            guard pendingHead < pending.count else { return answered + fail(loop) }
            answered.append((pending[pendingHead], reply))
            pendingHead += 1
        }
        input.removeFirst(offset)
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        return answered
    }

    /// Writes what the socket takes; false on a broken connection.
    @discardableResult
    private func flush(_ loop: EventLoop) -> Bool {
        while !output.isEmpty {
            let n = output.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                output.removeFirst(n)
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                break
            } else {
                return false
            }
        }
        loop.epoll.modify(fd, interest)
        return true
    }

    /// Checks waiting longer than the service's timeout: the connection is given up (later
    /// replies could no longer be matched) and every waiting check resolves without answer.
    func expire(loop: EventLoop) -> [(Pending, [UInt8]?)] {
        guard pendingHead < pending.count, loop.now - pending[pendingHead].sentAt >= Int64(service.timeoutMs) else { return [] }
        return fail(loop)
    }

    var hasPending: Bool { pendingHead < pending.count }

    private func fail(_ loop: EventLoop) -> [(Pending, [UInt8]?)] {
        let failed = pending[pendingHead...].map { ($0, nil as [UInt8]?) }
        if fd >= 0 {
            loop.epoll.remove(fd)
            close(fd)
        }
        fd = -1
        connected = false
        output = []
        input = []
        pending = []
        pendingHead = 0
        retryAt = loop.now + 1_000
        return failed
    }
}
