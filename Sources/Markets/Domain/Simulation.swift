import Foundation

/// INDEX-SPEC "Simulation": an amount in one of the supported currencies invested in the index
/// from one date to another, converted through USD at each end's exchange rate. Decimal
/// arithmetic with one half-even rounding at the end.
public enum Simulation {
    public struct Input: Sendable {
        public var amount: Decimal
        public var currency: Currency
        public var startDate: Day
        public var endDate: Day?
        public init(amount: Decimal, currency: Currency, startDate: Day, endDate: Day?) {
            self.amount = amount
            self.currency = currency
            self.startDate = startDate
            self.endDate = endDate
        }
    }

    public struct Output: Sendable, Equatable {
        public var currency: String
        public var amount: Decimal
        public var start: Day
        public var end: Day
        public var days: Int
        public var rateStart: Decimal
        public var rateEnd: Decimal
        public var indexStart: Double
        public var indexEnd: Double
        public var amountUSD: Decimal
        public var finalUSD: Decimal
        public var amountFinal: Decimal
        public var roiPct: Double
        public var usdRoiPct: Double
        public var fxEffectPct: Double
        public var annualizedReturnPct: Double?
        public var maxDrawdownPct: Double?
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noIndexData
        case startAfterLastIndexDate(Day)
        case endBeforeFirstIndexDate(Day)
        case startAfterEnd(start: Day, end: Day)
        case missingRate(currency: String, on: Day)
        case invalidRate(currency: String, on: Day)

        public var description: String {
            switch self {
            case .noIndexData: "the index has no values yet"
            case .startAfterLastIndexDate(let d): "no index date on or after \(d)"
            case .endBeforeFirstIndexDate(let d): "no index date on or before \(d)"
            case .startAfterEnd(let s, let e): "the first index date on or after start_date (\(s)) is after the last one on or before end_date (\(e))"
            case .missingRate(let c, let d): "no \(c) exchange rate on or before \(d)"
            case .invalidRate(let c, let d): "the \(c) exchange rate on or before \(d) is not positive"
            }
        }
    }

    /// The decimals an amount has, by value ("100.00" has 0).
    public static func decimalPlaces(_ amount: Decimal) -> Int {
        var value = amount
        for places in 0...30 {
            var rounded = Decimal()
            NSDecimalRound(&rounded, &value, places, .plain)
            if rounded == value { return places }
        }
        return 31
    }

    /// `index` holds (date, value) oldest first; `rate(on:)` answers the latest rate on or before a
    /// date (units of the currency per USD), nil when there is none.
    public static func run(_ input: Input, index: [(day: Day, value: Double)], rate: (Day) -> Decimal?) throws(Failure) -> Output {
        guard let first = index.first, let last = index.last else { throw .noIndexData }
        let endDate = input.endDate ?? last.day
        guard let s = firstIndex(index, onOrAfter: input.startDate) else { throw .startAfterLastIndexDate(input.startDate) }
        guard endDate >= first.day, let e = lastIndex(index, onOrBefore: endDate) else { throw .endBeforeFirstIndexDate(endDate) }
        guard s <= e else { throw .startAfterEnd(start: index[s].day, end: index[e].day) }
        let start = index[s], end = index[e]
        let code = input.currency.code
        func resolved(_ day: Day) throws(Failure) -> Decimal {
            if code == "USD" { return 1 }
            guard let r = rate(day) else { throw .missingRate(currency: code, on: day) }
            guard r > 0 else { throw .invalidRate(currency: code, on: day) }
            return r
        }
        let rateStart = try resolved(start.day), rateEnd = try resolved(end.day)
        let vStart = exact(start.value), vEnd = exact(end.value)
        let amountUSD = input.amount / rateStart
        let finalUSD = amountUSD * vEnd / vStart
        var unrounded = finalUSD * rateEnd
        var amountFinal = Decimal()
        NSDecimalRound(&amountFinal, &unrounded, input.currency.minorUnits, .bankers)
        let ratio = amountFinal / input.amount
        let roi = (ratio - 1) * 100
        let usdRoi = (vEnd / vStart - 1) * 100
        let days = end.day - start.day
        var annualized: Double? = nil
        if days > 0 {
            let a = (Foundation.pow(double(ratio), 365.25 / Double(days)) - 1) * 100
            annualized = a.isFinite ? a : nil
        }
        let drawdown = RiskMetrics.drawdowns(index[s...e].map(\.value)[...]).max.map { $0 * 100 }
        return Output(currency: code, amount: input.amount, start: start.day, end: end.day, days: days, rateStart: rateStart,
                      rateEnd: rateEnd, indexStart: start.value, indexEnd: end.value, amountUSD: amountUSD, finalUSD: finalUSD,
                      amountFinal: amountFinal, roiPct: double(roi), usdRoiPct: double(usdRoi), fxEffectPct: double(roi - usdRoi),
                      annualizedReturnPct: annualized, maxDrawdownPct: drawdown)
    }

    /// A Double index value as the decimal it prints as (its shortest round-trip form).
    static func exact(_ v: Double) -> Decimal { Decimal(string: "\(v)") ?? Decimal(v) }

    static func double(_ d: Decimal) -> Double { Double(d.description) ?? NSDecimalNumber(decimal: d).doubleValue }

    static func firstIndex(_ index: [(day: Day, value: Double)], onOrAfter d: Day) -> Int? {
        var lo = 0, hi = index.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if index[mid].day < d { lo = mid + 1 } else { hi = mid }
        }
        return lo < index.count ? lo : nil
    }

    static func lastIndex(_ index: [(day: Day, value: Double)], onOrBefore d: Day) -> Int? {
        var lo = 0, hi = index.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if index[mid].day <= d { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? lo - 1 : nil
    }
}
