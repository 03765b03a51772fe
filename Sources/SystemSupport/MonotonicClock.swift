import Glibc

/// Time on the monotonic clock: immune to wall-clock jumps, so timeouts and durations stay honest.
public enum MonotonicClock {
    @inline(__always) public static func nanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    @inline(__always) public static func milliseconds() -> Int64 { nanoseconds() / 1_000_000 }

    public static func seconds() -> Double { Double(nanoseconds()) / 1e9 }
}
