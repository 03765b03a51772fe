import SystemSupport

/// One row of an upload as stored: exact amount text, ISO date, upper-case currency.
public struct ParsedRecord: Sendable, Equatable {
    public var line: Int
    public var externalID: String
    /// YYYY-MM-DD
    public var date: String
    /// Normalised decimal text ("-1234.5"), exact.
    public var amount: String
    public var currency: String
    public var reference: String?
    public var description: String?
    public var counterparty: String?
}

/// A bad row: its line, the header of the offending column, and why.
public struct RowIssue: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: String
    public var reason: String
    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// A problem that stops reading the file at all (no header row, an unmapped header, a
/// malformed quote): the upload is refused with this message.
public struct UploadFailure: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var issues: [RowIssue]
    public var description: String { message }
}

/// The dialect a file was read with (what `auto` resolved to).
public struct Dialect: Sendable, Equatable {
    public var delimiter: UInt8
    public var dateFormat: DateFormat
    public var decimalSeparator: AmountParser.DecimalSeparator
}

/// Reads an upload as it streams in, in constant memory: sniffs the delimiter from the first
/// 64 KiB, takes the first record as the header, resolves `auto` date and decimal formats from
/// the first rows of each column, and hands each valid row to `emit`. Bad rows are collected
/// (the first `maxIssues` and a count); once one is found the caller stores nothing. Pure.
public struct UploadReader {
    public let settings: SourceSettings
    /// Prefix of generated external ids when no id column is mapped (unique per upload).
    public let fileTag: String
    public let sampleRows: Int
    public let maxIssues: Int
    /// Whether valid rows are still handed on once a bad one was seen (a preview shows them;
    /// an upload, which will be refused, need not stage them).
    public var emitAfterIssues = true
    public private(set) var issues: [RowIssue] = []
    public private(set) var issueCount = 0
    public private(set) var rowCount = 0
    public private(set) var dialect: Dialect?
    public private(set) var header: [String] = []

    private var sniffBuffer: [UInt8] = []
    private var tokenizer: CSVTokenizer?
    private var columns: [String: Int] = [:]
    private var indexes: (id: Int?, date: Int?, amount: Int?, currency: Int?) = (nil, nil, nil, nil)
    private var pending: [CSVTokenizer.Record] = []
    private var pendingBytes = 0
    static let maxSampleBytes = 1 << 20
    private var resolved = false
    private var delimiter = UInt8(ascii: ",")
    private var amount = AmountParser()
    static let sniffBytes = 64 * 1024
    /// Amounts at or above this (in absolute value) are refused: they would not fit the
    /// matcher's integer arithmetic (1e-4 units in 64 bits).
    static let maxIntegerDigits = 14

    public init(settings: SourceSettings, fileTag: String, sampleRows: Int = 200, maxIssues: Int = 100) {
        self.settings = settings
        self.fileTag = fileTag
        self.sampleRows = sampleRows
        self.maxIssues = maxIssues
        amount = settings.amountParser
    }

    public mutating func feed(_ bytes: [UInt8], _ emit: (ParsedRecord) throws -> Void) throws {
        if tokenizer == nil {
            sniffBuffer.append(contentsOf: bytes)
            if sniffBuffer.count < Self.sniffBytes { return }
            try startTokenizer()
            let buffered = sniffBuffer
            sniffBuffer = []
            try tokenize(buffered, emit)
        } else {
            try tokenize(bytes, emit)
        }
    }

    public mutating func finish(_ emit: (ParsedRecord) throws -> Void) throws {
        if tokenizer == nil {
            try startTokenizer()
            let buffered = sniffBuffer
            sniffBuffer = []
            try tokenize(buffered, emit)
        }
        var t = tokenizer!
        defer { tokenizer = t }
        do {
            try t.finish { try self.accept($0, emit) }
        } catch let f as CSVTokenizer.Failure {
            throw UploadFailure(message: "The file is not valid CSV: \(f)", issues: [RowIssue(line: f.line, column: "#\(f.column)", reason: f.reason)])
        }
        if header.isEmpty { throw UploadFailure(message: "The file is empty: a header row is required", issues: []) }
        if !resolved { try resolve(emit) }
    }

