/// Business-day arithmetic on day numbers (days since 1970-01-01, a Thursday): Monday to
/// Friday count, a weekend day counts as the Monday after it. Holidays are not known here.
enum BusinessDays {
    /// A running count of business days, so that the distance of two dates is a subtraction.
    static func index(_ day: Int32) -> Int32 {
        // Shift so that day 0 is a Monday (1970-01-05 is day 4).
        let shifted = Int64(day) - 4
        let week = shifted >= 0 ? shifted / 7 : (shifted - 6) / 7
        let weekday = shifted - week * 7
        return Int32(week * 5 + min(weekday, 5))
    }

    static func distance(_ a: Int32, _ b: Int32) -> Int { Int(abs(index(a) - index(b))) }

    /// Calendar days that can lie within `business` business days (weekends included).
    static func calendarSpan(_ business: Int) -> Int32 { Int32(business + 2 * ((business + 4) / 5) + 2) }
}
