import Testing
@testable import Reconciliation

/// The upload reader over every dialect real exports use, and every bad-row reason.
@Suite struct UploadReaderTests {
    static let fullMapping = SourceSettings.Mapping(id: "id", date: "date", amount: "amount", currency: "currency", reference: "ref",
                                                    description: "memo", counterparty: "party")

    static func read(_ text: String, _ settings: SourceSettings, step: Int = 7) throws -> (rows: [ParsedRecord], reader: UploadReader) {
        var reader = UploadReader(settings: settings, fileTag: "f")
        var rows: [ParsedRecord] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            try reader.feed(Array(bytes[i..<min(bytes.count, i + step)])) { rows.append($0) }
            i += step
        }
        try reader.finish { rows.append($0) }
        return (rows, reader)
    }

    @Test func dialectMatrixReadsTheSameRecords() throws {
        let expected = [("A1", "2024-01-31", "1234.56", "EUR", "INV-1", "Rent, January", "Acme \"Big\" Ltd"),
                        ("A2", "2024-02-01", "-5", "EUR", nil, "two\nlines", nil)]
        var settings = SourceSettings(mapping: Self.fullMapping)
        settings.options.defaultCurrency = "EUR"
        let files: [(String, String)] = [
            ("comma, iso, point", "id,date,amount,currency,ref,memo,party\n\"A1\",2024-01-31,1234.56,EUR,INV-1,\"Rent, January\",\"Acme \"\"Big\"\" Ltd\"\nA2,2024-02-01,-5,,,\"two\nlines\",\n"),
            ("semicolon, dmy-dot, decimal comma, thousands, BOM, CRLF",
             "\u{FEFF}id;date;amount;currency;ref;memo;party\r\nA1;31.01.2024;1.234,56;eur;INV-1;Rent, January;\"Acme \"\"Big\"\" Ltd\"\r\nA2;01.02.2024;-5,00;;;\"two\nlines\";\r\n"),
            ("tab, dmy", "id\tdate\tamount\tcurrency\tref\tmemo\tparty\nA1\t31/01/2024\t1234.56\tEUR\tINV-1\tRent, January\t\"Acme \"\"Big\"\" Ltd\"\nA2\t01/02/2024\t(5.00)\t\t\t\"two\nlines\"\t\n"),
            ("pipe, mdy, trailing minus", "id|date|amount|currency|ref|memo|party\nA1|01/31/2024|1234.56|EUR|INV-1|Rent, January|\"Acme \"\"Big\"\" Ltd\"\nA2|02/01/2024|5.00-|||\"two\nlines\"|\n"),
            ("comma, compact dates, no final newline", "id,date,amount,currency,ref,memo,party\nA1,20240131,\"1,234.56\",EUR,INV-1,\"Rent, January\",\"Acme \"\"Big\"\" Ltd\"\nA2,20240201,-5,,,\"two\nlines\",\n"),
        ]
        for (name, text) in files {
            for step in [1, 3, 1000] {
                let (rows, reader) = try Self.read(text, settings, step: step)
                #expect(reader.issues == [], "\(name): \(reader.issues)")
                #expect(rows.count == 2, "\(name)")
                for (r, e) in zip(rows, expected) {
                    #expect(r.externalID == e.0 && r.date == e.1 && r.currency == e.3 && r.reference == e.4 && r.description == e.5 && r.counterparty == e.6,
                            "\(name) step \(step): \(r)")
                    #expect(Amounts.units(r.amount) == Amounts.units(e.2), "\(name): amount \(r.amount)")
                }
            }
        }
    }

    @Test func dmyAndMdyAreToldApartByTheColumnNotTheRow() throws {
        let settings = SourceSettings(mapping: .init(date: "d", amount: "a"), options: { var o = SourceSettings.Options(); o.defaultCurrency = "USD"; return o }())
        let (rows, reader) = try Self.read("d,a\n01/02/2024,1\n25/02/2024,2\n", settings)
        #expect(reader.dialect?.dateFormat == .dmy && rows.map(\.date) == ["2024-02-01", "2024-02-25"])
        #expect(throws: UploadFailure.self) { _ = try Self.read("d,a\n01/02/2024,1\n03/04/2024,2\n", settings) }
        var explicit = settings
        explicit.options.dateFormat = "mdy"
        #expect(try Self.read("d,a\n01/02/2024,1\n", explicit).rows.map(\.date) == ["2024-01-02"])
    }

    @Test func debitCreditColumnsAndSignConvention() throws {
        var settings = SourceSettings(mapping: .init(id: "id", date: "d", debit: "Debit", credit: "Credit"))
        settings.options.defaultCurrency = "EUR"
        let text = "id;d;Debit;Credit\n1;2024-01-02;10,50;\n2;2024-01-03;;7,25\n3;2024-01-04;0,00;3,00\n"
        #expect(try Self.read(text, settings).rows.map { Amounts.units($0.amount) } == [-105_000, 72_500, 30_000])
        settings.options.signConvention = "flipped"
        #expect(try Self.read(text, settings).rows.map { Amounts.units($0.amount) } == [105_000, -72_500, -30_000])
    }

    @Test func everyBadRowIsReportedWithLineColumnAndReasonAndNothingIsEmitted() throws {
        var settings = SourceSettings(mapping: Self.fullMapping)
        settings.options.defaultCurrency = "USD"
        let text = """
            id,date,amount,currency,ref,memo,party
            1,2024-01-31,10.00,USD,,,
            ,2024-01-31,10.00,USD,,,
            3,2024-02-30,10.00,USD,,,
            4,2024-01-31,ten,USD,,,
            5,2024-01-31,,USD,,,
            6,2024-01-31,1.2.3,USD,,,
            7,2024-01-31,10.00,US Dollar,,,
            8,2024-01-31,10.00,USD,\(String(repeating: "r", count: 300)),,
            9,2024-01-31
            10,2024-01-31,123456789012345.00,USD,,,
            11,,1,USD,,,
            12,2024-01-31,1.00001,USD,,,

            """
        var reader = UploadReader(settings: settings, fileTag: "f")
        reader.emitAfterIssues = false
        var emitted: [ParsedRecord] = []
        try reader.feed(Array(text.utf8)) { emitted.append($0) }
        try reader.finish { emitted.append($0) }
        #expect(emitted.map(\.externalID) == ["1"], "rows after the first bad one are not handed on")
        let byLine = Dictionary(grouping: reader.issues, by: \.line)
        #expect(reader.issueCount == 11 && reader.rowCount == 12)
        #expect(byLine[3]?.first?.column == "id" && byLine[3]?.first?.reason == "is empty")
        #expect(byLine[4]?.first?.column == "date" && byLine[4]?.first?.reason.contains("is not a iso date") == true)
        #expect(byLine[5]?.first?.column == "amount" && byLine[5]?.first?.reason.contains("is not an amount") == true)
        #expect(byLine[6]?.first?.reason == "is empty")
        #expect(byLine[7]?.first?.column == "amount")
        #expect(byLine[8]?.first?.column == "currency")
        #expect(byLine[9]?.first?.column == "ref" && byLine[9]?.first?.reason == "is longer than 255 characters")
        #expect(byLine[10]?.first?.column == "row" && byLine[10]?.first?.reason == "has 2 fields; the header has 7")
        #expect(byLine[11]?.first?.reason == "is too large")
        #expect(byLine[12]?.first?.column == "date")
        #expect(byLine[13]?.first?.reason.contains("more than 4 decimals") == true)
    }

    @Test func onlyTheFirstHundredIssuesAreKeptButAllAreCounted() throws {
        let settings = SourceSettings(mapping: .init(date: "d", amount: "a"), options: { var o = SourceSettings.Options(); o.defaultCurrency = "USD"; return o }())
        let text = "d,a\n" + String(repeating: "2024-01-01,x\n", count: 250)
        let (_, reader) = try Self.read(text, settings, step: 4096)
        #expect(reader.issues.count == 100 && reader.issueCount == 250)
    }

    @Test func structuralProblemsStopTheFile() {
        let settings = SourceSettings(mapping: .init(date: "Date", amount: "Amount"), options: { var o = SourceSettings.Options(); o.defaultCurrency = "USD"; return o }())
        #expect(throws: UploadFailure.self) { _ = try Self.read("when,how much\n2024-01-01,1\n", settings) }
        #expect(throws: UploadFailure.self) { _ = try Self.read("", settings) }
        #expect(throws: UploadFailure.self) { _ = try Self.read("Date,Amount\n2024-01-01,\"unterminated\n", settings) }
        #expect(throws: UploadFailure.self) { _ = try Self.read("Date,Amount\n2024-01-01,1\"x\n", settings) }
        // A line of delimiters alone cannot grow a record without bound.
        #expect(throws: UploadFailure.self) { _ = try Self.read("Date,Amount\n" + String(repeating: ",", count: 5000) + "\n", settings, step: 4096) }
        // A NUL byte is a bad row, not a crash or a COPY failure.
        let (_, reader) = try! Self.read("Date,Amount\n2024-01-01,1\u{0}\n", settings)
        #expect(reader.issues.first?.reason == "contains a NUL byte")
    }

    @Test func settingsAreValidatedFieldByField() {
        #expect(SourceSettings(mapping: .init(date: "d", amount: "a")).problems().map(\.0) == ["options.default_currency"])
        let both = SourceSettings(mapping: .init(date: "d", amount: "a", debit: "x", credit: "y", currency: "c")).problems().map(\.0)
        #expect(both == ["mapping.amount"])
        var bad = SourceSettings(mapping: .init(date: "d", amount: "d", currency: "c"))
        bad.options.delimiter = "x"
        bad.options.dateFormat = "yyyy"
        bad.options.decimalSeparator = ","
        bad.options.thousandsSeparator = ","
        bad.options.signConvention = "reverse"
        bad.options.defaultCurrency = "usd"
        #expect(Set(bad.problems().map(\.0)) == ["mapping", "options.delimiter", "options.date_format", "options.thousands_separator",
                                                 "options.sign_convention", "options.default_currency"])
    }

    @Test func amountsConvertExactly() {
        #expect(Amounts.units("-1234.5") == -12_345_000 && Amounts.units("0.0001") == 1 && Amounts.units("12") == 120_000)
        #expect(Amounts.units("1.23456") == nil && Amounts.units("1e5") == nil && Amounts.units("") == nil && Amounts.units("123456789012345") == nil)
        #expect(Amounts.text(-12_345_000) == "-1234.5000" && Amounts.text(1) == "0.0001")
    }
}

