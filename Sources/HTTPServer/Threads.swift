import Glibc
import CSystem

private final class ThreadStart {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// A joinable OS thread. Event loops and workers are long-lived, so plain pthreads fit better
/// than a shared concurrency pool (a blocking libpq call must never stall unrelated work).
struct OSThread: @unchecked Sendable {
    let handle: pthread_t

    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws -> OSThread {
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
            throw SystemError("pthread_create", errno: rc)
        }
        return OSThread(handle: tid)
    }

    func join() { pthread_join(handle, nil) }
}

/// A mutex with a condition variable, for the worker queue (Synchronization.Mutex has no wait).
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func wait() { pthread_cond_wait(cond, mutex) }
    func signal() { pthread_cond_signal(cond) }
    func broadcast() { pthread_cond_broadcast(cond) }
}
