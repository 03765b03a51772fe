import Crypto
import SystemSupport

/// Identifiers for requests, traces and spans: unique and unpredictable enough to correlate
/// logs (they authorize nothing), made without a CSPRNG call per request. Each thread draws a
/// 128-bit seed from the CSPRNG once and steps a SplitMix64 sequence from it; the hex text is
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

    /// `count` random 64-bit words as lowercase hex (16 digits each), never all zeros.
    static func hex(words count: Int) -> String {
        let g: Generator = key.value { Generator() }
        return String(unsafeUninitializedCapacity: count * 16) { out in
            var o = 0
            var allZero = true
            for i in 0..<count {
                var w = g.rng.next()
                if i == count - 1 && allZero && w == 0 { w = 1 }
                if w != 0 { allZero = false }
                for shift in stride(from: 60, through: 0, by: -4) {
                    out[o] = Hex.digits[Int((w >> UInt64(shift)) & 0xF)]
                    o += 1
                }
            }
            return o
        }
    }

    /// A version-4-shaped UUID (8-4-4-4-12) from two random words.
    static func uuid() -> String {
        let g: Generator = key.value { Generator() }
        var a = g.rng.next(), b = g.rng.next()
        a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { out in
            var o = 0
            for i in 0..<2 {
                let word = i == 0 ? a : b
                for nibble in 0..<16 {
                    let position = i * 16 + nibble
                    if position == 8 || position == 12 || position == 16 || position == 20 {
                        out[o] = UInt8(ascii: "-")
                        o += 1
                    }
                    out[o] = Hex.digits[Int((word >> UInt64(60 - nibble * 4)) & 0xF)]
                    o += 1
                }
            }
            return o
        }
    }
}
