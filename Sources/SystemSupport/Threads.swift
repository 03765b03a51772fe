import Glibc
import CSystem

private final class ThreadStart {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// A joinable OS thread. Event loops and workers are long-lived, so plain pthreads fit better
/// than a shared concurrency pool (a blocking libpq call must never stall unrelated work).
public struct OSThread: @unchecked Sendable {
    let handle: pthread_t

    /// Starts a named thread. Throws the pthread_create error number on failure.
    public static func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws -> OSThread {
        let start = Unmanaged.passRetained(ThreadStart({
            csystem_set_thread_name(String(name.prefix(15)))
            body()
        })).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let start = Unmanaged<ThreadStart>.fromOpaque(arg!).takeRetainedValue()
            start.body()
            return nil
        }, start)
        guard rc == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(start).release()
            throw ThreadError(code: rc)
        }
        return OSThread(handle: tid)
    }

    public func join() { pthread_join(handle, nil) }

    /// Lets the thread run on its own; its resources are freed when it ends.
    public func detach() { pthread_detach(handle) }
}

public struct ThreadError: Error, CustomStringConvertible {
    public let code: Int32
    public var description: String { "pthread_create failed: \(String(cString: strerror(code)))" }
}

/// A mutex with a condition variable on the monotonic clock (Synchronization.Mutex has no
/// wait): the worker queue and the connection pool's checkout wait on it.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    public func wait() { pthread_cond_wait(cond, mutex) }
    public func signal() { pthread_cond_signal(cond) }
    public func broadcast() { pthread_cond_broadcast(cond) }

    /// Waits until signalled or until `deadlineMs` on the monotonic clock; false on timeout.
    public func wait(untilMilliseconds deadlineMs: Int64) -> Bool {
        var ts = timespec(tv_sec: Int(deadlineMs / 1000), tv_nsec: Int(deadlineMs % 1000) * 1_000_000)
        return pthread_cond_timedwait(cond, mutex, &ts) != ETIMEDOUT
    }
}
