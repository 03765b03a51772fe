import Foundation
import Postgres
import Testing
@testable import Reconciliation

/// What a job writes for each match, byte by byte: the signals document and its COPY rows.
@Suite struct StoredSignalsTests {
    @Test func signalsAreValidJSONWithTheirValues() throws {
        let signals = MatchSignals(amountDifference: -12_345, dateDistance: 3, reference: "numeric_core", counterparty: 0.875, score: -4.2,
                                   competitors: 2, contributions: [.init(field: "amount", level: "exact", weight: 3.25),
                                                                   .init(field: "date", level: "far", weight: -0.004)])
        let bytes = ReconciliationRun.detailsJSON(signals)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(json["amount_difference"] as? String == Amounts.text(-12_345))
        #expect(json["date_distance_business_days"] as? Int == 3)
        #expect(json["reference"] as? String == "numeric_core")
        #expect(json["counterparty_similarity"] as? Double == 0.875)
        #expect(json["score"] as? Double == -4.2)
        #expect(json["competitors"] as? Int == 2)
        let contributions = try #require(json["contributions"] as? [[String: Any]])
        #expect(contributions.map { $0["weight"] as? Double } == [3.25, -0.004])
        #expect(contributions.map { $0["level"] as? String } == ["exact", "far"])
        var none = signals
        none.counterparty = nil
        none.score = .infinity
        let other = try #require(try JSONSerialization.jsonObject(with: Data(ReconciliationRun.detailsJSON(none))) as? [String: Any])
        #expect(other["counterparty_similarity"] is NSNull && other["score"] is NSNull, "no similarity, and no infinity in JSON")
    }

    @Test(arguments: [(0.0, "0"), (3.0, "3"), (3.2, "3.2"), (-0.5, "-0.5"), (0.004, "0.004"), (-12.345, "-12.345"), (1.0005, "1.001"), (-0.0004, "0")])
    func numbersToThreeDecimals(_ value: Double, _ text: String) {
        var b: [UInt8] = []
        ReconciliationRun.appendMilli(value, to: &b)
        #expect(String(decoding: b, as: UTF8.self) == text)
    }

    @Test func copyRowsEscapeTextAndWriteNumbersInPlace() {
        var rows = CopyRowBuilder()
        rows.text("a\tb\\c\nd\re")
        rows.integer(Int64.min)
        rows.integer(0)
        rows.integer(9_007)
        rows.null()
        rows.plain("left")
        rows.endRow()
        rows.plain(Array("x".utf8))
        rows.endRow()
        let expected = "a\\tb\\\\c\\nd\\re\t-9223372036854775808\t0\t9007\t\\N\tleft\nx\n"
        #expect(String(decoding: rows.bytes, as: UTF8.self) == expected)
        #expect(rows.bytes == PostgresCopy.line(["a\tb\\c\nd\re", "-9223372036854775808", "0", "9007", nil, "left"]) + PostgresCopy.line(["x"]))
    }
}
