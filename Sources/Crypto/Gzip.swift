import CZlib

/// gzip (RFC 1952) through zlib. Window bits 31 = 15-bit window with a gzip wrapper.
public enum Gzip {
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
    }

    /// Compresses `input`; returns nil if zlib fails (callers then send the body uncompressed).
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))))
        let produced: Int? = input.withUnsafeBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
                stream.avail_in = UInt32(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                // deflateBound guarantees one Z_FINISH call suffices.
                guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { return nil }
                return Int(stream.total_out)
            }
        }
        guard let n = produced else { return nil }
        output.removeLast(output.count - n)
        return output
    }

    /// Decompresses gzip data, refusing to produce more than `maxOutput` bytes (zip bombs), a
    /// truncated stream, and data after its end (through `GzipDecompressor`).
    public static func decompress(_ input: [UInt8], maxOutput: Int) throws -> [UInt8] {
        let inflater = try GzipDecompressor()
        var output: [UInt8] = []
        try inflater.write(input) { piece in
            output.append(contentsOf: piece)
            if output.count > maxOutput { throw Error(description: "decompressed size exceeds \(maxOutput) bytes") }
        }
        guard inflater.finished else { throw Error(description: input.isEmpty ? "invalid gzip data (empty)" : "truncated gzip data") }
        return output
    }
}
