import Foundation

/// Grandfather-father-son retention: the newest backup of each of the last `daily` days, the
/// last `weekly` ISO weeks, `monthly` months and `yearly` years that have backups; the newest
/// verified backup always stays. Pure: calendar in UTC.
public struct RetentionPolicy: Sendable, Equatable {
    public var daily = 7
    public var weekly = 4
    public var monthly = 12
    public var yearly = 5

    public init(daily: Int = 7, weekly: Int = 4, monthly: Int = 12, yearly: Int = 5) {
        self.daily = daily
        self.weekly = weekly
        self.monthly = monthly
        self.yearly = yearly
    }

    public struct Item: Sendable, Equatable {
        public var id: String
        public var time: Date
        public var verified: Bool
        public init(id: String, time: Date, verified: Bool) {
            self.id = id
            self.time = time
            self.verified = verified
        }
    }

    static let calendar: Calendar = {
        var c = Calendar(identifier: .iso8601)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    /// The ids to keep; every other item may be deleted.
    public func keep(_ items: [Item]) -> Set<String> {
        let newestFirst = items.sorted { $0.time > $1.time }
        var kept = Set<String>()
        func bucketed(_ count: Int, _ key: (Date) -> String) {
            var seen = Set<String>()
            for item in newestFirst where seen.count < count {
                if seen.insert(key(item.time)).inserted { kept.insert(item.id) }
            }
        }
        let c = Self.calendar
        bucketed(daily) { let d = c.dateComponents([.year, .month, .day], from: $0); return "\(d.year!)-\(d.month!)-\(d.day!)" }
        bucketed(weekly) { let d = c.dateComponents([.yearForWeekOfYear, .weekOfYear], from: $0); return "\(d.yearForWeekOfYear!)-W\(d.weekOfYear!)" }
        bucketed(monthly) { let d = c.dateComponents([.year, .month], from: $0); return "\(d.year!)-\(d.month!)" }
        bucketed(yearly) { "\(c.component(.year, from: $0))" }
        if let newestVerified = newestFirst.first(where: \.verified) { kept.insert(newestVerified.id) }
        return kept
    }
}
