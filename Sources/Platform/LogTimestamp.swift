import Glibc

/// RFC 3339 UTC timestamps with milliseconds, written straight into a byte buffer.
enum LogTimestamp {
    static func append(to out: inout [UInt8]) {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = tv.tv_sec
        var tmv = tm()
        gmtime_r(&t, &tmv)
        digits(Int(tmv.tm_year) + 1900, 4, &out)
        out.append(UInt8(ascii: "-"))
        digits(Int(tmv.tm_mon) + 1, 2, &out)
        out.append(UInt8(ascii: "-"))
        digits(Int(tmv.tm_mday), 2, &out)
        out.append(UInt8(ascii: "T"))
        digits(Int(tmv.tm_hour), 2, &out)
        out.append(UInt8(ascii: ":"))
        digits(Int(tmv.tm_min), 2, &out)
        out.append(UInt8(ascii: ":"))
        digits(Int(tmv.tm_sec), 2, &out)
        out.append(UInt8(ascii: "."))
        digits(Int(tv.tv_usec) / 1000, 3, &out)
        out.append(UInt8(ascii: "Z"))
    }

    @inline(__always) static func digits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
            v %= divisor
            divisor /= 10
        }
    }
}
