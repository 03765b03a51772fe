import CZlib

/// gzip compression of a stream in pieces, in constant memory: feed input, take output.
public final class GzipCompressor {
    private var stream = z_stream()
    private var finished = false
    private var out = [UInt8](repeating: 0, count: 256 * 1024)

    public init(level: Int32 = 6) throws {
        guard deflateInit2_(&stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Gzip.Error(description: "deflateInit failed")
        }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `input` and hands any output produced to `emit`.
    public func write(_ input: [UInt8], emit: ([UInt8]) throws -> Void) throws {
        try run(input, flush: Z_NO_FLUSH, emit: emit)
    }

    /// Ends the stream (the gzip trailer); no writes after it.
    public func finish(emit: ([UInt8]) throws -> Void) throws {
        guard !finished else { return }
        try run([], flush: Z_FINISH, emit: emit)
        finished = true
    }

    private func run(_ input: [UInt8], flush: Int32, emit: ([UInt8]) throws -> Void) throws {
        try input.withUnsafeBufferPointer { inp in
            stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            stream.avail_in = UInt32(inp.count)
            while true {
                let rc = try zlibStep(&stream, &out, emit: emit) { deflate(&$0, flush) }
                if flush == Z_FINISH {
                    if rc == Z_STREAM_END { return }
                    guard rc == Z_OK || rc == Z_BUF_ERROR else { throw Gzip.Error(description: "deflate failed (zlib \(rc))") }
                } else {
                    guard rc == Z_OK || rc == Z_BUF_ERROR else { throw Gzip.Error(description: "deflate failed (zlib \(rc))") }
                    if stream.avail_in == 0 && stream.avail_out != 0 { return }
                }
            }
        }
    }
}

/// gzip decompression of a stream in pieces, in constant memory.
public final class GzipDecompressor {
    private var stream = z_stream()
    public private(set) var finished = false
    private var out = [UInt8](repeating: 0, count: 256 * 1024)

    public init() throws {
        guard inflateInit2_(&stream, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Gzip.Error(description: "inflateInit failed")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Decompresses `input`, handing output to `emit`. Data after the end of the gzip stream is an error.
    public func write(_ input: [UInt8], emit: ([UInt8]) throws -> Void) throws {
        guard !input.isEmpty else { return }
        guard !finished else { throw Gzip.Error(description: "data after the end of the compressed stream") }
        try input.withUnsafeBufferPointer { inp in
            stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            stream.avail_in = UInt32(inp.count)
            while true {
                let rc = try zlibStep(&stream, &out, emit: emit) { inflate(&$0, Z_NO_FLUSH) }
                if rc == Z_STREAM_END {
                    finished = true
                    guard stream.avail_in == 0 else { throw Gzip.Error(description: "data after the end of the compressed stream") }
                    return
                }
                guard rc == Z_OK || rc == Z_BUF_ERROR else { throw Gzip.Error(description: "invalid compressed data (zlib \(rc))") }
                if stream.avail_in == 0 && stream.avail_out != 0 { return }
            }
        }
    }
}

/// One zlib call with `out` as its output space; what it produced goes to `emit`. Returns
/// zlib's code. The compressor and the decompressor both pump with it.
private func zlibStep(_ stream: inout z_stream, _ out: inout [UInt8], emit: ([UInt8]) throws -> Void,
                      _ call: (inout z_stream) -> Int32) throws -> Int32 {
    let (rc, produced) = out.withUnsafeMutableBufferPointer { o -> (Int32, Int) in
        stream.next_out = o.baseAddress
        stream.avail_out = UInt32(o.count)
        let rc = call(&stream)
        return (rc, o.count - Int(stream.avail_out))
    }
    if produced > 0 { try emit(Array(out[0..<produced])) }
    return rc
}
