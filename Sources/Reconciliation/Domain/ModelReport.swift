import Foundation

/// A job's matching model as stored with the job and shown by GET: for every field and level
/// m, u and the weight log(m/u) it scored with, the share of candidate pairs estimated true,
/// and the processor fee rules it learned. Pure.
public struct ModelReport: Codable, Sendable, Equatable {
    public struct Level: Codable, Sendable, Equatable {
        public var level: String
        public var m: Double
        public var u: Double
        public var weight: Double
    }

    public struct Field: Codable, Sendable, Equatable {
        public var field: String
        public var levels: [Level]
    }

    public struct Fee: Codable, Sendable, Equatable {
        /// The payout's first name word ("swipely"), or "" for the rule over all payouts.
        public var processor: String
        public var ratePercent: Double
        public var perItem: Double
        public var observations: Int
        enum CodingKeys: String, CodingKey { case processor, ratePercent = "rate_percent", perItem = "per_item", observations }
    }

    public var matchShare: Double
    public var priorLogOdds: Double
    public var iterations: Int
    public var candidatePairs: Int
    public var labelledPairs: Int
    public var fields: [Field]
    public var feeRules: [Fee]

    enum CodingKeys: String, CodingKey {
        case matchShare = "match_share", priorLogOdds = "prior_log_odds", iterations, candidatePairs = "candidate_pairs"
        case labelledPairs = "labelled_pairs", fields, feeRules = "fee_rules"
    }

    public init(_ outcome: MatchOutcome) {
        let model = outcome.model
        func r(_ x: Double, _ digits: Double = 1e6) -> Double { (x * digits).rounded() / digits }
        matchShare = r(model.matchShare)
        priorLogOdds = r(model.pairLogOdds, 1e3)
        iterations = model.iterations
        candidatePairs = model.pairs
        labelledPairs = model.labelledPairs
        fields = ComparisonField.allCases.map { f in
            Field(field: f.name, levels: f.levels.enumerated().map { i, name in
                let m = model.m[f.rawValue][i], u = model.u[f.rawValue][i]
                return Level(level: name, m: r(m), u: r(u), weight: r(log(m / u), 1e3))
            })
        }
        feeRules = outcome.feeRules.sorted { $0.key < $1.key }.map { k, v in
            Fee(processor: k, ratePercent: r(v.rate * 100, 1e4), perItem: r(v.perItem, 1e4), observations: v.observations)
        }
    }
}
