import SystemSupport
import Postgres

/// Calendar dates from text.
public enum CalendarDate {
    /// YYYY-MM-DD naming a real day in years 1-9999.
    public static func parse(_ text: String) -> PostgresDate? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let d = PostgresDate(text), (1...9999).contains(d.year), d.day <= Gregorian.daysIn(month: d.month, year: d.year) else { return nil }
        return d
    }
}
