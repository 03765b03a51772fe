import Testing
@testable import Reconciliation
import ReconciliationFixtures

/// The matcher with plain values: each signal, assignment, groups, and quality on generated data.
@Suite struct MatcherTests {
    /// 2025-03-03 is a Monday.
    static let monday: Int32 = 20150

    static func r(_ id: Int64, _ amount: String, _ day: Int32 = monday, ref: String? = nil, desc: String? = nil, party: String? = nil,
                  currency: String = "USD") -> MatchInput {
        MatchInput(id: id, amount: Amounts.units(amount)!, day: day, currency: currency, reference: ref, description: desc, counterparty: party)
    }

    static func pairs(_ o: MatchOutcome) -> Set<[Int]> { Set(o.matches.map { $0.left + [-1] + $0.right }) }

    @Test func businessDaysSkipWeekends() {
        #expect(BusinessDays.distance(Self.monday, Self.monday + 4) == 4)   // Monday to Friday
        #expect(BusinessDays.distance(Self.monday + 4, Self.monday + 7) == 1)  // Friday to next Monday
        #expect(BusinessDays.distance(Self.monday + 5, Self.monday + 7) == 0)  // Saturday counts as Monday
    }

    @Test func normalisationOfReferencesAndNames() {
        #expect(TextNormalizer.reference("INV-00123") == "123" && TextNormalizer.reference("inv 123") == "123")
        #expect(TextNormalizer.reference("REFUND") == nil && TextNormalizer.reference("12") == nil)
        #expect(TextNormalizer.documentTokens("Payment INV 000456 thanks").contains("456"))
        #expect(TextNormalizer.nameTokens("ACME Intl. Svcs, Inc.") == ["acme", "international", "services"])
        let a = PreparedName("Acme International Services Incorporated"), b = PreparedName("ACME INTL SVCS INC")
        #expect(StringSimilarity.names(a, b) == 1)
        #expect(StringSimilarity.names(PreparedName("Widgets Acme"), PreparedName("Acme Widgets")) > 0.99)
        #expect(StringSimilarity.names(PreparedName("William Williams"), PreparedName("William Thompson")) < 0.85)
        #expect(StringSimilarity.names(PreparedName("Patricia Ramirez"), PreparedName("PATIRCIA RAMIREZ")) > 0.97)
        #expect(StringSimilarity.jaroWinkler(Array("martha".utf8), Array("marhta".utf8)) > 0.96)
    }

    @Test func exactPairIsExactAndTolerantDifferencesAreTolerant() throws {
        let left = [Self.r(1, "-120.00", party: "Globex"), Self.r(2, "300.00", ref: "INV-7731", party: "Initech")]
        let right = [Self.r(10, "-120.00", party: "GLOBEX CORP"), Self.r(11, "299.97", Self.monday + 2, desc: "PAYMENT INV 0007731", party: "INITECH")]
        let o = try Matcher().run(left: left, right: right)
        #expect(o.matches.count == 2)
        let exact = try #require(o.matches.first { $0.left == [0] })
        #expect(exact.kind == .exact && exact.right == [0] && exact.confidence > 0.9)
        let tolerant = try #require(o.matches.first { $0.left == [1] })
        #expect(tolerant.kind == .tolerant && tolerant.signals.amountDifference == 300 && tolerant.signals.dateDistance == 2)
        #expect(tolerant.signals.reference == "contained")
        #expect(tolerant.signals.contributions.map(\.field) == ["amount", "date", "reference", "counterparty"])
    }