    private mutating func startTokenizer() throws {
        let delimiter: UInt8
        if let d = settings.delimiterByte {
            delimiter = d
        } else if let d = DialectDetector.delimiter(sample: sniffBuffer) ?? Self.headerDelimiter(sniffBuffer) {
            delimiter = d
        } else if settings.mapping.named.count == 1 || !sniffBuffer.contains(where: { DialectDetector.candidates.contains($0) }) {
            delimiter = UInt8(ascii: ",")
        } else {
            throw UploadFailure(message: "The delimiter could not be detected (lines differ in their number of fields); set options.delimiter", issues: [])
        }
        self.delimiter = delimiter
        tokenizer = CSVTokenizer(delimiter: delimiter, maxFieldBytes: 16 * 1024)
    }

    /// When the first lines disagree (a malformed row early on): the candidate the header row
    /// uses most, since a header names every column.
    static func headerDelimiter(_ sample: [UInt8]) -> UInt8? {
        let line = sample.prefix { $0 != 0x0A && $0 != 0x0D }
        let counts = DialectDetector.candidates.map { c in (c, line.filter { $0 == c }.count) }
        guard let best = counts.max(by: { $0.1 < $1.1 }), best.1 > 0 else { return nil }
        return best.0
    }

    private mutating func tokenize(_ bytes: [UInt8], _ emit: (ParsedRecord) throws -> Void) throws {
        var t = tokenizer!
        defer { tokenizer = t }
        do {
            try t.feed(bytes) { try self.accept($0, emit) }
        } catch let f as CSVTokenizer.Failure {
            throw UploadFailure(message: "The file is not valid CSV: \(f)", issues: [RowIssue(line: f.line, column: "#\(f.column)", reason: f.reason)])
        }
    }

    private mutating func accept(_ record: CSVTokenizer.Record, _ emit: (ParsedRecord) throws -> Void) throws {
        if header.isEmpty {
            try readHeader(record)
            return
        }
        // A blank line (one empty field) is skipped, as spreadsheet exports end with them.
        if record.fields.count == 1 && record.fields[0].isEmpty { return }
        if resolved {
            try convert(record, emit)
            return
        }
        pending.append(record)
        pendingBytes += record.fields.reduce(0) { $0 + $1.utf8.count }
        // The sample is bounded in rows and in bytes, so memory never follows the file's size.
        if pending.count >= sampleRows || pendingBytes >= Self.maxSampleBytes { try resolve(emit) }
    }

    private mutating func readHeader(_ record: CSVTokenizer.Record) throws {
        header = record.fields.map { $0.trimmingWhitespace() }
        var byName: [String: Int] = [:]
        for (i, name) in header.enumerated() where byName[name.lowercased()] == nil { byName[name.lowercased()] = i }
        var missing: [RowIssue] = []
        for (field, name) in settings.mapping.named {
            if let i = byName[name.trimmingWhitespace().lowercased()] { columns[field] = i } else {
                missing.append(RowIssue(line: record.line, column: name, reason: "mapping.\(field) names this header, which the file does not have"))
            }
        }
        indexes = (columns["id"], columns["date"], columns["amount"], columns["currency"])
        if !missing.isEmpty {
            throw UploadFailure(message: "The header row lacks mapped columns: \(missing.map(\.column).joined(separator: ", ")) (it has: \(header.prefix(30).joined(separator: ", ")))",
                                issues: missing)
        }
    }

