import Glibc
import CSystem

/// The epoll backend of an event loop: level-triggered, fds as keys.
struct Epoll {
    let fd: Int32
    static let readable = EPOLLIN.rawValue
    static let writable = EPOLLOUT.rawValue
    static let hangup = EPOLLHUP.rawValue | EPOLLERR.rawValue

    init() throws {
        fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw SystemError("epoll_create1") }
    }

    func add(_ target: Int32, _ events: UInt32) throws {
        guard csystem_epoll_ctl(fd, EPOLL_CTL_ADD, target, events) == 0 else { throw SystemError("epoll_ctl(ADD)") }
    }

    func modify(_ target: Int32, _ events: UInt32) {
        _ = csystem_epoll_ctl(fd, EPOLL_CTL_MOD, target, events)
    }

    func remove(_ target: Int32) {
        _ = csystem_epoll_ctl(fd, EPOLL_CTL_DEL, target, 0)
    }

    /// Waits for events; EINTR yields zero events.
    func wait(_ events: UnsafeMutablePointer<epoll_event>, capacity: Int32, timeoutMs: Int32) -> Int {
        let n = epoll_wait(fd, events, capacity, timeoutMs)
        return n < 0 ? 0 : Int(n)
    }
}

/// An eventfd other threads write to wake a loop out of epoll_wait.
struct EventFD: Sendable {
    let fd: Int32

    init() throws {
        fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw SystemError("eventfd") }
    }

    func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(fd, &one, 8)
    }

    func close() { _ = Glibc.close(fd) }

    func drain() {
        var value: UInt64 = 0
        _ = Glibc.read(fd, &value, 8)
    }
}
