import HTTPServer
import Platform
import Postgres

/// GET /api/v1/assets, /assets/:symbol, /assets/:symbol/history, /prices, /currencies, /fx-rates.
enum MarketRoutes {
    static let symbolPattern = #"^\^?[A-Z0-9][A-Z0-9.=-]{0,19}$"#
    static let symbolSchema = Schema.string(maxLength: 21, pattern: symbolPattern)
    static let dateParameters = [
        ParameterDoc("from", .date, "first date (inclusive), YYYY-MM-DD"),
        ParameterDoc("to", .date, "last date (inclusive), YYYY-MM-DD; not before from"),
    ]
    static let asset = Schema.object([
        ("symbol", .text), ("name", .text), ("sector", .nullable(.text)), ("asset_class", .text), ("currency", .text),
        ("market_cap", .nullable(.number)), ("is_benchmark", .boolean), ("first_date", .nullable(.date)), ("last_date", .nullable(.date)),
        ("days", .integer(minimum: 0)),
    ], required: ["symbol", "name", "asset_class", "currency", "is_benchmark", "days"])
    static let price = Schema.object([
        ("symbol", .text), ("date", .date), ("open", .nullable(.number)), ("high", .nullable(.number)), ("low", .nullable(.number)),
        ("close", .number), ("volume", .integer(minimum: 0)),
    ], required: ["symbol", "date", "close", "volume"])

    static func register(_ routes: inout Routes, market: MarketService, readAccess: Access) throws {
        try routes.get("/api/v1/assets", RouteOptions(access: readAccess, doc: RouteDoc(
            "The universe and the benchmark, with each one's stored date range", tag: "markets", data: .array(asset)))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly([])
            try q.validate()
            return ConditionalResponse.respond(try market.assets(), request: request, context: context)
        }
        let symbolParameter = ParameterDoc("symbol", in: .path, symbolSchema, "asset symbol, e.g. AAPL or ^GSPC")
        try routes.get("/api/v1/assets/:symbol", RouteOptions(access: readAccess, doc: RouteDoc(
            "One asset", tag: "markets", parameters: [symbolParameter], data: asset))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly([])
            let symbol = try symbol(context)
            try q.validate()
            return ConditionalResponse.respond(try market.asset(symbol), request: request, context: context)
        }
        try routes.get("/api/v1/assets/:symbol/history", RouteOptions(access: readAccess, doc: RouteDoc(
            "An asset's closes, and the closes rebased to 100 at the first date", tag: "markets",
            parameters: [symbolParameter] + dateParameters,
            data: .object([("symbol", .text), ("points", .array(.object([("date", .date), ("close", .number), ("rebased", .number)],
                                                                          required: ["date", "close", "rebased"])))],
                          required: ["symbol", "points"])))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["from", "to"])
            let range = q.dateRange()
            let symbol = try symbol(context)
            try q.validate()
            return ConditionalResponse.respond(try market.assetHistory(symbol, from: range.from.map(Day.init), to: range.to.map(Day.init)), request: request, context: context)
        }
        try routes.get("/api/v1/prices", RouteOptions(access: readAccess, doc: RouteDoc(
            "Daily prices ordered by date then asset, keyset-paginated (the cursor stays valid while rows are added)", tag: "markets",
            parameters: [ParameterDoc("symbol", symbolSchema, "only this asset")] + dateParameters + [
                Paging.limitParameter(default: 100),
                Paging.cursorParameter,
            ], data: .array(price)))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["symbol", "from", "to", "limit", "cursor"])
            let symbol = q.string("symbol", maxLength: 21)
            if let symbol, !IncomingDataValidation.isValidSymbol(symbol) {
                q.record(FieldIssue(field: "symbol", issue: "must be a symbol like AAPL or ^GSPC"))
            }
            let range = q.dateRange()
            let limit = q.pageLimit(default: 100)
            var after: (Day, Int)?
            if let c = q.cursor() {
                if c.values.count == 2, let d = Day(iso: c.values[0]), let id = Int(c.values[1]) { after = (d, id) } else {
                    q.record(FieldIssue(field: "cursor", issue: "is not a valid cursor; use the next_cursor of a previous page"))
                }
            }
            try q.validate()
            let body = try market.prices(symbol: symbol, from: range.from.map(Day.init), to: range.to.map(Day.init), after: after, limit: limit)
            return ConditionalResponse.respond(body, request: request, context: context)
        }
        try routes.get("/api/v1/currencies", RouteOptions(access: readAccess, doc: RouteDoc(
            "The 20 supported currencies with their ISO 4217 minor units and latest rate per USD", tag: "markets",
            data: .array(.object([("code", .text), ("name", .text), ("minor_units", .integer(minimum: 0, maximum: 4)),
                                  ("latest_rate", .nullable(.number)), ("latest_rate_date", .nullable(.date))],
                                 required: ["code", "name", "minor_units"]))))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly([])
            try q.validate()
            return ConditionalResponse.respond(try market.currencies(), request: request, context: context)
        }
        try routes.get("/api/v1/fx-rates", RouteOptions(access: readAccess, doc: RouteDoc(
            "Daily exchange rates of one currency, in units per 1 USD", tag: "markets",
            parameters: [ParameterDoc("currency", required: true, .string(enumValues: Currency.codes.filter { $0 != "USD" }), "ISO 4217 code")]
                + dateParameters,
            data: .object([("currency", .text), ("base", .text), ("rates", .array(.object([("date", .date), ("rate", .number)],
                                                                                           required: ["date", "rate"])))],
                          required: ["currency", "base", "rates"])))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["currency", "from", "to"])
            let currency = q.optionalOneOf("currency", Currency.codes.filter { $0 != "USD" })
            if q.raw("currency") == nil { q.record(FieldIssue(field: "currency", issue: "is required")) }
            let range = q.dateRange()
            try q.validate()
            return ConditionalResponse.respond(try market.fxRates(currency: currency!, from: range.from.map(Day.init), to: range.to.map(Day.init)),
                                               request: request, context: context)
        }
    }

    static func symbol(_ context: RequestContext) throws -> String {
        let s = try context.parameter("symbol")
        guard IncomingDataValidation.isValidSymbol(s) else {
            throw AppError.validation([FieldIssue(field: "symbol", issue: "must be a symbol like AAPL or ^GSPC")])
        }
        return s
    }
}

extension Day {
    init(_ d: PostgresDate) { self.init(year: d.year, month: d.month, day: d.day) }
}
