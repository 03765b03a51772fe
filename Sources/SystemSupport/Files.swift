import Glibc

public enum Files {
    /// The whole file, or nil when it cannot be opened or exceeds `maxBytes`.
    public static func read(_ path: String, maxBytes: Int = 64 << 20) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: buf[0..<n])
            if bytes.count > maxBytes { return nil }
        }
        return bytes
    }
}

extension String {
    /// Without leading and trailing whitespace (Foundation-free).
    public func trimmingWhitespace() -> String {
        // Fast path (most values): ASCII that neither starts nor ends with whitespace.
        if let first = utf8.first, let last = utf8.last, first < 0x80, last < 0x80, !Self.asciiSpace(first), !Self.asciiSpace(last) { return self }
        if utf8.isEmpty { return self }
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }

    private static func asciiSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
}
