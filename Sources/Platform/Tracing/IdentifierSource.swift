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

    /// Two random words shaped as a version-4 UUID (version and variant bits set).
    static func uuidWords() -> (UInt64, UInt64) {
        let g: Generator = key.value { Generator() }
        let a = g.rng.next(), b = g.rng.next()
        return ((a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000, (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000)
    }

    static let uuidLength = 36

    /// Writes the UUID of `words` in canonical form (8-4-4-4-12, lowercase) at `out[0..<36]`.
    static func writeUUID(_ words: (UInt64, UInt64), into out: UnsafeMutableBufferPointer<UInt8>) {
        var x = words.0
        for i in stride(from: 17, through: 14, by: -1) { out[i] = Hex.digit(x); x >>= 4 }
        out[13] = UInt8(ascii: "-")
        for i in stride(from: 12, through: 9, by: -1) { out[i] = Hex.digit(x); x >>= 4 }
        out[8] = UInt8(ascii: "-")
        for i in stride(from: 7, through: 0, by: -1) { out[i] = Hex.digit(x); x >>= 4 }
        out[18] = UInt8(ascii: "-")
        var y = words.1
        for i in stride(from: 35, through: 24, by: -1) { out[i] = Hex.digit(y); y >>= 4 }
        out[23] = UInt8(ascii: "-")
        for i in stride(from: 22, through: 19, by: -1) { out[i] = Hex.digit(y); y >>= 4 }
    }

    /// The canonical text of a version-4-shaped UUID.
    static func uuidString(_ words: (UInt64, UInt64)) -> String {
        String(unsafeUninitializedCapacity: uuidLength) { out in
            writeUUID(words, into: out)
            return uuidLength
        }
    }
}
