/// Checks everything a provider delivered before any of it is written: a refresh with one bad
/// row writes nothing. Pure; the messages name the symbol (or currency) and the date.
enum IncomingDataValidation {
    static let assetClasses: Set<String> = ["equity", "etf", "bond", "commodity", "crypto", "cash", "index", "fund", "other"]

    static func isValidSymbol(_ s: String) -> Bool {
        var b = Array(s.utf8)
        if b.first == UInt8(ascii: "^") { b.removeFirst() }
        guard let first = b.first, (1...20).contains(b.count), isUpperAlnum(first) else { return false }
        return b.allSatisfy { isUpperAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "=") }
    }

    private static func isUpperAlnum(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) }

    static func problems(assets: [AssetInfo]) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        for a in assets {
            if !isValidSymbol(a.symbol) { out.append("asset \(a.symbol): invalid symbol") }
            if !seen.insert(a.symbol).inserted { out.append("asset \(a.symbol): listed twice") }
            if a.name.isEmpty || a.name.unicodeScalars.count > 255 { out.append("asset \(a.symbol): name must be 1-255 characters") }
            if let s = a.sector, s.unicodeScalars.count > 100 { out.append("asset \(a.symbol): sector longer than 100 characters") }
            if !assetClasses.contains(a.assetClass) { out.append("asset \(a.symbol): unknown asset class \(a.assetClass)") }
            if Currency.named(a.currency) == nil { out.append("asset \(a.symbol): unsupported currency \(a.currency)") }
            if let c = a.marketCap, !(c > 0 && c.isFinite) { out.append("asset \(a.symbol): market cap must be a positive number") }
        }
        if assets.filter(\.isBenchmark).count > 1 { out.append("more than one benchmark") }
        return out
    }

    static func problems(symbol: String, bars: [PriceBar], today: Day) -> [String] {
        var out: [String] = []
        var seen = Set<Int>()
        func positive(_ v: Double?) -> Bool { v.map { $0 > 0 && $0.isFinite } ?? true }
        for b in bars {
            let at = "\(symbol) \(b.day)"
            if !(b.close > 0 && b.close.isFinite) { out.append("\(at): close must be a positive finite number") }
            if !positive(b.open) || !positive(b.high) || !positive(b.low) { out.append("\(at): open, high and low must be positive finite numbers") }
            if let v = b.volume, v < 0 { out.append("\(at): negative volume") }
            if let h = b.high, let l = b.low {
                if l > h { out.append("\(at): low above high") }
                if b.close < l || b.close > h { out.append("\(at): close outside [low, high]") }
                if let o = b.open, o < l || o > h { out.append("\(at): open outside [low, high]") }
            }
            if b.day > today { out.append("\(at): date in the future") }
            if !seen.insert(b.day.number).inserted { out.append("\(at): duplicate date") }
            if out.count >= 20 { break }
        }
        return out
    }

    static func problems(fx: [FXRate], today: Day) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        for r in fx {
            let at = "\(r.currency) \(r.day)"
            if Currency.named(r.currency) == nil || r.currency == "USD" { out.append("\(at): unsupported currency") }
            if !(r.rate > 0 && r.rate.isFinite && r.rate < 1e12) { out.append("\(at): rate must be a positive finite number") }
            if r.day > today { out.append("\(at): date in the future") }
            if !seen.insert("\(r.currency)\(r.day.number)").inserted { out.append("\(at): duplicate date") }
            if out.count >= 20 { break }
        }
        return out
    }
}
