import SystemSupport

/// Dates as real exports write them (iso 2024-01-31, dmy 31/01/2024, mdy 01/31/2024, dmy-dot
/// 31.01.2024, compact 20240131); `auto` picks, for a whole column, the one format that reads
/// every sampled value (day/month order from values like 31/01 that only one order accepts).
public enum DateFormat: String, Sendable, CaseIterable {
    case auto, iso, dmy, mdy, dmyDot = "dmy-dot", compact

    /// (year, month, day) when `text` is a real date in this format.
    public func parse(_ text: String) -> (year: Int, month: Int, day: Int)? {
        let t = text.trimmingWhitespace()
        func n(_ s: Substring) -> Int? { s.allSatisfy(\.isNumber) && !s.isEmpty ? Int(s) : nil }
        var parts: (Int, Int, Int)?
        switch self {
        case .auto: return nil
        case .iso:
            let p = t.split(separator: "-", omittingEmptySubsequences: false)
            if p.count == 3, p[0].count == 4, let y = n(p[0]), let m = n(p[1]), let d = n(p[2]) { parts = (y, m, d) }
        case .dmy, .mdy:
            let separator: Character = t.contains("/") ? "/" : "-"
            let p = t.split(separator: separator, omittingEmptySubsequences: false)
            if p.count == 3, p[2].count == 4, let a = n(p[0]), let b = n(p[1]), let y = n(p[2]) { parts = self == .dmy ? (y, b, a) : (y, a, b) }
        case .dmyDot:
            let p = t.split(separator: ".", omittingEmptySubsequences: false)
            if p.count == 3, p[2].count == 4, let d = n(p[0]), let m = n(p[1]), let y = n(p[2]) { parts = (y, m, d) }
        case .compact:
            if t.count == 8, let v = Int(t), t.allSatisfy(\.isNumber) { parts = (v / 10_000, v / 100 % 100, v % 100) }
        }
        guard let (y, m, d) = parts, (1900...2200).contains(y), (1...12).contains(m), d >= 1, d <= Gregorian.daysIn(month: m, year: y) else { return nil }
        return (y, m, d)
    }

    /// The formats that read every value; `auto` resolves to the only one (nil when none or
    /// several remain: the caller asks for an explicit format).
    public static func detect(_ samples: [String]) -> DateFormat? {
        let fitting = allCases.filter { format in format != .auto && samples.allSatisfy { format.parse($0) != nil } }
        return fitting.count == 1 ? fitting[0] : nil
    }
}
