import Crypto

/// The encrypted container of a backup file:
///
///     header (36 bytes): "APISRVBK" | version u16 | reserved u16 | chunk size u32 | key id (8) | nonce base (12)
///     chunk*:            ciphertext length u32 | ciphertext | GCM tag (16)
///
/// Each chunk is AES-256-GCM with nonce = nonce base XOR the chunk's index (last 8 bytes, big
/// endian) and associated data = header | index u64 | final flag u8. The header is therefore
/// authenticated by every chunk; a reordered chunk fails (its index is in nonce and AAD); a
/// truncated file fails (the last chunk read is not marked final); bytes after the final
/// chunk fail. Every byte of a file is covered.
public enum EncryptedStream {
    public static let magic = Array("APISRVBK".utf8)
    public static let version: UInt16 = 1
    public static let headerSize = 36
    public static let defaultChunkSize = 1 << 20

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// The first 8 bytes of SHA-256 of the key: which key a file needs, without revealing it.
    public static func keyID(_ key: [UInt8]) -> [UInt8] { Array(SHA256.digest(key).prefix(8)) }

    struct Header: Equatable {
        var chunkSize: Int
        var keyID: [UInt8]
        var nonceBase: [UInt8]

        var bytes: [UInt8] {
            var out = EncryptedStream.magic
            out += be(UInt64(EncryptedStream.version), 2) + [0, 0] + be(UInt64(chunkSize), 4) + keyID + nonceBase
            return out
        }

        static func parse(_ b: [UInt8]) throws -> Header {
            guard b.count == EncryptedStream.headerSize, Array(b[0..<8]) == EncryptedStream.magic else {
                throw Failure("not an apiserver backup (bad magic)")
            }
            let version = UInt16(b[8]) << 8 | UInt16(b[9])
            guard version == EncryptedStream.version else { throw Failure("backup format version \(version) is not supported") }
            let size = Int(b[12]) << 24 | Int(b[13]) << 16 | Int(b[14]) << 8 | Int(b[15])
            guard (4096...(64 << 20)).contains(size) else { throw Failure("invalid chunk size \(size)") }
            return Header(chunkSize: size, keyID: Array(b[16..<24]), nonceBase: Array(b[24..<36]))
        }
    }

    static func be(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(n - 1 - $0))) } }

    static func nonce(_ base: [UInt8], index: UInt64) -> [UInt8] {
        var n = base
        let counter = be(index, 8)
        for i in 0..<8 { n[4 + i] ^= counter[i] }
        return n
    }

    static func aad(_ header: [UInt8], index: UInt64, final: Bool) -> [UInt8] { header + be(index, 8) + [final ? 1 : 0] }
}

/// Writes the container: plaintext in, encrypted chunks out (to `sink`), constant memory.
public final class EncryptingWriter {
    private let key: [UInt8]
    private let header: EncryptedStream.Header
    private let headerBytes: [UInt8]
    private var pending: [UInt8] = []
    private var index: UInt64 = 0
    private let sink: ([UInt8]) throws -> Void
    public private(set) var plaintextBytes = 0

    public init(key: [UInt8], chunkSize: Int = EncryptedStream.defaultChunkSize, sink: @escaping ([UInt8]) throws -> Void) throws {
        self.key = key
        header = EncryptedStream.Header(chunkSize: chunkSize, keyID: EncryptedStream.keyID(key), nonceBase: SecureRandom.bytes(12))
        headerBytes = header.bytes
        self.sink = sink
        pending.reserveCapacity(chunkSize)
        try sink(headerBytes)
    }

    public func write(_ bytes: [UInt8]) throws {
        plaintextBytes += bytes.count
        pending += bytes
        while pending.count > header.chunkSize {
            try seal(Array(pending[0..<header.chunkSize]), final: false)
            pending.removeFirst(header.chunkSize)
        }
    }

    /// Seals what is left as the final chunk (possibly empty).
    public func finish() throws { try seal(pending, final: true); pending = [] }

    private func seal(_ plain: [UInt8], final: Bool) throws {
        let (cipher, tag) = try AESGCM.seal(plain, key: key, nonce: EncryptedStream.nonce(header.nonceBase, index: index),
                                            aad: EncryptedStream.aad(headerBytes, index: index, final: final))
        try sink(EncryptedStream.be(UInt64(cipher.count), 4) + cipher + tag)
        index += 1
    }
}

/// Reads the container from a byte source, handing each authenticated plaintext chunk on.
public enum DecryptingReader {
    /// `read(n)` returns up to n bytes (empty at end). Throws on any tampering, truncation,
    /// reordering, trailing data or wrong key; the caller sees only authenticated plaintext.
    public static func run(key: [UInt8], read: (Int) throws -> [UInt8], plaintext: ([UInt8]) throws -> Void) throws {
        func exactly(_ n: Int, _ what: String) throws -> [UInt8] {
            var out: [UInt8] = []
            while out.count < n {
                let part = try read(n - out.count)
                if part.isEmpty { throw EncryptedStream.Failure("truncated backup: \(what) incomplete") }
                out += part
            }
            return out
        }
        let headerBytes = try exactly(EncryptedStream.headerSize, "header")
        let header = try EncryptedStream.Header.parse(headerBytes)
        guard header.keyID == EncryptedStream.keyID(key) else {
            throw EncryptedStream.Failure("this backup was encrypted with another key (key id \(Hex.encode(header.keyID)))")
        }
        var index: UInt64 = 0
        while true {
            let lengthBytes = try read(4)
            guard !lengthBytes.isEmpty else { throw EncryptedStream.Failure("truncated backup: the final chunk is missing") }
            let lb = lengthBytes.count == 4 ? lengthBytes : lengthBytes + (try exactly(4 - lengthBytes.count, "chunk length"))
            let length = Int(lb[0]) << 24 | Int(lb[1]) << 16 | Int(lb[2]) << 8 | Int(lb[3])
            guard length <= header.chunkSize else { throw EncryptedStream.Failure("corrupt backup: chunk \(index) is larger than the chunk size") }
            let cipher = try exactly(length, "chunk \(index)")
            let tag = try exactly(16, "tag of chunk \(index)")
            let nonce = EncryptedStream.nonce(header.nonceBase, index: index)
            // A full-size chunk is not final unless authenticated as such; try the likelier first.
            let finalFirst = length < header.chunkSize
            var plain: [UInt8]?
            var isFinal = finalFirst
            for final in [finalFirst, !finalFirst] {
                if let p = try? AESGCM.open(cipher, tag: tag, key: key, nonce: nonce, aad: EncryptedStream.aad(headerBytes, index: index, final: final)) {
                    plain = p
                    isFinal = final
                    break
                }
            }
            guard let plain else { throw EncryptedStream.Failure("corrupt or tampered backup: chunk \(index) does not authenticate") }
            try plaintext(plain)
            index += 1
            if isFinal {
                guard try read(1).isEmpty else { throw EncryptedStream.Failure("corrupt backup: data after the final chunk") }
                return
            }
        }
    }
}
