import Foundation

/// The evidence two records give that they are one transaction: the sum of the job's
/// estimated log-likelihood ratios (`MatchModel`) of their comparison levels, plus a
/// term-frequency adjustment for names (agreeing on a rare name says more than agreeing on
/// one that half the ledger carries).
struct PairScorer: Sendable {
    let comparator: Comparator
    /// weights[field][level] = log(m / u).
    let weights: [[Double]]
    /// The model's prior log-odds that a pair of records is one transaction.
    let priorLogOdds: Double

    init(rules: MatchRules, model: MatchModel = .prior) {
        comparator = Comparator(rules: rules)
        weights = model.weights()
        priorLogOdds = model.pairLogOdds
    }

    /// Log Bayes factor of a pair's comparison vector (without the prior), with its name
    /// frequency adjustment.
    @inline(__always) func score(_ v: ComparisonVector, nameAdjustment: Float = 0) -> Double {
        weights[0][v[.amount]] + weights[1][v[.date]] + weights[2][v[.reference]] + weights[3][v[.name]]
            + (Self.adjusted(v) ? Double(nameAdjustment) : 0)
    }

    /// The name levels a frequency adjustment applies to: those that say the names agree.
    @inline(__always) static func adjusted(_ v: ComparisonVector) -> Bool {
        let n = UInt8(v[.name])
        return n == NameLevel.equal || n == NameLevel.similar || n == NameLevel.inText
    }

    /// The signals of an accepted pair, with each field's level and contribution.
    func signals(_ a: PreparedRecord, _ b: PreparedRecord, _ v: ComparisonVector, nameAdjustment: Float, competitors: Int) -> MatchSignals {
        let (_, similarity) = Comparator.nameLevel(a, b)
        var contributions: [MatchSignals.Contribution] = []
        for f in ComparisonField.allCases {
            var w = weights[f.rawValue][v[f]]
            if f == .name && Self.adjusted(v) { w += Double(nameAdjustment) }
            contributions.append(.init(field: f.name, level: f.levels[v[f]], weight: (w * 1000).rounded() / 1000))
        }
        let s = score(v, nameAdjustment: nameAdjustment)
        return MatchSignals(amountDifference: Int64((a.amount - b.amount).magnitude), dateDistance: Int(abs(a.businessDay - b.businessDay)),
                            reference: ComparisonField.reference.levels[v[.reference]],
                            counterparty: similarity.map { ($0 * 1000).rounded() / 1000 }, score: (s * 1000).rounded() / 1000,
                            competitors: competitors, contributions: contributions)
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
    /// Numeric cores of the reference and the description.
    var cores: [String]
    var name: PreparedName
    /// Words of the description, for a name written there.
    var words: WordList

    var hasIdentifier: Bool { !documents.isEmpty || !cores.isEmpty }
    /// A check, by its text ("CHK 1234", "Check 1234 from ..."): what a deposit may hold.
    var isCheck: Bool

    static let checkWords: Set<[UInt8]> = Set(["check", "chk", "chq", "cheque"].map { Array($0.utf8) })

    /// A document number or core that more records than this carry on one side is not an
    /// identifier ("2024", a constant like "SALARY 202401"): it is dropped from every record.
    static let maxIdentifierFrequency = 20

    static func dropCommonIdentifiers(_ left: inout [PreparedRecord], _ right: inout [PreparedRecord]) {
        let common = commonIdentifiers(left, right)
        guard !common.isEmpty else { return }
        for i in left.indices where left[i].carriesAny(of: common) { left[i].drop(common) }
        for i in right.indices where right[i].carriesAny(of: common) { right[i].drop(common) }
    }

    /// Identifiers more than `maxIdentifierFrequency` records of a side carry. Each side is
    /// counted on its own thread; a record's identifier counts once however often it carries
    /// it (a record has a handful, so the check is a scan, not a set).
    private static func commonIdentifiers(_ left: [PreparedRecord], _ right: [PreparedRecord]) -> Set<String> {
        let perSide = Parallel.map(2) { side in
            var counts: [String: Int] = [:]
            for rec in side == 0 ? left : right {
                for (i, d) in rec.documents.enumerated() where !rec.documents[..<i].contains(d) { counts[d, default: 0] += 1 }
                for (i, c) in rec.cores.enumerated() where !rec.cores[..<i].contains(c) && !rec.documents.contains(c) { counts[c, default: 0] += 1 }
            }
            return Set(counts.lazy.filter { $0.value > maxIdentifierFrequency }.map(\.key))
        }
        return perSide[0].union(perSide[1])
    }

    private func carriesAny(of common: Set<String>) -> Bool {
        documents.contains(where: common.contains) || cores.contains(where: common.contains) || reference.map(common.contains) == true
    }

    private mutating func drop(_ common: Set<String>) {
        documents.removeAll { common.contains($0) }
        cores.removeAll { common.contains($0) }
        if let ref = reference, common.contains(ref) { reference = nil }
    }

    init(_ r: MatchInput, currency: Int32) {
        amount = r.amount
        day = r.day
        businessDay = BusinessDays.index(r.day)
        self.currency = currency
        reference = TextNormalizer.reference(r.reference)
        var docs = TextNormalizer.documentTokens(r.description)
        if let ref = reference, !docs.contains(ref) { docs.append(ref) }
        documents = docs
        cores = TextNormalizer.numericCores(r.reference, r.description)
        name = PreparedName(r.counterparty)
        let words = TextNormalizer.words(r.description)
        isCheck = (TextNormalizer.words(r.reference).first ?? words.first).map { Self.checkWords.contains($0) } ?? false
        self.words = WordList(words)
    }
}
