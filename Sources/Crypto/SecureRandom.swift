import COpenSSL
import Glibc

/// Cryptographically strong random bytes from OpenSSL's DRBG.
///
/// Small requests (request ids, tokens) are served from a per-thread cache refilled 4 KiB at a
/// time: OpenSSL 3 looks up its provider on every RAND_bytes call, which cost ~7% of a request
/// when called per request. The bytes are the same DRBG output either way.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        if count <= 64 { return ThreadCache.current.take(count) }
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { fill($0) }
        return out
    }

    static func fill(_ buf: UnsafeMutableBufferPointer<UInt8>) {
        // RAND_bytes only fails if the DRBG cannot be seeded; then nothing random is safe.
        precondition(RAND_bytes(buf.baseAddress, Int32(buf.count)) == 1, "OpenSSL RAND_bytes failed")
    }

    private final class ThreadCache {
        private var pool = [UInt8](repeating: 0, count: 4096)
        private var used = 4096

        nonisolated(unsafe) private static var key: pthread_key_t = {
            var k = pthread_key_t()
            pthread_key_create(&k) { Unmanaged<ThreadCache>.fromOpaque(UnsafeRawPointer($0!)).release() }
            return k
        }()

        static var current: ThreadCache {
            if let p = pthread_getspecific(key) { return Unmanaged<ThreadCache>.fromOpaque(p).takeUnretainedValue() }
            let cache = ThreadCache()
            pthread_setspecific(key, Unmanaged.passRetained(cache).toOpaque())
            return cache
        }

        func take(_ n: Int) -> [UInt8] {
            if used + n > pool.count {
                pool.withUnsafeMutableBufferPointer { SecureRandom.fill($0) }
                used = 0
            }
            // Bytes handed out are overwritten so they can never be handed out twice.
            defer {
                for i in used..<(used + n) { pool[i] = 0 }
                used += n
            }
            return Array(pool[used..<(used + n)])
        }
    }

    /// Random bytes as lowercase hex.
    public static func hex(_ count: Int) -> String { Hex.encode(bytes(count)) }
}

/// Comparisons whose time does not depend on where inputs differ (tokens, MACs).
public enum ConstantTime {
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }

    public static func equals(_ a: String, _ b: String) -> Bool { equals(Array(a.utf8), Array(b.utf8)) }
}

public enum Hex {
    /// The lowercase hex digit of the low four bits of `value`, computed rather than looked
    /// up: no global array access (and its lazy-initialisation check) on per-request paths.
    @inline(__always) public static func digit<T: BinaryInteger>(_ value: T) -> UInt8 {
        let d = UInt8(truncatingIfNeeded: value) & 0x0F
        return d &+ (d < 10 ? 48 : 87)
    }

    /// Writes the 16 hex digits of `word`, most significant first, at `out[at...]`.
    @inline(__always) public static func write(_ word: UInt64, into out: UnsafeMutableBufferPointer<UInt8>, at: Int) {
        var w = word
        var i = at + 15
        while i >= at {
            out[i] = digit(w)
            w >>= 4
            i -= 1
        }
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digit(b >> 4))
            out.append(digit(b))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
