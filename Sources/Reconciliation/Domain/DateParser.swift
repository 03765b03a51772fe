import SystemSupport

/// Dates as real exports write them (iso 2024-01-31, dmy 31/01/2024, mdy 01/31/2024, dmy-dot
/// 31.01.2024, compact 20240131); `auto` picks, for a whole column, the one format that reads
/// every sampled value (day/month order from values like 31/01 that only one order accepts).
public enum DateFormat: String, Sendable, CaseIterable {
    case auto, iso, dmy, mdy, dmyDot = "dmy-dot", compact

    /// (year, month, day) when `text` is a real date in this format. Works on bytes: this
    /// runs for every row of every upload.
    public func parse(_ text: String) -> (year: Int, month: Int, day: Int)? {
        var bytes = text.utf8[...]
        while let f = bytes.first, f == 0x20 || f == 0x09 { bytes = bytes.dropFirst() }
        while let l = bytes.last, l == 0x20 || l == 0x09 { bytes = bytes.dropLast() }
        /// The numbers between `separator`s, each 1+ ASCII digits (at most 9), with their lengths.
        func parts(_ separator: UInt8) -> [(value: Int, length: Int)]? {
            var out: [(Int, Int)] = []
            var value = 0, length = 0
            for b in bytes {
                if b == separator {
                    guard length > 0 else { return nil }
                    out.append((value, length))
                    value = 0
                    length = 0
                } else if b >= 0x30 && b <= 0x39 && length < 9 {
                    value = value * 10 + Int(b - 0x30)
                    length += 1
                } else {
                    return nil
                }
            }
            guard length > 0 else { return nil }
            out.append((value, length))
            return out
        }
        var ymd: (Int, Int, Int)?
        switch self {
        case .auto: return nil
        case .iso:
            if let p = parts(UInt8(ascii: "-")), p.count == 3, p[0].length == 4 { ymd = (p[0].value, p[1].value, p[2].value) }
        case .dmy, .mdy:
            let separator = bytes.contains(UInt8(ascii: "/")) ? UInt8(ascii: "/") : UInt8(ascii: "-")
            if let p = parts(separator), p.count == 3, p[2].length == 4 {
                ymd = self == .dmy ? (p[2].value, p[1].value, p[0].value) : (p[2].value, p[0].value, p[1].value)
            }
        case .dmyDot:
            if let p = parts(UInt8(ascii: ".")), p.count == 3, p[2].length == 4 { ymd = (p[2].value, p[1].value, p[0].value) }
        case .compact:
            if let p = parts(0), p.count == 1, p[0].length == 8 { ymd = (p[0].value / 10_000, p[0].value / 100 % 100, p[0].value % 100) }
        }
        guard let (y, m, d) = ymd, (1900...2200).contains(y), (1...12).contains(m), d >= 1, d <= Gregorian.daysIn(month: m, year: y) else { return nil }
        return (y, m, d)
    }

    /// The formats that read every value; `auto` resolves to the only one (nil when none or
    /// several remain: the caller asks for an explicit format).
    public static func detect(_ samples: [String]) -> DateFormat? {
        let fitting = allCases.filter { format in format != .auto && samples.allSatisfy { format.parse($0) != nil } }
        return fitting.count == 1 ? fitting[0] : nil
    }
}