    @Test func eachSignalRaisesOrLowersTheScore() {
        let scorer = PairScorer(rules: MatchRules())
        func score(_ a: MatchInput, _ b: MatchInput) -> Double {
            let x = PreparedRecord(a, currency: 0), y = PreparedRecord(b, currency: 0)
            return scorer.score(scorer.comparator.compare(x, y, amount: scorer.comparator.amountLevel(x.amount, y.amount)!))
        }
        let base = Self.r(1, "100.00")
        #expect(score(base, Self.r(2, "100.00")) > score(base, Self.r(2, "100.04")), "exact amount beats tolerant")
        #expect(score(base, Self.r(2, "100.00")) > score(base, Self.r(2, "100.00", Self.monday + 3)), "same day beats three days later")
        #expect(score(Self.r(1, "1", ref: "A-1001"), Self.r(2, "1", ref: "a1001")) > score(Self.r(1, "1"), Self.r(2, "1")), "equal references")
        #expect(score(Self.r(1, "1", ref: "A-1001"), Self.r(2, "1", ref: "B-2002")) < score(Self.r(1, "1"), Self.r(2, "1")), "different references")
        #expect(score(Self.r(1, "1", party: "Acme"), Self.r(2, "1", party: "ACME")) > score(Self.r(1, "1"), Self.r(2, "1")), "same party")
        #expect(score(Self.r(1, "1", party: "Acme"), Self.r(2, "1", party: "Zenith")) < score(Self.r(1, "1"), Self.r(2, "1")), "other party")
    }

    @Test func assignmentIsGlobalBestFirstNotFileOrder() throws {
        // In file order, left 0 would take right 0 (same amount and day); the names say otherwise.
        let left = [Self.r(1, "50.00", party: "Globex Logistics"), Self.r(2, "50.00", party: "Acme Foods")]
        let right = [Self.r(10, "50.00", party: "ACME FOODS"), Self.r(11, "50.00", party: "GLOBEX LOGISTICS")]
        let o = try Matcher().run(left: left, right: right)
        #expect(Self.pairs(o) == [[0, -1, 1], [1, -1, 0]])
    }

