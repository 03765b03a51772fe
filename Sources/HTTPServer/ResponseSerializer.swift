import Glibc

/// Writes a response head into a byte buffer. The body length decides Content-Length; nothing
/// the application set can contradict the framing (ResponseHeaders drops framing fields).
enum ResponseSerializer {
    /// Appends status line and fields; returns whether the body bytes must follow.
    static func writeHead(_ r: Response, version: HTTPVersion, isHead: Bool, keepAlive: Bool,
                          date: [UInt8], into out: inout [UInt8]) -> Bool {
        out.reserveCapacity(out.count + 64 + r.headers.fields.count * 48)
        append(version == .http1_0 ? "HTTP/1.0 " : "HTTP/1.1 ", &out)
        appendInt(r.status.code, &out)
        out.append(ByteClass.sp)
        out.append(contentsOf: r.status.reason.utf8)
        out.append(contentsOf: crlf)
        out.append(contentsOf: date)
        if r.status.forbidsBody {
            // no framing field at all
        } else if r.stream != nil {
            if version == .http1_1 { append("Transfer-Encoding: chunked\r\n", &out) }
        } else {
            append("Content-Length: ", &out)
            appendInt(r.body.count, &out)
            out.append(contentsOf: crlf)
        }
        if !keepAlive {
            append("Connection: close\r\n", &out)
        } else if version == .http1_0 {
            append("Connection: keep-alive\r\n", &out)
        }
        for (name, value) in r.headers.fields { appendField(name, value, into: &out) }
        for block in r.headers.blocks { out.append(contentsOf: block.bytes) }
        out.append(contentsOf: crlf)
        return !isHead && !r.status.forbidsBody && !r.body.isEmpty && r.stream == nil
    }

    /// "Name: value\r\n" with CR, LF and NUL dropped.
    static func appendField(_ name: String, _ value: String, into out: inout [UInt8]) {
        appendFieldText(name, &out)
        out.append(UInt8(ascii: ":"))
        out.append(ByteClass.sp)
        appendFieldText(value, &out)
        out.append(contentsOf: crlf)
    }

    /// One piece of a chunked body: size in hex, CRLF, data, CRLF.
    static func appendChunk(_ data: [UInt8], into out: inout [UInt8]) {
        out.append(contentsOf: String(data.count, radix: 16).utf8)
        out.append(contentsOf: crlf)
        out.append(contentsOf: data)
        out.append(contentsOf: crlf)
    }

    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// Copies a header name or value, dropping CR, LF and NUL (response splitting).
    @inline(__always) private static func appendFieldText(_ s: String, _ out: inout [UInt8]) {
        var text = s
        text.withUTF8 { bytes in
            if bytes.contains(where: { $0 == ByteClass.cr || $0 == ByteClass.lf || $0 == 0 }) {
                for b in bytes where b != ByteClass.cr && b != ByteClass.lf && b != 0 { out.append(b) }
            } else {
                out.append(contentsOf: bytes)
            }
        }
    }

    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    private static let crlf: [UInt8] = [ByteClass.cr, ByteClass.lf]

    @inline(__always) private static func append(_ s: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always) static func appendInt(_ value: Int, _ out: inout [UInt8]) {
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        var v = value
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            }
            for k in stride(from: n - 1, through: 0, by: -1) { out.append(d[k]) }
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
