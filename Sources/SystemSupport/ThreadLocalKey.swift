import Glibc

/// A per-thread slot holding one object of type `T`, created on first use on each thread and
/// released when the thread ends. For caches that must not take a lock on hot paths; typed so
/// that a lookup is a load, not a dynamic cast.
public final class ThreadLocalKey<T: AnyObject>: @unchecked Sendable {
    private var key = pthread_key_t()

    public init() {
        pthread_key_create(&key) { Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer($0!)).release() }
    }

    /// This thread's object, made by `make` the first time.
    @inline(__always)
    public func value(_ make: () -> T) -> T {
        if let p = pthread_getspecific(key) { return Unmanaged<T>.fromOpaque(p).takeUnretainedValue() }
        let object = make()
        pthread_setspecific(key, Unmanaged.passRetained(object).toOpaque())
        return object
    }
}