    /// Decides the `auto` formats from the buffered rows, then converts them.
    private mutating func resolve(_ emit: (ParsedRecord) throws -> Void) throws {
        resolved = true
        var dateFormat = DateFormat(rawValue: settings.options.dateFormat) ?? .auto
        if dateFormat == .auto {
            let samples = pending.compactMap { value($0, "date") }.filter { !$0.isEmpty }
            if let found = DateFormat.detect(samples) {
                dateFormat = found
            } else {
                let fitting = DateFormat.allCases.filter { f in f != .auto && !samples.isEmpty && samples.allSatisfy { f.parse($0) != nil } }
                if fitting.count > 1 {
                    throw UploadFailure(message: "The dates fit several formats (\(fitting.map(\.rawValue).joined(separator: ", "))); set options.date_format", issues: [])
                }
                // None fits every value: take the one reading the most, the rest are row errors.
                dateFormat = DateFormat.allCases.filter { $0 != .auto }
                    .max { a, b in samples.filter { a.parse($0) != nil }.count < samples.filter { b.parse($0) != nil }.count } ?? .iso
            }
        }
        if amount.decimal == .auto {
            let samples = pending.flatMap { r in ["amount", "debit", "credit"].compactMap { value(r, $0) } }
            if let d = Self.decimalSeparator(samples) { amount.decimal = d }
        }
        dialect = Dialect(delimiter: delimiter, dateFormat: dateFormat, decimalSeparator: amount.decimal)
        let rows = pending
        pending = []
        for r in rows { try convert(r, emit) }
    }

    /// The decimal separator a column of amounts uses, when its values say so: a value with
    /// both marks (the later one), or a single mark followed by other than three digits.
    static func decimalSeparator(_ samples: [String]) -> AmountParser.DecimalSeparator? {
        for s in samples {
            guard let p = s.lastIndex(of: "."), let c = s.lastIndex(of: ",") else { continue }
            return p > c ? .point : .comma
        }
        for s in samples {
            for mark: Character in [".", ","] where s.filter({ $0 == mark }).count == 1 {
                let after = s[s.index(after: s.lastIndex(of: mark)!)...].filter(\.isNumber).count
                if after != 3 { return mark == "." ? .point : .comma }
            }
        }
        return nil
    }

    private func value(_ r: CSVTokenizer.Record, _ field: String) -> String? {
        let i: Int?
        switch field {
        // The hot fields by stored index: a dictionary lookup per field per row adds up.
        case "id": i = indexes.id
        case "date": i = indexes.date
        case "amount": i = indexes.amount
        case "currency": i = indexes.currency
        default: i = columns[field]
        }
        guard let i, i < r.fields.count else { return nil }
        return r.fields[i].trimmingWhitespace()
    }

    private mutating func issue(_ line: Int, _ field: String, _ reason: String) {
        issueCount += 1
        if issues.count < maxIssues {
            let name = settings.mapping.named.first { $0.field == field }?.header ?? field
            issues.append(RowIssue(line: line, column: name, reason: reason))
        }
    }

    private mutating func convert(_ r: CSVTokenizer.Record, _ emit: (ParsedRecord) throws -> Void) throws {
        rowCount += 1
        let before = issueCount
        if r.fields.count != header.count {
            issue(r.line, "row", "has \(r.fields.count) fields; the header has \(header.count)")
            return
        }
        if r.fields.contains(where: { $0.utf8.contains(0) }) {
            issue(r.line, "row", "contains a NUL byte")
            return
        }
        var externalID = "\(fileTag)-\(r.line)"
        if settings.mapping.id != nil {
            let id = value(r, "id") ?? ""
            if id.isEmpty { issue(r.line, "id", "is empty") } else if id.unicodeScalars.count > 255 { issue(r.line, "id", "is longer than 255 characters") }
            externalID = id
        }
        var date = ""
        let dateText = value(r, "date") ?? ""
        if dateText.isEmpty { issue(r.line, "date", "is empty") } else if let d = dialect!.dateFormat.parse(dateText) {
            date = Self.isoDate(d.year, d.month, d.day)
        } else {
            issue(r.line, "date", "\"\(dateText.prefix(40))\" is not a \(dialect!.dateFormat.rawValue) date")
        }
        let amountText = readAmount(r)
        var currency = settings.options.defaultCurrency ?? ""
        if settings.mapping.currency != nil, let c = value(r, "currency"), !c.isEmpty { currency = c.uppercased() }
        if !SourceSettings.isCurrencyCode(currency) { issue(r.line, "currency", "\"\(currency.prefix(10))\" is not a three-letter currency code") }
        let reference = optionalText(r, "reference", limit: 255)
        let description = optionalText(r, "description", limit: 2000)
        let counterparty = optionalText(r, "counterparty", limit: 255)
        guard issueCount == before, let amountText, emitAfterIssues || issueCount == 0 else { return }
        try emit(ParsedRecord(line: r.line, externalID: externalID, date: date, amount: amountText, currency: currency,
                              reference: reference, description: description, counterparty: counterparty))
    }

