import Foundation

/// PRICE_PROVIDER=csv: a directory with assets.csv (symbol,name,sector,currency,market_cap),
/// prices.csv (symbol,date,close and optionally open,high,low,volume, any order) and an
/// optional fx.csv (date,currency,rate; units of currency per USD). Header names decide the
/// columns. Every row is validated; an error names the file, the line and the reason, and a
/// bad file changes nothing (the refresh validates everything before writing).
public struct CSVProvider: MarketDataProvider {
    public let name = "csv"
    let directory: String
    let benchmark: String

    public init(directory: String, benchmark: String) {
        self.directory = directory
        self.benchmark = benchmark
    }

    public var calls: Int { 0 }

    struct Table {
        var file: String
        var header: [String: Int]
        /// (line number, fields)
        var rows: [(Int, [String])]

        func field(_ row: [String], _ name: String) -> String? {
            guard let i = header[name], i < row.count else { return nil }
            let v = row[i].trimmingCharacters(in: .whitespaces)
            return v.isEmpty ? nil : v
        }
    }

    static func failure(_ file: String, _ line: Int, _ reason: String) -> ProviderError {
        ProviderError("\(file) line \(line): \(reason)")
    }

    func load(_ file: String, required: [String], optional: [String], mustExist: Bool = true) throws -> Table? {
        let path = "\(directory)/\(file)"
        guard let data = FileManager.default.contents(atPath: path) else {
            if mustExist { throw ProviderError("\(file): cannot read \(path)") }
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ProviderError("\(file): not UTF-8 text") }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = String(first.dropFirst()) }
        guard let headerLine = lines.first, !headerLine.isEmpty else { throw Self.failure(file, 1, "missing header line") }
        var header: [String: Int] = [:]
        for (i, name) in Self.split(headerLine).enumerated() {
            let key = name.trimmingCharacters(in: .whitespaces).lowercased()
            guard header[key] == nil else { throw Self.failure(file, 1, "column \(key) appears twice") }
            header[key] = i
        }
        if let unknown = header.keys.first(where: { !(required + optional).contains($0) }) {
            throw Self.failure(file, 1, "unknown column \(unknown) (expected \((required + optional).joined(separator: ", ")))")
        }
        for r in required where header[r] == nil { throw Self.failure(file, 1, "missing column \(r)") }
        var rows: [(Int, [String])] = []
        for (i, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let fields = Self.split(line)
            guard fields.count == header.count else {
                throw Self.failure(file, i + 1, "has \(fields.count) fields, the header has \(header.count)")
            }
            rows.append((i + 1, fields))
        }
        return Table(file: file, header: header, rows: rows)
    }

    /// Comma-separated fields; double quotes around a field allow commas and "" inside.
    static func split(_ line: String) -> [String] {
        var out: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(line)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" {
                        field.append("\"")
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                out.append(field)
                field = ""
            } else {
                field.append(c)
            }
            i += 1
        }
        out.append(field)
        chars.removeAll()
        return out
    }

    public func assets() throws -> [AssetInfo] {
        let t = try load("assets.csv", required: ["symbol", "name", "currency"], optional: ["sector", "market_cap", "asset_class"])!
        var out: [AssetInfo] = []
        var seen = Set<String>()
        for (line, row) in t.rows {
            guard let symbol = t.field(row, "symbol")?.uppercased(), IncomingDataValidation.isValidSymbol(symbol) else {
                throw Self.failure(t.file, line, "symbol is missing or invalid")
            }
            guard seen.insert(symbol).inserted else { throw Self.failure(t.file, line, "symbol \(symbol) listed twice") }
            guard let name = t.field(row, "name") else { throw Self.failure(t.file, line, "name is missing") }
            guard let currency = t.field(row, "currency")?.uppercased(), Currency.named(currency) != nil else {
                throw Self.failure(t.file, line, "currency is missing or not supported")
            }
            var cap: Double?
            if let text = t.field(row, "market_cap") {
                guard let v = Double(text), v > 0, v.isFinite else { throw Self.failure(t.file, line, "market_cap must be a positive number") }
                cap = v
            }
            let isBenchmark = symbol == benchmark
            let assetClass = t.field(row, "asset_class") ?? (isBenchmark ? "index" : "equity")
            guard IncomingDataValidation.assetClasses.contains(assetClass) else { throw Self.failure(t.file, line, "unknown asset_class \(assetClass)") }
            out.append(AssetInfo(symbol: symbol, name: name, sector: t.field(row, "sector"), assetClass: assetClass, currency: currency,
                                 marketCap: cap, isBenchmark: isBenchmark))
        }
        return out
    }

    public func prices(_ requests: [(symbol: String, from: Day?)], through: Day) throws -> [String: [PriceBar]] {
        let t = try load("prices.csv", required: ["symbol", "date", "close"], optional: ["open", "high", "low", "volume"])!
        let wanted = Dictionary(requests.map { ($0.symbol, $0.from) }, uniquingKeysWith: { a, _ in a })
        var out: [String: [PriceBar]] = [:]
        var seen = Set<String>()
        for (line, row) in t.rows {
            guard let symbol = t.field(row, "symbol")?.uppercased(), let from = wanted[symbol] else {
                throw Self.failure(t.file, line, "unknown symbol \(t.field(row, "symbol") ?? "(empty)") (not in assets.csv)")
            }
            guard let dateText = t.field(row, "date"), let day = Day(iso: dateText) else {
                throw Self.failure(t.file, line, "date must be an ISO date like 2024-01-31")
            }
            guard seen.insert("\(symbol) \(day.number)").inserted else { throw Self.failure(t.file, line, "duplicate \(symbol) on \(day)") }
            func number(_ name: String) throws -> Double? {
                guard let text = t.field(row, name) else { return nil }
                guard let v = Double(text), v > 0, v.isFinite else { throw Self.failure(t.file, line, "\(name) must be a positive finite number") }
                return v
            }
            guard let close = try number("close") else { throw Self.failure(t.file, line, "close is missing") }
            let open = try number("open"), high = try number("high"), low = try number("low")
            var volume: Int64?
            if let text = t.field(row, "volume") {
                guard let v = Int64(text), v >= 0 else { throw Self.failure(t.file, line, "volume must be a non-negative integer") }
                volume = v
            }
            if let l = low, let h = high {
                guard l <= h, close >= l, close <= h, open.map({ $0 >= l && $0 <= h }) ?? true else {
                    throw Self.failure(t.file, line, "low <= open, close <= high does not hold")
                }
            }
            guard day <= through else { throw Self.failure(t.file, line, "date \(day) is in the future") }
            if let from, day < from { continue }
            out[symbol, default: []].append(PriceBar(day: day, open: open, high: high, low: low, close: close, volume: volume))
        }
        for k in out.keys { out[k]!.sort { $0.day < $1.day } }
        return out
    }

    public func fxRates(_ currencies: [String], from: Day?, through: Day) throws -> [FXRate] {
        guard let t = try load("fx.csv", required: ["date", "currency", "rate"], optional: [], mustExist: false) else { return [] }
        var out: [FXRate] = []
        var seen = Set<String>()
        for (line, row) in t.rows {
            guard let dateText = t.field(row, "date"), let day = Day(iso: dateText) else {
                throw Self.failure(t.file, line, "date must be an ISO date like 2024-01-31")
            }
            guard let code = t.field(row, "currency")?.uppercased(), Currency.named(code) != nil, code != "USD" else {
                throw Self.failure(t.file, line, "currency is missing, USD, or not supported")
            }
            guard let text = t.field(row, "rate"), let rate = Double(text), rate > 0, rate.isFinite else {
                throw Self.failure(t.file, line, "rate must be a positive finite number")
            }
            guard seen.insert("\(code) \(day.number)").inserted else { throw Self.failure(t.file, line, "duplicate \(code) on \(day)") }
            guard day <= through else { throw Self.failure(t.file, line, "date \(day) is in the future") }
            if let from, day < from { continue }
            if currencies.contains(code) { out.append(FXRate(day: day, currency: code, rate: rate)) }
        }
        return out
    }
}