@Suite struct MultipartTests {
    @Test func theFilePartStreamsOutWhateverTheSplits() throws {
        let file = "id,amount\r\n1,2\r\n--not-the-boundary\r\n3,4\r\n"
        let body = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--XyZ\r\n"
            + "Content-Disposition: form-data; name=\"file\"; filename=\"bank export.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            + file + "\r\n--XyZ--\r\nepilogue"
        for step in [1, 2, 5, 17, 4096] {
            var m = try #require(MultipartFileExtractor(contentType: "multipart/form-data; boundary=\"XyZ\""))
            var out: [UInt8] = []
            let bytes = Array(body.utf8)
            var i = 0
            while i < bytes.count {
                try m.feed(Array(bytes[i..<min(bytes.count, i + step)])) { out += $0 }
                i += step
            }
            try m.finish { out += $0 }
            #expect(String(decoding: out, as: UTF8.self) == file, "step \(step)")
            #expect(m.fileName == "bank export.csv" && m.partContentType == "text/csv")
        }
    }

    /// The documented 16 KiB part-header limit holds whether the header arrives in one piece
    /// or many (a 20 KiB header in one piece was accepted).
    @Test func aPartHeaderPast16KiBIsRefusedHoweverItArrives() throws {
        let body = Array(("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nX-Pad: " + String(repeating: "p", count: 20 * 1024)
                          + "\r\n\r\nid\r\n1\r\n--b--\r\n").utf8)
        for step in [body.count, 4096] {
            var m = try #require(MultipartFileExtractor(contentType: "multipart/form-data; boundary=b"))
            #expect(throws: MultipartFileExtractor.Failure.self, "step \(step)") {
                var i = 0
                while i < body.count {
                    try m.feed(Array(body[i..<min(body.count, i + step)])) { _ in }
                    i += step
                }
                try m.finish { _ in }
            }
        }
    }

    @Test func missingOrUnterminatedFilePartsAreRefused() throws {
        #expect(MultipartFileExtractor(contentType: "multipart/form-data") == nil)
        #expect(MultipartFileExtractor(contentType: "text/csv; boundary=x") == nil)
        var none = try #require(MultipartFileExtractor(contentType: "multipart/form-data; boundary=b"))
        try none.feed(Array("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--\r\n".utf8)) { _ in }
        #expect(throws: MultipartFileExtractor.Failure.self) { try none.finish { _ in } }
        var open = try #require(MultipartFileExtractor(contentType: "multipart/form-data; boundary=b"))
        try open.feed(Array("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nid\r\n1".utf8)) { _ in }
        #expect(throws: MultipartFileExtractor.Failure.self) { try open.finish { _ in } }
    }
}
