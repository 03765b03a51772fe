import Foundation
import Postgres

/// Strategy configurations as versioned rows: the component weights in `weights`, the other
/// parameters in `parameters`, and one active row.
enum StrategyRepository: StatementCatalog {
    struct Stored {
        var version: Int
        var config: StrategyConfig
        var createdAt: Date
    }

    static let active: PostgresQuery = """
        SELECT version, weights::text AS weights, parameters::text AS parameters, rebalance_frequency, created_at
        FROM strategy_configs WHERE is_active
        """

    static func decode(_ row: PostgresRow) throws -> Stored {
        var object: [String: Any] = [:]
        for column in ["weights", "parameters"] {
            let text: String = try row.decode(column)
            if let o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] { object.merge(o) { a, _ in a } }
        }
        var flat: [String: Any] = [:]
        for (k, v) in object {
            switch k {
            case "momentum": flat["momentum_weight"] = v
            case "market_cap": flat["market_cap_weight"] = v
            case "risk_parity": flat["risk_parity_weight"] = v
            default: flat[k] = v
            }
        }
        flat["rebalance_frequency"] = try row.decode("rebalance_frequency", as: String.self)
        let config = try JSONDecoder().decode(StrategyConfig.self, from: JSONSerialization.data(withJSONObject: flat))
        return Stored(version: try row.decode("version"), config: config, createdAt: try row.decode("created_at"))
    }

    static func load(_ tx: Transaction) throws -> Stored? {
        try tx.query(active).first.map(decode)
    }

    static let deactivate: PostgresQuery = "UPDATE strategy_configs SET is_active = false WHERE is_active"

    static func insert(_ c: StrategyConfig, name: String) throws -> PostgresQuery {
        let weights = try PostgresJSON(["momentum": c.momentumWeight, "market_cap": c.marketCapWeight, "risk_parity": c.riskParityWeight])
        let all = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? [String: Any] ?? [:]
        let rest = all.filter { !["momentum_weight", "market_cap_weight", "risk_parity_weight", "rebalance_frequency"].contains($0.key) }
        let parameters = PostgresJSON(String(decoding: try JSONSerialization.data(withJSONObject: rest, options: [.sortedKeys]), as: UTF8.self))
        return """
            INSERT INTO strategy_configs (version, name, weights, rebalance_frequency, parameters, is_active)
            SELECT coalesce(max(version), 0) + 1, \(name), \(weights)::jsonb, \(c.rebalanceFrequency.rawValue), \(parameters)::jsonb, true
            FROM strategy_configs
            RETURNING version, created_at
            """
    }

    static var statements: [PostgresQuery] {
        [active, deactivate, (try? insert(StrategyConfig(), name: "x")) ?? "SELECT 1"]
    }
}
