import SystemSupport

/// How a source's files are read: which header holds each field (`mapping`) and the dialect
/// (`options`). Stored as the source's settings; validated here, pure.
public struct SourceSettings: Sendable, Equatable, Codable {
    public struct Mapping: Sendable, Equatable, Codable {
        public var id: String?
        public var date: String?
        public var amount: String?
        public var debit: String?
        public var credit: String?
        public var currency: String?
        public var reference: String?
        public var description: String?
        public var counterparty: String?

        public init(id: String? = nil, date: String? = nil, amount: String? = nil, debit: String? = nil, credit: String? = nil,
                    currency: String? = nil, reference: String? = nil, description: String? = nil, counterparty: String? = nil) {
            self.id = id
            self.date = date
            self.amount = amount
            self.debit = debit
            self.credit = credit
            self.currency = currency
            self.reference = reference
            self.description = description
            self.counterparty = counterparty
        }

        public static let fields = ["id", "date", "amount", "debit", "credit", "currency", "reference", "description", "counterparty"]

        /// (field, header) for every mapped field, in `fields` order.
        public var named: [(field: String, header: String)] {
            let values = [id, date, amount, debit, credit, currency, reference, description, counterparty]
            return zip(Self.fields, values).compactMap { f, v in v.map { (f, $0) } }
        }
    }

    public enum SignConvention: String, Sendable, Codable, CaseIterable {
        case asIs = "as-is", flipped
    }

    public struct Options: Sendable, Equatable, Codable {
        /// "auto", or one of , ; tab (also "\t") |
        public var delimiter: String = "auto"
        public var dateFormat: String = DateFormat.auto.rawValue
        public var decimalSeparator: String = AmountParser.DecimalSeparator.auto.rawValue
        public var thousandsSeparator: String?
        public var signConvention: String = SignConvention.asIs.rawValue
        public var defaultCurrency: String?

        public init() {}

        enum CodingKeys: String, CodingKey {
            case delimiter, dateFormat = "date_format", decimalSeparator = "decimal_separator", thousandsSeparator = "thousands_separator"
            case signConvention = "sign_convention", defaultCurrency = "default_currency"
        }

        public static let fields = Set(["delimiter", "date_format", "decimal_separator", "thousands_separator", "sign_convention", "default_currency"])

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            delimiter = try c.decodeIfPresent(String.self, forKey: .delimiter) ?? "auto"
            dateFormat = try c.decodeIfPresent(String.self, forKey: .dateFormat) ?? DateFormat.auto.rawValue
            decimalSeparator = try c.decodeIfPresent(String.self, forKey: .decimalSeparator) ?? "auto"
            thousandsSeparator = try c.decodeIfPresent(String.self, forKey: .thousandsSeparator)
            signConvention = try c.decodeIfPresent(String.self, forKey: .signConvention) ?? SignConvention.asIs.rawValue
            defaultCurrency = try c.decodeIfPresent(String.self, forKey: .defaultCurrency)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(delimiter, forKey: .delimiter)
            try c.encode(dateFormat, forKey: .dateFormat)
            try c.encode(decimalSeparator, forKey: .decimalSeparator)
            try c.encode(thousandsSeparator, forKey: .thousandsSeparator)
            try c.encode(signConvention, forKey: .signConvention)
            try c.encode(defaultCurrency, forKey: .defaultCurrency)
        }
    }

    public var mapping: Mapping
    public var options: Options

    public init(mapping: Mapping, options: Options = Options()) {
        self.mapping = mapping
        self.options = options
    }

    /// One problem per field, as (field path, issue); empty when the settings can read files.
    public func problems() -> [(String, String)] {
        var out: [(String, String)] = []
        for (field, header) in mapping.named where header.trimmingWhitespace().isEmpty || header.utf8.count > 255 {
            out.append(("mapping.\(field)", "must name a header of 1 to 255 characters"))
        }
        if mapping.date == nil { out.append(("mapping.date", "is required")) }
        switch (mapping.amount, mapping.debit, mapping.credit) {
        case (.some, nil, nil), (nil, .some, .some): break
        case (.some, _, _): out.append(("mapping.amount", "give either amount or both debit and credit, not both"))
        default: out.append(("mapping.amount", "is required (or both debit and credit)"))
        }
        let headers = mapping.named.map { $0.header.trimmingWhitespace().lowercased() }
        if Set(headers).count != headers.count { out.append(("mapping", "maps two fields to the same header")) }
        if delimiterByte == nil && options.delimiter != "auto" {
            out.append(("options.delimiter", "must be auto, \",\", \";\", \"|\" or a tab"))
        }
        if DateFormat(rawValue: options.dateFormat) == nil {
            out.append(("options.date_format", "must be one of: \(DateFormat.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        if AmountParser.DecimalSeparator(rawValue: options.decimalSeparator) == nil {
            out.append(("options.decimal_separator", "must be auto, \".\" or \",\""))
        }
        if let t = options.thousandsSeparator {
            if ![",", ".", " ", "'", ""].contains(t) { out.append(("options.thousands_separator", "must be \",\", \".\", \" \", \"'\" or empty")) }
            if !t.isEmpty && t == options.decimalSeparator { out.append(("options.thousands_separator", "must differ from the decimal separator")) }
        }
        if SignConvention(rawValue: options.signConvention) == nil { out.append(("options.sign_convention", "must be as-is or flipped")) }
        if let c = options.defaultCurrency, !Self.isCurrencyCode(c) { out.append(("options.default_currency", "must be a three-letter code like EUR")) }
        if mapping.currency == nil && options.defaultCurrency == nil {
            out.append(("options.default_currency", "is required when no currency column is mapped"))
        }
        return out
    }

    public static func isCurrencyCode(_ s: String) -> Bool {
        s.utf8.count == 3 && s.utf8.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }

    /// The configured delimiter byte; nil for auto (or an invalid value).
    public var delimiterByte: UInt8? {
        switch options.delimiter {
        case ",": UInt8(ascii: ",")
        case ";": UInt8(ascii: ";")
        case "|": UInt8(ascii: "|")
        case "\t", "tab", "\\t": UInt8(ascii: "\t")
        default: nil
        }
    }

    public var amountParser: AmountParser {
        let thousands: Character? = options.thousandsSeparator.flatMap { $0.isEmpty ? nil : $0.first }
        return AmountParser(decimal: AmountParser.DecimalSeparator(rawValue: options.decimalSeparator) ?? .auto, thousands: thousands)
    }
}
