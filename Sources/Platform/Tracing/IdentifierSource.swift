import Crypto
import SystemSupport

/// Identifiers for requests, traces and spans: unique and unpredictable enough to correlate
/// logs (they authorize nothing), made without a CSPRNG call per request. Each thread draws a
/// 64-bit seed from the CSPRNG once and steps a SplitMix64 sequence from it; the hex text is
/// written straight into the string.
enum IdentifierSource {
    final class Generator {
        var rng: SplitMix64
        init() {
            let seed = SecureRandom.bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            rng = SplitMix64(seed: seed)
        }
    }

    private static let key = ThreadLocalKey<Generator>()

    /// One random 64-bit word, never zero (an all-zero id is invalid in W3C Trace Context).
    static func word() -> UInt64 {
        let g: Generator = key.value { Generator() }
        let w = g.rng.next()
        return w == 0 ? 1 : w
    }

    /// Three random words (a trace id's two and a span id's one), none zero, with one lookup
    /// of the thread's generator.
    static func words3() -> (UInt64, UInt64, UInt64) {
        let g: Generator = key.value { Generator() }
        let a = g.rng.next(), b = g.rng.next(), c = g.rng.next()
        return (a == 0 ? 1 : a, b, c == 0 ? 1 : c)
    }

    /// A version-4-shaped UUID (8-4-4-4-12) from two random words.
    static func uuid() -> String {
        let g: Generator = key.value { Generator() }
        var a = g.rng.next(), b = g.rng.next()
        a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { out in
            // Digits at 0-7, 9-12, 14-17 (word a) and 19-22, 24-35 (word b); dashes between.
            var x = a
            for i in stride(from: 17, through: 14, by: -1) { out[i] = Hex.digit(x); x >>= 4 }
            out[13] = UInt8(ascii: "-")
            for i in stride(from: 12, through: 9, by: -1) { out[i] = Hex.digit(x); x >>= 4 }
            out[8] = UInt8(ascii: "-")
            for i in stride(from: 7, through: 0, by: -1) { out[i] = Hex.digit(x); x >>= 4 }
            out[18] = UInt8(ascii: "-")
            var y = b
            for i in stride(from: 35, through: 24, by: -1) { out[i] = Hex.digit(y); y >>= 4 }
            out[23] = UInt8(ascii: "-")
            for i in stride(from: 22, through: 19, by: -1) { out[i] = Hex.digit(y); y >>= 4 }
            return 36
        }
    }
}
