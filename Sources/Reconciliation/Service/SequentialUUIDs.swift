import Crypto
import Foundation

/// UUIDs of version 7 (RFC 9562) for a batch written at once: the millisecond time, then a
/// random 22 bits fixed for the batch and a 52-bit counter (the RFC's "fixed-length dedicated
/// counter" method). They increase in the order made, so rows inserted in that order extend
/// their B-tree indexes at the right edge.
enum SequentialUUIDs {
    static func make(_ count: Int, now: Date = Date()) -> [UUID] {
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let random = SecureRandom.bytes(8)
        let salt = (UInt64(random[0]) << 16 | UInt64(random[1]) << 8 | UInt64(random[2])) & 0x3F_FFFF
        // The counter starts at a random point in its lower half, so batches in one
        // millisecond do not collide and a batch never wraps.
        let start = (UInt64(random[3]) << 40 | UInt64(random[4]) << 32 | UInt64(random[5]) << 24 | UInt64(random[6]) << 16 | UInt64(random[7]) << 8) & 0x7_FFFF_FFFF_FF00
        return (0..<count).map { i in
            let counter = start + UInt64(i)
            // 48 bits of time, version 7, salt (4 + 8 bits), variant 10, salt (6 + 4 bits), counter (4 + 48 bits).
            var b = [UInt8](repeating: 0, count: 16)
            for k in 0..<6 { b[k] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(k))) }
            b[6] = 0x70 | UInt8(truncatingIfNeeded: salt >> 18 & 0x0F)
            b[7] = UInt8(truncatingIfNeeded: salt >> 10)
            b[8] = 0x80 | UInt8(truncatingIfNeeded: (salt >> 4) & 0x3F)
            b[9] = UInt8(truncatingIfNeeded: (salt & 0x0F) << 4 | (counter >> 48 & 0x0F))
            for k in 0..<6 { b[10 + k] = UInt8(truncatingIfNeeded: counter >> (40 - 8 * UInt64(k))) }
            return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
        }
    }
}
