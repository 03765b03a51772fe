import SystemSupport

/// A calendar day as a count of days since 1970-01-01 (UTC): the strategy and the simulation
/// compare and step dates millions of times, so they use a plain integer, not a struct of
/// year, month and day. Conversions use Howard Hinnant's civil-calendar algorithms (proleptic
/// Gregorian, exact for every year 1-9999).
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var number: Int

    public init(_ number: Int) { self.number = number }

    public init(year: Int, month: Int, day: Int) { number = Gregorian.days(year: year, month: month, day: day) }

    /// Parses YYYY-MM-DD naming a real day; nil otherwise.
    public init?(iso text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return nil }
        func digits(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10), y >= 1, (1...12).contains(m),
              d >= 1, d <= Gregorian.daysIn(month: m, year: y) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var civil: (year: Int, month: Int, day: Int) { Gregorian.civil(days: number) }

    /// ISO weekday: Monday 1 ... Sunday 7 (1970-01-01 was a Thursday).
    public var isoWeekday: Int { ((number % 7 + 7) % 7 + 3) % 7 + 1 }

    /// The Monday of this day's ISO week: two days share an ISO (year, week) exactly when they
    /// share this Monday.
    public var isoWeekMonday: Int { number - (isoWeekday - 1) }

    /// year * 12 + month, for comparing months.
    public var monthKey: Int {
        let c = civil
        return c.year * 12 + c.month
    }

    public var isWeekend: Bool { isoWeekday >= 6 }

    public var description: String {
        let c = civil
        var out = [UInt8](repeating: 0x30, count: 10)
        var y = c.year
        for i in stride(from: 3, through: 0, by: -1) {
            out[i] = UInt8(0x30 + y % 10)
            y /= 10
        }
        out[4] = 0x2D
        out[5] = UInt8(0x30 + c.month / 10)
        out[6] = UInt8(0x30 + c.month % 10)
        out[7] = 0x2D
        out[8] = UInt8(0x30 + c.day / 10)
        out[9] = UInt8(0x30 + c.day % 10)
        return String(decoding: out, as: UTF8.self)
    }

    public static func < (a: Day, b: Day) -> Bool { a.number < b.number }

    public static func + (a: Day, days: Int) -> Day { Day(a.number + days) }
    public static func - (a: Day, days: Int) -> Day { Day(a.number - days) }
    public static func - (a: Day, b: Day) -> Int { a.number - b.number }
}
