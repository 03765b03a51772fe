import SystemSupport

/// The generated records as the files real systems export: the ledger as comma-separated
/// ISO dates with a signed amount column, the bank statement as a European export
/// (semicolon, dd.mm.yyyy, decimal comma, debit and credit columns, CRLF, a BOM).
public enum SyntheticCSV {
    public static let ledgerHeader = "id,date,amount,currency,reference,description,counterparty"
    public static let bankHeader = "Txn ID;Booking Date;Debit;Credit;Currency;Reference;Details;Counterparty"

    public static func ledger(_ records: [SyntheticRecord]) -> [UInt8] {
        var out = Array((ledgerHeader + "\n").utf8)
        out.reserveCapacity(records.count * 90)
        for r in records {
            let fields = [r.id, isoDate(r.day), decimal(r.amount, mark: "."), r.currency, r.reference ?? "", r.description ?? "", r.counterparty ?? ""]
            out.append(contentsOf: fields.map { quoted($0, ",") }.joined(separator: ",").utf8)
            out.append(0x0A)
        }
        return out
    }

    public static func bank(_ records: [SyntheticRecord]) -> [UInt8] {
        var out: [UInt8] = [0xEF, 0xBB, 0xBF] + Array((bankHeader + "\r\n").utf8)
        out.reserveCapacity(records.count * 90)
        for r in records {
            let debit = r.amount < 0 ? decimal(-r.amount, mark: ",") : ""
            let credit = r.amount >= 0 ? decimal(r.amount, mark: ",") : ""
            let fields = [r.id, dotDate(r.day), debit, credit, r.currency, r.reference ?? "", r.description ?? "", r.counterparty ?? ""]
            out.append(contentsOf: fields.map { quoted($0, ";") }.joined(separator: ";").utf8)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        return out
    }

    static func quoted(_ s: String, _ delimiter: Character) -> String {
        s.contains(where: { $0 == delimiter || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences("\"", "\"\"") + "\"" : s
    }

    /// Amount text with two decimals (the generator works in cents).
    static func decimal(_ units: Int64, mark: String) -> String {
        let cents = units / 100
        let m = cents.magnitude
        let f = String(m % 100)
        return (cents < 0 ? "-" : "") + String(m / 100) + mark + (f.count == 1 ? "0" + f : f)
    }

    static func civil(_ day: Int32) -> (Int, Int, Int) { Gregorian.civil(days: Int(day)) }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    public static func isoDate(_ day: Int32) -> String { let (y, m, d) = civil(day); return "\(y)-\(two(m))-\(two(d))" }
    static func dotDate(_ day: Int32) -> String { let (y, m, d) = civil(day); return "\(two(d)).\(two(m)).\(y)" }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String { split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b) }
}
