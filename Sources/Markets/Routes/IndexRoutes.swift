import HTTPServer
import Platform
import Postgres

/// GET /api/v1/index/current, /index/history, /index/allocations, /index/risk-metrics,
/// /benchmark/compare.
enum IndexRoutes {
    static let weight = Schema.object([("symbol", .text), ("name", .text), ("sector", .nullable(.text)), ("weight", .number)],
                                      required: ["symbol", "name", "weight"])
    static let metricNames = ["total_return", "annualized_return", "volatility", "sharpe", "sortino", "max_drawdown", "current_drawdown",
                              "var_95", "var_99", "beta", "correlation"]
    static let performance = Schema.object([("total_return", .nullable(.number)), ("annualized_return", .nullable(.number)),
                                            ("volatility", .nullable(.number)), ("sharpe", .nullable(.number))],
                                           required: ["total_return", "annualized_return", "volatility", "sharpe"])

    static func register(_ routes: inout Routes, market: MarketService, readAccess access: Access) throws {
        try routes.get("/api/v1/index/current", RouteOptions(access: access, doc: RouteDoc(
            "The latest rebalance (its date and weights) and the latest index value with its own date: a rebalance happens on its schedule, the value every trading day",
            tag: "index",
            data: .object([("date", .date), ("rebalance_date", .date), ("index_value", .nullable(.number)), ("index_date", .nullable(.date)),
                           ("strategy_version", .nullable(.integer(minimum: 1))), ("weights", .array(weight))],
                          required: ["date", "rebalance_date", "weights"])))) { request, context in
            try noParameters(request)
            return ConditionalResponse.respond(try market.current(), request: request, context: context)
        }
        try routes.get("/api/v1/index/history", RouteOptions(access: access, doc: RouteDoc(
            "Index values (100 on the first date), every date when no range is given", tag: "index", parameters: MarketRoutes.dateParameters,
            data: .array(.object([("date", .date), ("value", .number)], required: ["date", "value"]))))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["from", "to"])
            let range = q.dateRange()
            try q.validate()
            return ConditionalResponse.respond(try market.history(from: range.from.map(Day.init), to: range.to.map(Day.init)),
                                               request: request, context: context)
        }
        try routes.get("/api/v1/index/allocations", RouteOptions(access: access, doc: RouteDoc(
            "Target weights: of the rebalance on or before `date`, or of every rebalance from `from` to `to`", tag: "index",
            parameters: [ParameterDoc("date", .date, "the rebalance on or before this date (not with from/to)")] + MarketRoutes.dateParameters,
            data: .array(.object([("date", .date), ("symbol", .text), ("weight", .number)], required: ["date", "symbol", "weight"]))))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["date", "from", "to"])
            let date = q.date("date")
            let range = q.dateRange()
            if date != nil && (range.from != nil || range.to != nil) {
                q.record(FieldIssue(field: "date", issue: "cannot be combined with from or to"))
            }
            try q.validate()
            return ConditionalResponse.respond(try market.allocations(on: date.map(Day.init), from: range.from.map(Day.init), to: range.to.map(Day.init)),
                                               request: request, context: context)
        }
        try routes.get("/api/v1/index/risk-metrics", RouteOptions(access: access, doc: RouteDoc(
            "The index's risk metrics (INDEX-SPEC step 10), null where undefined", tag: "index",
            data: .object(metricNames.map { ($0, Schema.nullable(.number)) } + [("as_of", .nullable(.date))],
                          required: metricNames + ["as_of"])))) { request, context in
            try noParameters(request)
            return ConditionalResponse.respond(try market.riskMetrics(), request: request, context: context)
        }
        try routes.get("/api/v1/benchmark/compare", RouteOptions(access: access, doc: RouteDoc(
            "Index against the benchmark over a range: total and annualized return, volatility, Sharpe, and the difference", tag: "index",
            parameters: [ParameterDoc("from", .date, "first date (default: the first index date)"),
                         ParameterDoc("to", .date, "last date (default: the last index date)"),
                         ParameterDoc("start_date", .date, "deprecated: the old name of from"),
                         ParameterDoc("end_date", .date, "deprecated: the old name of to")],
            data: .object([("start", .date), ("end", .date), ("benchmark_symbol", .nullable(.text)), ("index", performance),
                           ("benchmark", performance), ("outperformance", performance)],
                          required: ["start", "end", "index", "benchmark", "outperformance"])))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["from", "to", "start_date", "end_date"])
            let range = q.dateRange(aliases: (from: "start_date", to: "end_date"))
            try q.validate()
            return ConditionalResponse.respond(try market.compare(start: range.from.map(Day.init), end: range.to.map(Day.init)),
                                               request: request, context: context)
        }
    }

    static func noParameters(_ request: Request) throws {
        var q = QueryParameters(request)
        q.allowOnly([])
        try q.validate()
    }
}
