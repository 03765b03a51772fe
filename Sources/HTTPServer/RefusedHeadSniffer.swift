/// Reads the method and the Origin field out of the raw bytes of a head that failed to parse
/// or did not arrive in time, so the refusal can be logged with its method and answered with
/// CORS headers. Best effort and bounded: only well-formed pieces are believed.
enum RefusedHeadSniffer {
    static func sniff(_ p: UnsafeBufferPointer<UInt8>) -> (method: HTTPMethod?, origin: String?) {
        var i = 0
        while i < p.count && i <= RequestLinePrefix.maxMethodLength && p[i] != ByteClass.sp { i += 1 }
        let method = i < p.count && p[i] == ByteClass.sp ? HTTPMethod.parse(p, 0, i) : nil
        return (method, origin(p))
    }

    /// The value of the first "Origin:" field line, if it is complete and plain visible text.
    private static func origin(_ p: UnsafeBufferPointer<UInt8>) -> String? {
        let name = Array("origin:".utf8)
        var i = 0
        while i + 2 + name.count < p.count {
            defer { i += 1 }
            guard p[i] == ByteClass.lf else { continue }
            var matches = true
            for (k, c) in name.enumerated() where asciiLower(p[i + 1 + k]) != c {
                matches = false
                break
            }
            guard matches else { continue }
            var start = i + 1 + name.count
            while start < p.count && (p[start] == ByteClass.sp || p[start] == ByteClass.htab) { start += 1 }
            var end = start
            while end < p.count && p[end] != ByteClass.cr {
                guard p[end] > 0x20 && p[end] < 0x7F else { return nil }
                end += 1
            }
            guard end < p.count, end > start else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self)
        }
        return nil
    }
}
