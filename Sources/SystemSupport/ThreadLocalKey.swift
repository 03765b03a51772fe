import Glibc

/// A per-thread slot holding one object, created on first use on each thread and released
/// when the thread ends. For caches that must not take a lock on hot paths.
public final class ThreadLocalKey: @unchecked Sendable {
    private var key = pthread_key_t()

    public init() {
        pthread_key_create(&key) { Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer($0!)).release() }
    }

    /// This thread's object, made by `make` the first time.
    public func value<T: AnyObject>(_ make: () -> T) -> T {
        if let p = pthread_getspecific(key) { return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as! T }
        let object = make()
        pthread_setspecific(key, Unmanaged.passRetained(object as AnyObject).toOpaque())
        return object
    }
}
