import Foundation

/// Money in JSON: a string with exactly the currency's minor-unit decimals, rounded half-even.
enum Money {
    static func string(_ value: Decimal, places: Int) -> String {
        var v = value
        var r = Decimal()
        NSDecimalRound(&r, &v, places, .bankers)
        var text = r.description
        let negative = text.hasPrefix("-")
        if negative { text.removeFirst() }
        var parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { parts.append("") }
        let fraction = String(parts[1].prefix(places)).padding(toLength: places, withPad: "0", startingAt: 0)
        let body = places > 0 ? parts[0] + "." + fraction : parts[0]
        return (negative && r != 0 ? "-" : "") + body
    }
}
