import Foundation
import HTTPServer
import Platform

/// GET /api/v1/strategy/config; PUT /api/v1/strategy/config (admin).
enum StrategyRoutes {
    /// A change: any subset of the keys; the others keep their current values.
    struct Patch: StrictDecodable {
        static let fields = Set(StrategyConfig.keys)
        var values: [String: Any] = [:]
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            let integers: Set<String> = ["max_forward_fill_days", "lookback_days", "momentum_days", "trading_days_per_year"]
            for key in c.allKeys {
                if key.stringValue == "rebalance_frequency" {
                    values[key.stringValue] = try c.decode(String.self, forKey: key)
                } else if integers.contains(key.stringValue) {
                    values[key.stringValue] = try c.decode(Int.self, forKey: key)
                } else {
                    values[key.stringValue] = try c.decode(Double.self, forKey: key)
                }
            }
        }
    }

    static let configSchema: Schema = .object([
        ("momentum_weight", .number), ("market_cap_weight", .number), ("risk_parity_weight", .number), ("min_price", .number),
        ("max_forward_fill_days", .integer(minimum: 0, maximum: 30)), ("min_coverage", .number), ("max_daily_return", .number),
        ("min_daily_return", .number), ("outlier_std_threshold", .number), ("lookback_days", .integer(minimum: 2, maximum: 1000)),
        ("momentum_days", .integer(minimum: 1, maximum: 1000)), ("daily_drop_threshold", .number),
        ("rebalance_frequency", .string(enumValues: StrategyConfig.Frequency.allCases.map(\.rawValue))), ("risk_free_rate", .number),
        ("trading_days_per_year", .integer(minimum: 1, maximum: 366)),
    ])

    static var stored: Schema {
        guard case .object(let fields, _, _) = configSchema else { return configSchema }
        return .object(fields + [("version", .integer(minimum: 1)), ("created_at", .dateTime)], required: StrategyConfig.keys + ["version"])
    }

    static func register(_ routes: inout Routes, strategy: StrategyService, readAccess: Access) throws {
        try routes.get("/api/v1/strategy/config", RouteOptions(access: readAccess, doc: RouteDoc(
            "The active strategy configuration and its version", tag: "strategy", data: stored))) { request, context in
            try IndexRoutes.noParameters(request)
            return try context.success(View(try strategy.current()))
        }
        try routes.put("/api/v1/strategy/config", RouteOptions(access: .admin, maxBodyBytes: 16 * 1024, timeoutMs: 300_000, doc: RouteDoc(
            "Store a new configuration version (keys not given keep their values); recompute=true recomputes the index in the same transaction",
            tag: "strategy", parameters: [ParameterDoc("recompute", .boolean, "recompute the index, allocations and metrics now")],
            requestBody: configSchema, data: stored))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["recompute"])
            let recompute = q.bool("recompute", default: false)
            try q.validate()
            let patch = try JSONBody.decode(Patch.self, from: request)
            var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(try strategy.current().config)) as? [String: Any] ?? [:]
            merged.merge(patch.values) { _, new in new }
            if let f = merged["rebalance_frequency"] as? String, StrategyConfig.Frequency(rawValue: f) == nil {
                throw AppError.validation([FieldIssue(field: "rebalance_frequency", issue: "must be one of: daily, weekly, monthly")])
            }
            let config = try JSONDecoder().decode(StrategyConfig.self, from: JSONSerialization.data(withJSONObject: merged))
            let before = try strategy.current()
            let audit = context.auditEntry(request, action: "strategy.updated", resourceType: "strategy_config", resourceID: nil,
                                           old: try Self.json(before.config), new: try Self.json(config))
            let (stored, stats) = try strategy.update(config, recompute: recompute, audit: audit)
            context.logger.notice("strategy configuration changed", metadata: ["version": .stringConvertible(stored.version),
                                                                                "recomputed": .stringConvertible(stats != nil)])
            return try context.success(View(stored))
        }
    }

    static func json(_ c: StrategyConfig) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(c), as: UTF8.self)
    }

    struct View: Encodable {
        let stored: StrategyRepository.Stored
        init(_ s: StrategyRepository.Stored) { stored = s }
        func encode(to encoder: Encoder) throws {
            try stored.config.encode(to: encoder)
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(stored.version, forKey: Key(stringValue: "version")!)
            try c.encode(ISO8601DateFormatter().string(from: stored.createdAt), forKey: Key(stringValue: "created_at")!)
        }
    }
}
