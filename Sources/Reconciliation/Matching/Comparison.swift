/// How two records compare, field by field, as discrete levels: the comparison vector of
/// Fellegi and Sunter. The weight of each level is not set here but estimated per job from
/// the records themselves (`MatchModel`); this file only decides which level a pair is at.
struct ComparisonVector: Hashable, Sendable {
    var levels: (UInt8, UInt8, UInt8, UInt8)

    init(amount: UInt8, date: UInt8, reference: UInt8, name: UInt8) { levels = (amount, date, reference, name) }

    subscript(field: ComparisonField) -> Int {
        switch field {
        case .amount: Int(levels.0)
        case .date: Int(levels.1)
        case .reference: Int(levels.2)
        case .name: Int(levels.3)
        }
    }

    /// One number per vector (for counting patterns).
    var code: Int { Int(levels.0) | Int(levels.1) << 8 | Int(levels.2) << 16 | Int(levels.3) << 24 }

    static func == (a: Self, b: Self) -> Bool { a.code == b.code }
    func hash(into h: inout Hasher) { h.combine(code) }
}

public enum ComparisonField: Int, CaseIterable, Sendable {
    case amount, date, reference, name

    public var name: String {
        switch self {
        case .amount: "amount"
        case .date: "date"
        case .reference: "reference"
        case .name: "counterparty"
        }
    }

    /// The levels of each field, in order; their names appear in the job's model and in every
    /// match's contributions.
    public var levels: [String] {
        switch self {
        case .amount: ["exact", "within_3_cents", "within_tolerance", "fee_withheld", "far"]
        case .date: ["same_day", "1_day", "2_days", "3_days", "4_5_days", "6_8_days", "earlier", "far"]
        case .reference: ["equal", "contained", "numeric_core", "different", "absent"]
        case .name: ["equal", "similar", "weakly_similar", "in_text", "different", "not_in_text", "absent"]
        }
    }
}

/// `far` only ever appears among random pairs: candidates are within tolerance by construction.
enum AmountLevel { static let exact: UInt8 = 0, close: UInt8 = 1, tolerant: UInt8 = 2, withheld: UInt8 = 3, far: UInt8 = 4 }
enum ReferenceLevel { static let equal: UInt8 = 0, contained: UInt8 = 1, core: UInt8 = 2, different: UInt8 = 3, absent: UInt8 = 4 }
enum NameLevel {
    static let equal: UInt8 = 0, similar: UInt8 = 1, weak: UInt8 = 2, inText: UInt8 = 3, different: UInt8 = 4, notInText: UInt8 = 5, absent: UInt8 = 6
}

/// Decides the level of each field for a pair (left record `a`, right record `b`).
struct Comparator: Sendable {
    let rules: MatchRules

    /// Rounding and FX conversion differ by a few cents.
    static let closeUnits: Int64 = 300
    /// A fee withheld from an incoming payment: the bank line is smaller by at most this much
    /// (the larger of an absolute amount and a share of the payment).
    static let withheldAbsolute: Int64 = 50_0000
    static let withheldPercent = 2.0

    static func withheldLimit(_ amount: Int64) -> Int64 {
        max(withheldAbsolute, Int64(Double(amount.magnitude) * withheldPercent / 100))
    }

    /// The amount level, or nil when the amounts are too far apart to be one transaction.
    func amountLevel(_ a: Int64, _ b: Int64) -> UInt8? {
        guard (a < 0) == (b < 0) else { return nil }
        let difference = (a - b).magnitude
        if difference == 0 { return AmountLevel.exact }
        if difference <= Self.closeUnits { return AmountLevel.close }
        if difference <= rules.tolerance(max(abs(a), abs(b))).magnitude { return AmountLevel.tolerant }
        // Only on money coming in, and only ever less on the bank's side.
        if a > 0 && b < a && difference <= Self.withheldLimit(a).magnitude { return AmountLevel.withheld }
        return nil
    }

    func dateLevel(_ a: PreparedRecord, _ b: PreparedRecord) -> UInt8 {
        let d = b.businessDay - a.businessDay
        switch d {
        case 0: return 0
        case 1: return 1
        case 2: return 2
        case 3: return 3
        case 4...5: return 4
        case 6...8: return 5
        case -3 ... -1: return 6
        default: return 7
        }
    }

    static func referenceLevel(_ a: PreparedRecord, _ b: PreparedRecord) -> UInt8 {
        if let x = a.reference, let y = b.reference, x == y { return ReferenceLevel.equal }
        if let x = a.reference, b.documents.contains(x) { return ReferenceLevel.contained }
        if let y = b.reference, a.documents.contains(y) { return ReferenceLevel.contained }
        if a.documents.contains(where: { b.documents.contains($0) }) { return ReferenceLevel.contained }
        if a.cores.contains(where: { b.cores.contains($0) }) { return ReferenceLevel.core }
        if a.hasIdentifier && b.hasIdentifier { return ReferenceLevel.different }
        return ReferenceLevel.absent
    }

    /// The name level and, when both sides name a party, their similarity.
    static func nameLevel(_ a: PreparedRecord, _ b: PreparedRecord) -> (UInt8, Double?) {
        switch (a.name.isEmpty, b.name.isEmpty) {
        case (false, false):
            let s = StringSimilarity.names(a.name, b.name)
            let level = s >= 0.97 ? NameLevel.equal : s >= 0.9 ? NameLevel.similar : s >= 0.8 ? NameLevel.weak : NameLevel.different
            return (level, s)
        case (false, true): return (inText(a.name, b.words), nil)
        case (true, false): return (inText(b.name, a.words), nil)
        case (true, true): return (NameLevel.absent, nil)
        }
    }

    /// Whether most words of a party's name appear in the other record's free text (a bank
    /// line "POS OFFICEHUB AUSTIN" with no counterparty field).
    static func inText(_ name: PreparedName, _ words: WordList) -> UInt8 {
        if words.isEmpty { return NameLevel.absent }
        let tokens = name.tokens.filter { $0.count >= 3 }
        if tokens.isEmpty { return NameLevel.absent }
        var found = 0
        for t in tokens where t.withUnsafeBufferPointer({ tb in words.contains { StringSimilarity.jaroWinkler($0, tb) >= 0.92 } }) { found += 1 }
        return found * 2 >= tokens.count ? NameLevel.inText : NameLevel.notInText
    }

    func compare(_ a: PreparedRecord, _ b: PreparedRecord, amount: UInt8) -> ComparisonVector {
        ComparisonVector(amount: amount, date: dateLevel(a, b), reference: Self.referenceLevel(a, b), name: Self.nameLevel(a, b).0)
    }
}
