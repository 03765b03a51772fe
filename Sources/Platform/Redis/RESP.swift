/// The Redis serialization protocol (RESP2): commands are arrays of bulk strings; replies are
/// parsed from bytes as they arrive.
public enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8]?)
    case array([RESPValue]?)
}

enum RESP {
    /// `*N\r\n$len\r\narg\r\n...`
    static func command(_ args: [String]) -> [UInt8] {
        var out: [UInt8] = Array("*\(args.count)\r\n".utf8)
        for a in args {
            let bytes = Array(a.utf8)
            out.append(contentsOf: "$\(bytes.count)\r\n".utf8)
            out.append(contentsOf: bytes)
            out.append(contentsOf: [13, 10])
        }
        return out
    }

    enum Parse: Equatable {
        case value(RESPValue, consumed: Int)
        case incomplete
        case invalid
    }

    /// Parses one reply from `b[start...]`.
    static func parse(_ b: [UInt8], from start: Int = 0, depth: Int = 0) -> Parse {
        guard depth < 8, start < b.count else { return depth < 8 ? .incomplete : .invalid }
        guard let lineEnd = lineEnd(b, start + 1) else { return .incomplete }
        let line = String(decoding: b[(start + 1)..<lineEnd], as: UTF8.self)
        let next = lineEnd + 2
        switch b[start] {
        case UInt8(ascii: "+"): return .value(.simple(line), consumed: next - start)
        case UInt8(ascii: "-"): return .value(.error(line), consumed: next - start)
        case UInt8(ascii: ":"):
            guard let v = Int64(line) else { return .invalid }
            return .value(.integer(v), consumed: next - start)
        case UInt8(ascii: "$"):
            guard let n = Int(line), n >= -1, n <= 512 * 1024 * 1024 else { return .invalid }
            if n == -1 { return .value(.bulk(nil), consumed: next - start) }
            guard b.count >= next + n + 2 else { return .incomplete }
            guard b[next + n] == 13, b[next + n + 1] == 10 else { return .invalid }
            return .value(.bulk(Array(b[next..<(next + n)])), consumed: next + n + 2 - start)
        case UInt8(ascii: "*"):
            guard let n = Int(line), n >= -1, n <= 1_000_000 else { return .invalid }
            if n == -1 { return .value(.array(nil), consumed: next - start) }
            var items: [RESPValue] = []
            var pos = next
            for _ in 0..<n {
                switch parse(b, from: pos, depth: depth + 1) {
                case .value(let v, let used):
                    items.append(v)
                    pos += used
                case .incomplete: return .incomplete
                case .invalid: return .invalid
                }
            }
            return .value(.array(items), consumed: pos - start)
        default:
            return .invalid
        }
    }

    private static func lineEnd(_ b: [UInt8], _ from: Int) -> Int? {
        var i = from
        while i + 1 < b.count {
            if b[i] == 13 && b[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }
}
