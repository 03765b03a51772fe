import Foundation

/// The evidence two records give that they are one transaction, as a Fellegi-Sunter sum of
/// log-odds weights (natural log of P(signal | same transaction) / P(signal | different)).
/// The weights were set from the agreement rates measured on the generated benchmark data
/// (`ReconciliationFixtures`; see README "Reconciliation matcher") and rounded; a candidate
/// pair already agrees on currency, sign, amount within tolerance and date window (or a
/// shared reference), which is why a bare amount agreement is worth little.
struct PairScorer: Sendable {
    let rules: MatchRules

    struct Weights {
        static let amountExact = 2.0
        /// Within tolerance but not equal: from `amountNearBest` (tiny difference) down by
        /// `amountNearSlope` at the tolerance's edge.
        static let amountNearBest = -0.5
        static let amountNearSlope = -2.0
        /// By business-day distance 0, 1, 2, 3, 4-5, beyond the window (reference candidates).
        static let date = [1.5, 1.0, 0.3, -0.3, -1.0]
        static let dateBeyondWindow = -2.5
        static let referenceEqual = 4.5
        static let referenceInDescription = 3.5
        static let referenceDifferent = -3.0
        /// Counterparty similarity equal, at least 0.97, 0.92, 0.85, or lower.
        static let nameBands: [(Double, Double)] = [(1.0, 4.0), (0.97, 3.0), (0.92, 1.5), (0.85, 0.0)]
        static let nameDifferent = -2.5
    }

    struct Evaluation {
        var score: Double
        var signals: MatchSignals
    }

    func evaluate(_ a: PreparedRecord, _ b: PreparedRecord) -> Evaluation {
        var score = 0.0
        let difference = (a.amount - b.amount).magnitude
        if difference == 0 {
            score += Weights.amountExact
        } else {
            let tolerance = Double(max(rules.tolerance(max(abs(a.amount), abs(b.amount))), 1))
            score += Weights.amountNearBest + Weights.amountNearSlope * min(1, Double(difference) / tolerance)
        }
        let distance = Int(abs(a.businessDay - b.businessDay))
        if distance > rules.dateWindowDays {
            score += Weights.dateBeyondWindow
        } else {
            score += Weights.date[min(distance, Weights.date.count - 1)]
        }
        let reference = Self.referenceAgreement(a, b)
        switch reference {
        case "equal": score += Weights.referenceEqual
        case "in_description": score += Weights.referenceInDescription
        case "different": score += Weights.referenceDifferent
        default: break
        }
        var similarity: Double?
        if !a.name.isEmpty && !b.name.isEmpty {
            let s = StringSimilarity.names(a.name, b.name)
            similarity = (s * 1000).rounded() / 1000
            score += Weights.nameBands.first { s >= $0.0 }?.1 ?? Weights.nameDifferent
        }
        return Evaluation(score: score, signals: MatchSignals(amountDifference: Int64(difference), dateDistance: distance, reference: reference,
                                                              counterparty: similarity, score: (score * 1000).rounded() / 1000, competitors: 0))
    }

    /// "equal" when both references normalise to the same key; "in_description" when one
    /// side's reference (or a document number in its description) appears among the other's;
    /// "different" when both have references that share nothing; "missing" otherwise.
    static func referenceAgreement(_ a: PreparedRecord, _ b: PreparedRecord) -> String {
        if let x = a.reference, let y = b.reference, x == y { return "equal" }
        if let x = a.reference, b.documents.contains(x) { return "in_description" }
        if let y = b.reference, a.documents.contains(y) { return "in_description" }
        if a.reference != nil && b.reference != nil {
            if a.documents.contains(where: { b.documents.contains($0) }) { return "in_description" }
            return "different"
        }
        return "missing"
    }
}

/// A record with everything the matcher compares computed once.
struct PreparedRecord: Sendable {
    var amount: Int64
    var day: Int32
    var businessDay: Int32
    var currency: Int32
    var reference: String?
    /// Document-number tokens of the description (and the reference).
    var documents: [String]
    var name: PreparedName

    init(_ r: MatchInput, currency: Int32) {
        amount = r.amount
        day = r.day
        businessDay = BusinessDays.index(r.day)
        self.currency = currency
        reference = TextNormalizer.reference(r.reference)
        var docs = TextNormalizer.documentTokens(r.description)
        if let ref = reference, !docs.contains(ref) { docs.append(ref) }
        documents = docs
        name = PreparedName(r.counterparty)
    }
}
