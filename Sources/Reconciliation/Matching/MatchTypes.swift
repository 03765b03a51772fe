/// One transaction as the matcher sees it: integer amounts in 1e-4 units (numeric(20,4)
/// exactly), a day number, and the texts that identify it.
public struct MatchInput: Sendable, Equatable {
    /// The caller's id for the record (the database id).
    public var id: Int64
    /// Amount in 1/10,000 of the currency unit, signed.
    public var amount: Int64
    /// Days since 1970-01-01.
    public var day: Int32
    public var currency: String
    public var reference: String?
    public var description: String?
    public var counterparty: String?

    public init(id: Int64, amount: Int64, day: Int32, currency: String, reference: String? = nil, description: String? = nil,
                counterparty: String? = nil) {
        self.id = id
        self.amount = amount
        self.day = day
        self.currency = currency
        self.reference = reference
        self.description = description
        self.counterparty = counterparty
    }
}

/// What may differ between two records of one transaction.
public struct MatchRules: Sendable, Equatable, Codable {
    /// Largest absolute amount difference, in 1e-4 units.
    public var amountToleranceAbsolute: Int64
    /// Largest relative amount difference, in percent of the larger amount.
    public var amountTolerancePercent: Double
    /// Largest distance between the dates, in business days (Monday to Friday).
    public var dateWindowDays: Int
    /// Look for one-to-many and many-to-one groups.
    public var allowGroups: Bool
    /// Most records on the "many" side of a group.
    public var maxGroupSize: Int

    public init(amountToleranceAbsolute: Int64 = 500, amountTolerancePercent: Double = 0.5, dateWindowDays: Int = 8,
                allowGroups: Bool = true, maxGroupSize: Int = 12) {
        self.amountToleranceAbsolute = amountToleranceAbsolute
        self.amountTolerancePercent = amountTolerancePercent
        self.dateWindowDays = dateWindowDays
        self.allowGroups = allowGroups
        self.maxGroupSize = maxGroupSize
    }

    /// The tolerance for an amount: the larger of the absolute and the relative one.
    func tolerance(_ amount: Int64) -> Int64 {
        let relative = Int64((Double(amount.magnitude) * amountTolerancePercent / 100).rounded(.down))
        return max(amountToleranceAbsolute, relative)
    }
}

public enum MatchKind: String, Sendable, CaseIterable, Codable {
    case exact, tolerant
    case oneToMany = "one_to_many"
    case manyToOne = "many_to_one"
    case manual
}

/// Why a match was proposed: the evidence, each as it was found.
public struct MatchSignals: Sendable, Equatable {
    /// |left - right| (or group sum difference), in 1e-4 units.
    public var amountDifference: Int64
    /// Business days between the dates (the widest within a group).
    public var dateDistance: Int
    /// "equal", "in_description", "different" or "missing".
    public var reference: String
    /// Counterparty similarity in [0, 1]; nil when a side has none.
    public var counterparty: Double?
    /// The summed log-odds weight of the evidence (pairs).
    public var score: Double
    /// Other candidates of similar standing that competed for the same records.
    public var competitors: Int
    /// Each field's level and weight (log m/u) as the job's model scored it: why the pair
    /// scored as it did. Empty for groups found by sum.
    public var contributions: [Contribution] = []

    public struct Contribution: Sendable, Equatable {
        public var field: String
        public var level: String
        public var weight: Double
    }
}

/// A proposed match: record indexes into the inputs of each side.
public struct ProposedMatch: Sendable, Equatable {
    public var kind: MatchKind
    public var left: [Int]
    public var right: [Int]
    public var confidence: Double
    public var signals: MatchSignals
}

public struct MatchOutcome: Sendable {
    public var matches: [ProposedMatch]
    public var unmatchedLeft: [Int]
    public var unmatchedRight: [Int]
    /// Records left alone because two or more candidates could not be told apart.
    public var ambiguous: Int
    public var candidatePairs: Int
    /// The model the job estimated and scored with.
    public var model: MatchModel
    /// Exact duplicate rows set aside: `record` repeats `of` (indexes into the same side).
    public var duplicatesLeft: [Duplicate]
    public var duplicatesRight: [Duplicate]
    /// Processor fee rules the group search learned, by processor ("" for all payouts).
    public var feeRules: [String: FeeRule] = [:]

    public struct Duplicate: Sendable, Equatable {
        public var record: Int
        public var of: Int
    }
}
