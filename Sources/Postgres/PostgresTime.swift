import Glibc
import FoundationEssentials

/// timestamptz text in and out. Sessions run with TimeZone=UTC and ISO DateStyle, so the server
/// writes "2026-11-22 21:00:00.123456+00".
enum PostgresTime {
    static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = Int(seconds.rounded(.down))
        var micros = Int(((seconds - Double(whole)) * 1_000_000).rounded())
        if micros == 1_000_000 {
            whole += 1
            micros = 0
        }
        var t = whole
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        return "\(pad(Int(tmv.tm_year) + 1900, 4))-\(pad(Int(tmv.tm_mon) + 1, 2))-\(pad(Int(tmv.tm_mday), 2)) "
            + "\(pad(Int(tmv.tm_hour), 2)):\(pad(Int(tmv.tm_min), 2)):\(pad(Int(tmv.tm_sec), 2)).\(pad(micros, 6))+00"
    }

    static func parse(_ text: String) -> Date? {
        // YYYY-MM-DD HH:MM:SS[.ffffff](+|-)HH[:MM]
        let u = Array(text.utf8)
        guard u.count >= 22 else { return nil }
        func num(_ a: Int, _ b: Int) -> Int? {
            var v = 0
            for i in a..<b {
                guard u[i] >= 48 && u[i] <= 57 else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13), let mi = num(14, 16),
              let s = num(17, 19) else { return nil }
        var i = 19
        var fraction = 0.0
        if i < u.count && u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < u.count && u[i] >= 48 && u[i] <= 57 {
                fraction += Double(u[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") else { return nil }
        let sign = u[i] == UInt8(ascii: "+") ? 1 : -1
        guard let oh = num(i + 1, i + 3) else { return nil }
        var offset = oh * 3600
        if i + 6 <= u.count, u[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, i + 6) { offset += om * 60 }
        var tmv = tm()
        tmv.tm_year = Int32(y - 1900)
        tmv.tm_mon = Int32(mo - 1)
        tmv.tm_mday = Int32(d)
        tmv.tm_hour = Int32(h)
        tmv.tm_min = Int32(mi)
        tmv.tm_sec = Int32(s)
        let epoch = timegm(&tmv)
        return Date(timeIntervalSince1970: Double(epoch - sign * offset) + fraction)
    }
}
