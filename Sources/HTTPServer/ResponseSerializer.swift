import Glibc

/// Writes a response head into a byte buffer. The body length decides Content-Length; nothing
/// the application set can contradict the framing (ResponseHeaders drops framing fields).
enum ResponseSerializer {
    /// Appends status line and fields; returns whether the body bytes must follow.
    ///
    /// The head is written through one pointer into a scratch buffer sized for its upper
    /// bound, then appended with one copy: no capacity or uniqueness check per piece (it runs
    /// for every response).
    static func writeHead(_ r: Response, version: HTTPVersion, isHead: Bool, keepAlive: Bool,
                          date: [UInt8], into out: inout [UInt8]) -> Bool {
        var bound = 9 + 20 + r.status.reason.utf8.count + 2 + date.count + 48 + 26 + 2 + r.headers.lines.count
        if let b = r.headers.block { bound += b.bytes.count }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buffer in
            var w = HeadWriter(buffer.baseAddress!)
            w.write(version == .http1_0 ? "HTTP/1.0 " : "HTTP/1.1 ")
            w.writeInt(r.status.code)
            w.byte(ByteClass.sp)
            w.writeText(r.status.reason)
            w.crlf()
            w.write(date)
            if r.status.forbidsBody {
                // no framing field at all
            } else if r.stream != nil {
                if version == .http1_1 { w.write("Transfer-Encoding: chunked\r\n") }
            } else {
                w.write("Content-Length: ")
                w.writeInt(r.body.count)
                w.crlf()
            }
            if !keepAlive {
                w.write("Connection: close\r\n")
            } else if version == .http1_0 {
                w.write("Connection: keep-alive\r\n")
            }
            // Already header lines, cleaned when they were added.
            w.write(r.headers.lines)
            if let block = r.headers.block { w.write(block.bytes) }
            w.crlf()
            out.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: w.count))
        }
        return !isHead && !r.status.forbidsBody && !r.body.isEmpty && r.stream == nil
    }

    /// One piece of a chunked body: size in hex, CRLF, data, CRLF.
    static func appendChunk(_ data: [UInt8], into out: inout [UInt8]) {
        out.append(contentsOf: String(data.count, radix: 16).utf8)
        out.append(contentsOf: crlf)
        out.append(contentsOf: data)
        out.append(contentsOf: crlf)
    }

    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    private static let crlf: [UInt8] = [ByteClass.cr, ByteClass.lf]
}

/// Writes a response head through a raw pointer into memory sized beforehand for it.
private struct HeadWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    @inline(__always) mutating func byte(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func crlf() {
        base[count] = ByteClass.cr
        base[count + 1] = ByteClass.lf
        count += 2
    }

    @inline(__always) mutating func write(_ s: StaticString) {
        (base + count).update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        count += s.utf8CodeUnitCount
    }

    @inline(__always) mutating func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { p in
            if let a = p.baseAddress { (base + count).update(from: a, count: p.count) }
            count += p.count
        }
    }

    /// A decimal integer (negative ones, which no status or length is, as 0): at most 19 digits.
    @inline(__always) mutating func writeInt(_ number: Int) {
        let value = max(0, number)
        var digits = 1
        var v = value / 10
        while v > 0 { digits += 1; v /= 10 }
        v = value
        for i in stride(from: count + digits - 1, through: count, by: -1) {
            base[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
        }
        count += digits
    }

    /// The reason phrase, without CR, LF and NUL (response splitting).
    @inline(__always) mutating func writeText(_ s: String) {
        ResponseHeaders.withBytes(s) { bytes in
            guard let a = bytes.baseAddress else { return }
            (base + count).update(from: a, count: bytes.count)
            if !ByteClass.mayHoldLineBreakOrNUL(bytes) {
                count += bytes.count
            } else {
                for b in bytes where !ByteClass.isLineBreakOrNUL(b) { base[count] = b; count += 1 }
            }
        }
    }
}

/// "Date: <IMF-fixdate>\r\n", formatted at most once a second per event loop.
struct DateCache {
    private var second: Int = -1
    private(set) var field: [UInt8] = []

    mutating func current() -> [UInt8] {
        let now = time(nil)
        if now != second {
            second = now
            field = Array("Date: \(HTTPDate.format(now))\r\n".utf8)
        }
        return field
    }
}

/// HTTP dates (Date, Sunset, Last-Modified).
public enum HTTPDate {
    /// IMF-fixdate (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
    public static func format(_ unixSeconds: Int) -> String {
        var tt = unixSeconds
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(tmv.tm_wday)]), \(two(tmv.tm_mday)) \(months[Int(tmv.tm_mon)]) \(tmv.tm_year + 1900) "
            + "\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)) GMT"
    }
}