    @Test func payrollRunsAreToldApartByNameOnly() throws {
        let names = ["Mary Smith", "John Smith", "Mary Jones", "Anna Lee", "Luis Garcia", "Omar Davis"]
        let left = names.enumerated().map { Self.r(Int64($0), "-2500.00", party: $1) }
        let right = names.reversed().enumerated().map { Self.r(Int64(100 + $0), "-2500.00", party: $1.uppercased()) }
        let o = try Matcher().run(left: left, right: right)
        #expect(o.matches.count == names.count)
        for m in o.matches { #expect(names[m.left[0]].uppercased() == names.reversed()[m.right[0]].uppercased()) }
    }

    @Test func indistinguishableCandidatesAreLeftForReview() throws {
        let left = [Self.r(1, "-20.00", party: "Cafe"), Self.r(2, "-20.00", party: "Cafe")]
        let right = [Self.r(10, "-20.00", party: "CAFE"), Self.r(11, "-20.00", party: "CAFE")]
        let o = try Matcher().run(left: left, right: right)
        #expect(o.matches.isEmpty && o.unmatchedLeft == [0, 1] && o.ambiguous == 2)
    }

    @Test func outsideTheRulesNothingMatches() throws {
        let left = [Self.r(1, "100.00"), Self.r(2, "100.00", currency: "EUR"), Self.r(3, "100.00")]
        let right = [Self.r(10, "100.00", Self.monday + 14), Self.r(11, "100.00", currency: "USD"), Self.r(12, "-100.00")]
        let o = try Matcher(rules: MatchRules(dateWindowDays: 3)).run(left: Array(left.prefix(1)), right: Array(right.prefix(1)))
        #expect(o.matches.isEmpty, "two weeks apart")
        #expect(try Matcher().run(left: [left[1]], right: [right[1]]).matches.isEmpty, "another currency")
        #expect(try Matcher().run(left: [left[2]], right: [right[2]]).matches.isEmpty, "the opposite sign")
    }

    @Test func oneToManySplitWithAWireFee() throws {
        let left = [Self.r(1, "-5025.00", ref: "PO-4411", party: "Stark Motors")]
        let right = [Self.r(10, "-3000.00", ref: "PO4411", party: "STARK MOTORS"), Self.r(11, "-2000.00", Self.monday + 1, ref: "PO4411", party: "STARK MOTORS"),
                     Self.r(12, "-25.00", desc: "WIRE FEE PO 4411"), Self.r(13, "-2000.00", party: "SOMEONE ELSE")]
        let o = try Matcher().run(left: left, right: right)
        let g = try #require(o.matches.first)
        #expect(g.kind == .oneToMany && g.left == [0] && g.right == [0, 1, 2] && g.confidence >= 0.8)
        #expect(o.unmatchedRight == [3])
    }

    @Test func manyToOneDepositAndSettlementLessAFee() throws {
        // Three checks deposited under one slip number.
        let checks = [Self.r(1, "120.00", ref: "DEP-9001", party: "A Co"), Self.r(2, "80.50", ref: "DEP-9001", party: "B Co"), Self.r(3, "19.50", ref: "DEP-9001", party: "C Co")]
        let deposit = [Self.r(10, "220.00", Self.monday + 1, desc: "DEPOSIT SLIP 9001")]
        let d = try Matcher().run(left: checks, right: deposit)
        #expect(d.matches.count == 1 && d.matches[0].kind == .manyToOne && d.matches[0].left == [0, 1, 2] && d.matches[0].right == [0])
        // A processor pays out the day's sales less its fee, booked as a negative line.
        let sales = [Self.r(1, "40.00", party: "Stripe Payments"), Self.r(2, "60.00", party: "Stripe Payments"), Self.r(3, "-3.00", party: "Stripe Payments")]
        let payout = [Self.r(10, "97.00", Self.monday + 2, desc: "PAYOUT", party: "STRIPE PAYMENTS")]
        let s = try Matcher().run(left: sales, right: payout)
        #expect(s.matches.count == 1 && s.matches[0].left == [0, 1, 2])
        // Without groups allowed nothing is grouped.
        #expect(try Matcher(rules: MatchRules(allowGroups: false)).run(left: sales, right: payout).matches.isEmpty)
    }

    /// Reviewers of a first job reject the decoys it proposed and pair the true records by
    /// hand; a second job on new books, told their decisions, gets more right than the same job
    /// without them.
    @Test func reviewersDecisionsTeachTheNextJob() throws {
        func f1(_ o: MatchOutcome, _ books: MisleadingBooks) -> Double {
            let predicted = Set(o.matches.flatMap { m in m.left.flatMap { l in m.right.map { [books.left[l].id, books.right[$0].id] } } })
            let correct = Double(predicted.intersection(books.truth).count)
            return correct == 0 ? 0 : 2 * correct / Double(predicted.count + books.truth.count)
        }
        let first = MisleadingBooks(seed: 1, count: 300, idBase: 0)
        let firstJob = try Matcher().run(left: first.left, right: first.right)
        // The reviewers reject every proposed decoy and pair the true records by hand.
        var feedback = ReviewFeedback()
        let right = Dictionary(uniqueKeysWithValues: first.right.map { ($0.id, $0) })
        for m in firstJob.matches where m.left.count == 1 && m.right.count == 1 {
            let pair = [first.left[m.left[0]].id, first.right[m.right[0]].id]
            if !first.truth.contains(pair) { feedback.rejected.append(.init(left: first.left[m.left[0]], right: first.right[m.right[0]])) }
        }
        for t in first.truth { feedback.confirmed.append(.init(left: first.left[Int(t[0])], right: right[t[1]]!)) }
        let second = MisleadingBooks(seed: 2, count: 300, idBase: 1_000_000)
        let fresh = f1(try Matcher().run(left: second.left, right: second.right), second)
        let taught = f1(try Matcher(feedback: feedback).run(left: second.left, right: second.right), second)
        #expect(taught > fresh + 0.2, "F1 with the reviewers' decisions \(taught), without \(fresh)")
        // A rejected pairing of the same records is never proposed again.
        let rerun = try Matcher(feedback: feedback).run(left: first.left, right: first.right)
        let rejected = Set(feedback.rejected.map { [$0.left.id, $0.right.id] })
        #expect(!rerun.matches.contains { rejected.contains([first.left[$0.left[0]].id, first.right[$0.right[0]].id]) })
    }

    /// One processor pays one day's sales out in two batches: each a run of consecutive sale
    /// numbers, found whatever the file order. The whole day sums to neither payout, and other
    /// subsets fit each of them (20 + 40 is 60 too; 10 + 30 + 27 + 36 is 103), so only the runs
    /// tell them apart.
    @Test func aDaysSalesPaidInTwoBatchesAreSplitByTheirSaleNumbers() throws {
        let amounts = ["10.00", "20.00", "30.00", "40.00", "27.00", "36.00"]
        let order = [3, 0, 5, 1, 2, 4]  // file order is not sale order
        let sales = order.map { i in Self.r(Int64(i), amounts[i], ref: "SALE-\(70_100 + i)", desc: "Card sale via Swipely #\(70_100 + i)", party: "Card customer") }
        func total(_ r: Range<Int>) -> String { Amounts.text(r.reduce(Int64(0)) { $0 + Amounts.units(amounts[$1])! }) }
        let payouts = [Self.r(100, total(0..<3), Self.monday + 1, desc: "SWIPELY SETTLEMENT BATCH 1", party: "SWIPELY PAYMENTS"),
                       Self.r(101, total(3..<6), Self.monday + 1, desc: "SWIPELY SETTLEMENT BATCH 2", party: "SWIPELY PAYMENTS")]
        let o = try Matcher().run(left: sales, right: payouts)
        let groups = o.matches.filter { $0.kind == .manyToOne }
        #expect(groups.count == 2, "\(o.matches)")
        for g in groups {
            let ids = Set(g.left.map { sales[$0].id })
            #expect(ids == (g.right == [0] ? Set(0..<3) : Set(3..<6)), "\(ids) for payout \(g.right)")
        }
    }

    @Test func twoFittingSubsetsAreAmbiguousAndLeftAlone() throws {
        let parts = [Self.r(1, "10.00", party: "Acme"), Self.r(2, "10.00", party: "Acme"), Self.r(3, "10.00", party: "Acme")]
        let o = try Matcher().run(left: parts, right: [Self.r(10, "20.00", party: "ACME")])
        #expect(o.matches.isEmpty)
    }

    @Test func degenerateDataStaysBoundedAndUnguessed() throws {
        // Every amount equal on one day: blocking alone would form all 2,000 x 2,000 pairs.
        let left = (0..<2000).map { Self.r(Int64($0), "-10.00") }
        let right = (0..<2000).map { Self.r(Int64(10_000 + $0), "-10.00") }
        let o = try Matcher().run(left: left, right: right)
        #expect(o.candidatePairs <= 2000 * CandidateIndex.maxCandidates)
        #expect(o.matches.isEmpty, "nothing tells them apart")
    }

    @Test func cancellationStopsTheRun() {
        let data = SyntheticGenerator.make(count: 3000, seed: 7)
        var calls = 0
        #expect(throws: CancelledForTest.self) {
            _ = try Matcher().run(left: data.leftInputs, right: data.rightInputs, checkCancelled: {
                calls += 1
                if calls > 1 { throw CancelledForTest() }
            })
        }
    }

    struct CancelledForTest: Error {}

    /// The quality targets on generated data with known truth (the 100k run is in
    /// scripts/bench-reconciliation; this one keeps the suite fast).
    @Test func generatedTenThousandMeetPrecisionAndF1WithoutAllPairs() throws {
        let data = SyntheticGenerator.make(count: 10_000, seed: 20_261_201)
        let o = try Matcher().run(left: data.leftInputs, right: data.rightInputs)
        let e = MatchEvaluation(outcome: o, dataset: data)
        #expect(e.recordsInTwoMatches == 0)
        #expect(e.precision >= 0.995, "\(e)")
        #expect(e.f1 >= 0.98, "\(e)")
        #expect(o.candidatePairs < 40 * data.left.count, "blocking: \(o.candidatePairs) candidate pairs, not \(data.left.count * data.right.count)")
        // Calibration: no band with many matches may claim more than it delivers.
        for b in e.bands where b.matches >= 200 {
            #expect(b.precision >= b.meanConfidence - 0.05, "band \(b.low): confidence \(b.meanConfidence), precision \(b.precision)")
        }
    }
}
