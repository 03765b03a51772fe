import Foundation
import Testing
@testable import Reconciliation

@Suite struct ParsingTests {
    static func records(_ text: String, delimiter: Character = ",", step: Int) throws -> [CSVTokenizer.Record] {
        var t = CSVTokenizer(delimiter: delimiter.asciiValue!)
        var out: [CSVTokenizer.Record] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            try t.feed(bytes[i..<min(bytes.count, i + step)]) { out.append($0) }
            i += step
        }
        try t.finish { out.append($0) }
        return out
    }

    @Test func rfc4180AndRealDialectsFromAnySplit() throws {
        let text = "\u{FEFF}id;date;amount;memo\r\n1;2024-01-31;\"1.234,56\";\"He said \"\"hi\"\"; twice\"\r\n\r\n2;2024-02-01;-5;\"two\nlines\"\n3;2024-02-02;7;"
        for step in [1, 2, 3, 5, 1000] {
            let r = try Self.records(text, delimiter: ";", step: step)
            #expect(r.map(\.fields) == [["id", "date", "amount", "memo"], ["1", "2024-01-31", "1.234,56", "He said \"hi\"; twice"],
                                        ["2", "2024-02-01", "-5", "two\nlines"], ["3", "2024-02-02", "7", ""]], "step \(step)")
            #expect(r.map(\.line) == [1, 2, 4, 6], "step \(step)")
        }
    }

    @Test func malformedCSVIsReportedWithLineAndColumn() {
        #expect(throws: CSVTokenizer.Failure(line: 2, column: 2, reason: "a quote inside an unquoted field (quote the whole field and double the quote)")) {
            _ = try Self.records("a,b\n1,x\"y\n", step: 4)
        }
        #expect(throws: CSVTokenizer.Failure.self) { _ = try Self.records("a,\"open\n", step: 1) }
        #expect(throws: CSVTokenizer.Failure.self) { _ = try Self.records("a,\"x\"y\n", step: 1) }
        var small = CSVTokenizer(maxFieldBytes: 4)
        #expect(throws: CSVTokenizer.Failure.self) { try small.feed(Array("abcdef\n".utf8)) { _ in } }
        var utf = CSVTokenizer()
        #expect(throws: CSVTokenizer.Failure.self) { try utf.feed([0x61, 0xFF, 0x0A]) { _ in } }
    }

    @Test func delimitersAreDetectedFromTheFirstLines() {
        #expect(DialectDetector.delimiter(sample: Array("a;b;c\n1;\"x;y\";3\n".utf8)) == UInt8(ascii: ";"))
        #expect(DialectDetector.delimiter(sample: Array("a\tb\n1\t2\n".utf8)) == UInt8(ascii: "\t"))
        #expect(DialectDetector.delimiter(sample: Array("a|b|c\n1|2|3\n".utf8)) == UInt8(ascii: "|"))
        #expect(DialectDetector.delimiter(sample: Array("date,amount\n2024-01-01,\"1,5\"\n".utf8)) == UInt8(ascii: ","))
        #expect(DialectDetector.delimiter(sample: Array("single\nvalue\n".utf8)) == nil)
    }

    @Test func amountsAreExactWhateverTheirNotation() {
        let auto = AmountParser()
        let cases: [(String, String)] = [("1234.56", "1234.56"), ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("-12,50", "-12.5"),
                                         ("(12.00)", "-12"), ("12.00-", "-12"), ("+3", "3"), ("1 234 567,8", "1234567.8"), ("1'234.5", "1234.5"),
                                         ("1,234,567", "1234567"), ("0.0001", "0.0001"), ("-0", "0"), ("007.10", "7.1")]
        for (raw, expected) in cases {
            #expect((try? auto.parse(raw).get()) == expected, "\(raw)")
        }
        for bad in ["", "abc", "1.2.3,4.5", "12.34567", "1e5", "--5", "12.3.4", "12,3,4.5,6"] {
            #expect((try? auto.parse(bad).get()) == nil, "\(bad)")
        }
        #expect((try? AmountParser(decimal: .point, thousands: ",").parse("1,234").get()) == "1234")
        #expect((try? AmountParser(decimal: .comma).parse("1,234").get()) == "1.234")
    }

    @Test func datesParseStrictlyAndAutoPicksTheOnlyFittingFormat() {
        #expect(DateFormat.iso.parse("2024-02-29")! == (2024, 2, 29))
        #expect(DateFormat.iso.parse("2023-02-29") == nil)
        #expect(DateFormat.dmy.parse("31/01/2024")! == (2024, 1, 31))
        #expect(DateFormat.mdy.parse("01/31/2024")! == (2024, 1, 31))
        #expect(DateFormat.dmyDot.parse("31.01.2024")! == (2024, 1, 31))
        #expect(DateFormat.compact.parse("20240131")! == (2024, 1, 31))
        #expect(DateFormat.mdy.parse("31/01/2024") == nil)
        #expect(DateFormat.detect(["31/01/2024", "05/02/2024"]) == .dmy)
        #expect(DateFormat.detect(["01/31/2024", "02/05/2024"]) == .mdy)
        #expect(DateFormat.detect(["05/02/2024"]) == nil, "ambiguous: ask for an explicit format")
        #expect(DateFormat.detect(["2024-01-31"]) == .iso)
        #expect(DateFormat.detect(["20240131", "20240201"]) == .compact)
    }

    /// A job runs with the rules it stored or not at all: unreadable rules are an error, never
    /// the defaults in their place.
    @Test func storedRulesAreReadOrRefused() throws {
        let text = String(decoding: try JSONEncoder().encode(JobRules(matchRules: MatchRules(dateWindowDays: 3, maxGroupSize: 4))), as: UTF8.self)
        #expect(try JobRules.stored(text) == MatchRules(dateWindowDays: 3, maxGroupSize: 4))
        for bad in [#"{"amount_tolerance":5}"#, "{}", #"{"amount_tolerance":{"absolute":"x","percent":1},"date_window_days":1,"allow_groups":true,"max_group_size":2}"#] {
            #expect(throws: JobRules.StoredRulesError.self, "\(bad)") { try JobRules.stored(bad) }
        }
    }
}
