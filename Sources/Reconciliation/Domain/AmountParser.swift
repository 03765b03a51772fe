/// Amounts as real exports write them: a sign before or after, accounting parentheses,
/// thousands separators, a decimal point or comma. The result is a normalised decimal string
/// ("-1234.5600" style without padding) exact to the digit: no binary floating point. Pure.
public struct AmountParser: Sendable, Equatable {
    public enum DecimalSeparator: String, Sendable, CaseIterable { case auto, point = ".", comma = "," }

    public var decimal: DecimalSeparator
    /// nil: any of space, apostrophe, and the separator that is not the decimal one.
    public var thousands: Character?
    public var maxFractionDigits = 4

    public init(decimal: DecimalSeparator = .auto, thousands: Character? = nil) {
        self.decimal = decimal
        self.thousands = thousands
    }

    public struct Failure: Error, Equatable {
        public let reason: String
    }

    public func parse(_ raw: String) -> Result<String, Failure> {
        if let plain = parsePlain(raw) { return .success(plain) }
        var s = Substring(raw.filter { !$0.isWhitespace || $0 == " " })
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        guard !s.isEmpty else { return .failure(.init(reason: "is empty")) }
        var negative = false
        if s.first == "(" && s.last == ")" {
            negative = true
            s = s.dropFirst().dropLast()
        }
        if let f = s.first, f == "-" || f == "+" {
            negative = negative != (f == "-")
            s = s.dropFirst()
        } else if let l = s.last, l == "-" {
            negative.toggle()
            s = s.dropLast()
        }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || ".,' ".contains($0)) }) else {
            return .failure(.init(reason: "is not an amount like 1234.56, 1.234,56 or (12.00)"))
        }
        let decimalChar: Character?
        switch decimal {
        case .point: decimalChar = "."
        case .comma: decimalChar = ","
        case .auto:
            // Both '.' and ',': the later one is the decimal separator (1.234,56 and 1,234.56).
            // One of them, once: decimal (12,50 and 12.50; write 1,234 with an explicit
            // separator setting). Several times: thousands (1,234,567).
            let points = s.filter { $0 == "." }.count, commas = s.filter { $0 == "," }.count
            if points > 0 && commas > 0 {
                decimalChar = s.lastIndex(of: ".")! > s.lastIndex(of: ",")! ? "." : ","
            } else if points == 1 {
                decimalChar = "."
            } else if commas == 1 {
                decimalChar = ","
            } else {
                decimalChar = nil
            }
        }
        var integer = "", fraction = ""
        var inFraction = false
        // Digits between thousands separators: the first group 1-3, every later one exactly 3.
        var groups: [Int] = [0]
        var separatorUsed: Character?
        var groupSeparators: Set<Character> = [" ", "'"]
        if let t = thousands { groupSeparators.insert(t) }
        for c in s {
            if c.isNumber {
                if inFraction { fraction.append(c) } else {
                    integer.append(c)
                    groups[groups.count - 1] += 1
                }
            } else if c == decimalChar && !inFraction {
                inFraction = true
            } else if !inFraction && (groupSeparators.contains(c) || (thousands == nil && (c == "." || c == ",") && c != decimalChar)) {
                guard separatorUsed == nil || separatorUsed == c else { return .failure(.init(reason: "mixes thousands separators")) }
                separatorUsed = c
                groups.append(0)
            } else {
                return .failure(.init(reason: "has a misplaced \(c)"))
            }
        }
        guard !integer.isEmpty || !fraction.isEmpty else { return .failure(.init(reason: "has no digits")) }
        if groups.count > 1 && (!(1...3).contains(groups[0]) || groups.dropFirst().contains { $0 != 3 }) {
            return .failure(.init(reason: "has thousands separators in the wrong places"))
        }
        guard fraction.count <= maxFractionDigits else { return .failure(.init(reason: "has more than \(maxFractionDigits) decimals")) }
        while integer.count > 1 && integer.first == "0" { integer.removeFirst() }
        if integer.isEmpty { integer = "0" }
        guard integer.count <= 16 else { return .failure(.init(reason: "is too large")) }
        while fraction.last == "0" { fraction.removeLast() }
        let isZero = integer == "0" && fraction.isEmpty
        return .success((negative && !isZero ? "-" : "") + integer + (fraction.isEmpty ? "" : "." + fraction))
    }

    /// The common form, "-1234.56" (or "1234,56" when the decimal mark is a comma), read on
    /// bytes without the general path's character work; nil for anything else (which the
    /// general path then reads, with the same result for this form).
    func parsePlain(_ raw: String) -> String? {
        var utf8 = raw.utf8[...]
        guard let first = utf8.first else { return nil }
        let negative = first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        var integer: [UInt8] = []
        var fraction: [UInt8] = []
        var seenMark = false
        for b in utf8 {
            if b >= 0x30 && b <= 0x39 {
                if seenMark { fraction.append(b) } else { integer.append(b) }
            } else if !seenMark && ((b == UInt8(ascii: ".") && decimal != .comma) || (b == UInt8(ascii: ",") && decimal != .point)) {
                // A lone separator is the decimal mark (as the general path reads it), unless it
                // is the configured thousands separator.
                if let t = thousands, t.asciiValue == b { return nil }
                seenMark = true
            } else {
                return nil
            }
        }
        guard !integer.isEmpty, !seenMark || !fraction.isEmpty, fraction.count <= maxFractionDigits else { return nil }
        // "1,234" with auto: the general path reads it as a decimal too; keep one reading.
        var start = 0
        while start < integer.count - 1 && integer[start] == 0x30 { start += 1 }
        guard integer.count - start <= 16 else { return nil }
        while fraction.last == 0x30 { fraction.removeLast() }
        let isZero = integer.count - start == 1 && integer[start] == 0x30 && fraction.isEmpty
        var out: [UInt8] = []
        out.reserveCapacity(integer.count + fraction.count + 2)
        if negative && !isZero { out.append(UInt8(ascii: "-")) }
        out.append(contentsOf: integer[start...])
        if !fraction.isEmpty {
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: fraction)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
