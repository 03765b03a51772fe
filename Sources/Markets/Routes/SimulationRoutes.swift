import Foundation
import HTTPServer
import Platform

/// POST /api/v1/simulation: INDEX-SPEC's simulation.
enum SimulationRoutes {
    struct Body: StrictDecodable {
        static let fields: Set<String> = ["amount", "currency", "start_date", "end_date"]
        var amount: Amount
        var currency: String
        var startDate: String
        var endDate: String?
        enum CodingKeys: String, CodingKey { case amount, currency, startDate = "start_date", endDate = "end_date" }
    }

    /// An amount given as a string ("1000.50") or a JSON number.
    enum Amount: Decodable {
        case text(String)
        case number(Double)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .text(s) } else { self = .number(try c.decode(Double.self)) }
        }
    }

    static let amountPattern = #"^[0-9]{1,13}(\.[0-9]{1,4})?$"#

    static let output = Schema.object([
        ("currency", .text), ("amount", .text), ("start", .date), ("end", .date), ("days", .integer(minimum: 0)),
        ("rate_start", .number), ("rate_end", .number), ("index_start", .number), ("index_end", .number), ("amount_usd", .text),
        ("final_usd", .text), ("amount_final", .text), ("roi_pct", .number), ("usd_roi_pct", .number), ("fx_effect_pct", .number),
        ("annualized_return_pct", .nullable(.number)), ("max_drawdown_pct", .nullable(.number)), ("message", .nullable(.text)),
    ], required: ["currency", "amount", "start", "end", "days", "rate_start", "rate_end", "index_start", "index_end", "amount_usd",
                  "final_usd", "amount_final", "roi_pct", "usd_roi_pct", "fx_effect_pct", "annualized_return_pct", "max_drawdown_pct"])

    static func register(_ routes: inout Routes, market: MarketService, readAccess: Access) throws {
        let request = Schema.object([
            ("amount", .anyOf([.string(maxLength: 18, pattern: amountPattern), .boundedNumber(exclusiveMinimum: 0, maximum: 1e12)])), ("currency", .string(enumValues: Currency.codes)),
            ("start_date", .date), ("end_date", .date),
        ], required: ["amount", "currency", "start_date"])
        try routes.post("/api/v1/simulation", RouteOptions(access: readAccess, maxBodyBytes: 4096, doc: RouteDoc(
            "What an amount invested in the index would have become, converted through USD at both ends' exchange rates (money as strings)",
            tag: "simulation", requestBody: request, data: output))) { request, context in
            let body = try JSONBody.decode(Body.self, from: request)
            let input = try validate(body)
            let out = try market.simulate(input)
            return try context.success(Result(out, currency: input.currency, requested: (input.startDate, input.endDate)))
        }
    }

    static func validate(_ b: Body) throws -> Simulation.Input {
        var issues: [FieldIssue] = []
        let currency = Currency.named(b.currency)
        if currency == nil { issues.append(FieldIssue(field: "currency", issue: "must be one of: \(Currency.codes.joined(separator: ", "))")) }
        var amount: Decimal?
        switch b.amount {
        case .text(let s):
            if s.range(of: amountPattern, options: .regularExpression) != nil { amount = Decimal(string: s) }
            else if s.range(of: #"^[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil {
                // A well-formed number past the pattern's digits: say which limit it broke.
                let tooLarge = Decimal(string: s).map { $0 > Decimal(string: "1e12")! } ?? true
                issues.append(FieldIssue(field: "amount", issue: tooLarge ? "must be at most 1000000000000"
                                                                          : "must be a decimal number like 1000 or 1000.50 (at most 13 digits and 4 decimals)"))
            } else { issues.append(FieldIssue(field: "amount", issue: "must be a decimal number like 1000 or 1000.50 (at most 1000000000000)")) }
        case .number(let d):
            if d.isFinite { amount = Decimal(string: "\(d)") } else { issues.append(FieldIssue(field: "amount", issue: "must be a finite number")) }
        }
        if amount == nil && !issues.contains(where: { $0.field == "amount" }) {
            // A number Decimal cannot hold (1e308) is beyond any limit rather than malformed.
            issues.append(FieldIssue(field: "amount", issue: "must be at most 1000000000000"))
        }
        if let a = amount {
            if a <= 0 { issues.append(FieldIssue(field: "amount", issue: "must be greater than 0")) }
            else if a > Decimal(string: "1e12")! { issues.append(FieldIssue(field: "amount", issue: "must be at most 1000000000000")) }
            else if let c = currency, Simulation.decimalPlaces(a) > c.minorUnits {
                issues.append(FieldIssue(field: "amount", issue: "has more decimals than \(c.code) allows (\(c.minorUnits))"))
            }
        }
        let start = Day(iso: b.startDate)
        if start == nil { issues.append(FieldIssue(field: "start_date", issue: "must be a date like 2024-01-31")) }
        var end: Day?
        if let e = b.endDate {
            end = Day(iso: e)
            if end == nil { issues.append(FieldIssue(field: "end_date", issue: "must be a date like 2024-01-31")) }
            else if let s = start, end! < s { issues.append(FieldIssue(field: "end_date", issue: "must not be before start_date")) }
        }
        guard issues.isEmpty, let amount, let currency, let start else { throw AppError.validation(issues, message: "Invalid simulation") }
        return Simulation.Input(amount: amount, currency: currency, startDate: start, endDate: end)
    }

    /// The spec's output, every field by its name; money as strings with the currency's minor units.
    struct Result: Encodable {
        let o: Simulation.Output
        let minor: Int
        /// Set when the simulation ran between other dates than those asked for (the spec
        /// takes the first index date on or after start_date and the last on or before
        /// end_date): says which and why, so a shifted range is never silent.
        let message: String?
        init(_ o: Simulation.Output, currency: Currency, requested: (start: Day, end: Day?)) {
            self.o = o
            minor = currency.minorUnits
            var notes: [String] = []
            if o.start != requested.start {
                notes.append("start_date \(requested.start) has no index value; the simulation starts at \(o.start), the first index date on or after it")
            }
            if let end = requested.end, o.end != end {
                notes.append("end_date \(end) has no index value; the simulation ends at \(o.end), the last index date on or before it")
            }
            message = notes.isEmpty ? nil : notes.joined(separator: "; ")
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            func put<T: Encodable>(_ k: String, _ v: T?) throws { try c.encode(v, forKey: Key(stringValue: k)!) }
            try put("currency", o.currency)
            try put("amount", Money.string(o.amount, places: minor))
            try put("start", o.start.description)
            try put("end", o.end.description)
            try put("days", o.days)
            try put("rate_start", Simulation.double(o.rateStart))
            try put("rate_end", Simulation.double(o.rateEnd))
            try put("index_start", o.indexStart)
            try put("index_end", o.indexEnd)
            try put("amount_usd", Money.string(o.amountUSD, places: 2))
            try put("final_usd", Money.string(o.finalUSD, places: 2))
            try put("amount_final", Money.string(o.amountFinal, places: minor))
            try put("roi_pct", o.roiPct)
            try put("usd_roi_pct", o.usdRoiPct)
            try put("fx_effect_pct", o.fxEffectPct)
            try put("annualized_return_pct", o.annualizedReturnPct)
            try put("max_drawdown_pct", o.maxDrawdownPct)
            try put("message", message)
        }
    }
}
