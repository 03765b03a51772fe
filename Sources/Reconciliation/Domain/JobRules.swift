import Foundation
/// A job's matching rules as the API writes them; amounts as exact decimal text.
public struct JobRules: Sendable, Equatable, Codable {
    public struct AmountTolerance: Sendable, Equatable, Codable {
        public var absolute: String
        public var percent: Double
    }

    public var amountTolerance: AmountTolerance
    public var dateWindowDays: Int
    public var allowGroups: Bool
    public var maxGroupSize: Int

    enum CodingKeys: String, CodingKey {
        case amountTolerance = "amount_tolerance", dateWindowDays = "date_window_days", allowGroups = "allow_groups", maxGroupSize = "max_group_size"
    }

    public static let defaults = JobRules(matchRules: MatchRules())

    public init(matchRules r: MatchRules) {
        amountTolerance = AmountTolerance(absolute: Amounts.text(r.amountToleranceAbsolute), percent: r.amountTolerancePercent)
        dateWindowDays = r.dateWindowDays
        allowGroups = r.allowGroups
        maxGroupSize = r.maxGroupSize
    }

    /// The rules a job stored, or an error naming why they cannot be read: a job never runs
    /// with rules other than its own (the defaults in their place would be a silent change).
    public static func stored(_ text: String) throws -> MatchRules {
        guard let rules = try? JSONDecoder().decode(JobRules.self, from: Data(text.utf8)) else {
            throw StoredRulesError(description: "the job's stored rules cannot be read: \(text.prefix(200))")
        }
        guard let match = rules.matchRules else {
            throw StoredRulesError(description: "the job's stored amount tolerance \(rules.amountTolerance.absolute.prefix(40)) is not an amount")
        }
        return match
    }

    public struct StoredRulesError: Error, CustomStringConvertible {
        public var description: String
    }

    public var matchRules: MatchRules? {
        guard let absolute = Amounts.units(amountTolerance.absolute) else { return nil }
        return MatchRules(amountToleranceAbsolute: absolute, amountTolerancePercent: amountTolerance.percent, dateWindowDays: dateWindowDays,
                          allowGroups: allowGroups, maxGroupSize: maxGroupSize)
    }
}

/// Exact conversions between decimal text ("-12.5", numeric(20,4) output) and 1e-4 units.
public enum Amounts {
    /// Nil for anything but an optional sign, digits, and up to four decimals (at most 14
    /// integer digits).
    public static func units(_ text: String) -> Int64? {
        var s = Substring(text)
        var negative = false
        if s.first == "-" || s.first == "+" {
            negative = s.first == "-"
            s = s.dropFirst()
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty || parts.count == 2, whole.count <= 14,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 4, fraction.allSatisfy({ $0.isASCII && $0.isNumber }), !(whole.isEmpty && fraction.isEmpty) else { return nil }
        var value = Int64(whole.isEmpty ? "0" : whole)! * 10_000
        var scale: Int64 = 1_000
        for c in fraction {
            value += Int64(c.wholeNumberValue!) * scale
            scale /= 10
        }
        return negative ? -value : value
    }

    /// "-12.5000"-style text with four decimals.
    public static func text(_ units: Int64) -> String {
        let m = units.magnitude
        let fraction = String(m % 10_000)
        return (units < 0 ? "-" : "") + String(m / 10_000) + "." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }
}