    private mutating func optionalText(_ r: CSVTokenizer.Record, _ field: String, limit: Int) -> String? {
        guard let v = value(r, field), !v.isEmpty else { return nil }
        if v.unicodeScalars.count > limit { issue(r.line, field, "is longer than \(limit) characters") }
        return v
    }

    /// The signed amount: the amount column, or credit minus debit; flipped on request.
    private mutating func readAmount(_ r: CSVTokenizer.Record) -> String? {
        var text: String
        if settings.mapping.amount != nil {
            guard let t = parseAmount(r, "amount", required: true) else { return nil }
            text = t
        } else {
            let debit = parseAmount(r, "debit", required: false)
            let credit = parseAmount(r, "credit", required: false)
            let debitText = value(r, "debit") ?? "", creditText = value(r, "credit") ?? ""
            if debitText.isEmpty && creditText.isEmpty {
                issue(r.line, "debit", "debit and credit are both empty")
                return nil
            }
            if let d = debit, let c = credit, !Self.isZero(d), !Self.isZero(c) {
                issue(r.line, "debit", "debit and credit both hold an amount")
                return nil
            }
            if !creditText.isEmpty && credit == nil || !debitText.isEmpty && debit == nil { return nil }
            if let c = credit, !Self.isZero(c) || debitText.isEmpty { text = c } else { text = Self.negated(debit ?? "0") }
        }
        if settings.options.signConvention == SourceSettings.SignConvention.flipped.rawValue { text = Self.negated(text) }
        return text
    }

    private mutating func parseAmount(_ r: CSVTokenizer.Record, _ field: String, required: Bool) -> String? {
        let raw = value(r, field) ?? ""
        if raw.isEmpty {
            if required { issue(r.line, field, "is empty") }
            return nil
        }
        switch amount.parse(raw) {
        case .success(let v):
            // The parser's output is normalised: an optional "-", digits without leading zeros.
            let digits = v.utf8.prefix { $0 != UInt8(ascii: ".") }.filter { $0 != UInt8(ascii: "-") }.count
            if digits > Self.maxIntegerDigits {
                issue(r.line, field, "is too large")
                return nil
            }
            return v
        case .failure(let f):
            issue(r.line, field, "\"\(raw.prefix(40))\" \(f.reason)")
            return nil
        }
    }

    static func isZero(_ v: String) -> Bool { v.allSatisfy { $0 == "0" || $0 == "." || $0 == "-" } }

    static func negated(_ v: String) -> String {
        if isZero(v) { return v.hasPrefix("-") ? String(v.dropFirst()) : v }
        return v.hasPrefix("-") ? String(v.dropFirst()) : "-" + v
    }

    static func isoDate(_ y: Int, _ m: Int, _ d: Int) -> String {
        let digit = { (n: Int) in UInt8(0x30 + n % 10) }
        return String(decoding: [digit(y / 1000), digit(y / 100), digit(y / 10), digit(y), 0x2D, digit(m / 10), digit(m), 0x2D, digit(d / 10), digit(d)],
                      as: UTF8.self)
    }
}
