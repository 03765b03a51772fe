/// The text normalisations the matcher compares on. Pure, ASCII-folding, allocation-light.
enum TextNormalizer {
    /// Prefixes a document number is written with ("INV-00123", "Ref: 123", "PO#123").
    static let referencePrefixes = ["INVOICE", "INV", "REFERENCE", "REF", "NO", "NR", "DOC", "PO", "TXN", "TRX", "ID", "PMT", "PAY",
                                    "DEPOSIT", "DEP", "SLIP", "CHECK", "CHQ", "CHK", "BATCH", "ORDER", "ORD"]

    /// A reference reduced to what identifies it: upper-case letters and digits only, a
    /// known prefix dropped, leading zeros dropped. "INV-00123" and "inv 123" both give
    /// "123". Keys shorter than 3 characters identify nothing and give nil.
    static func reference(_ text: String?) -> String? {
        guard let text else { return nil }
        var chars: [UInt8] = []
        chars.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            if b >= 97 && b <= 122 { chars.append(b - 32) } else if (b >= 65 && b <= 90) || (b >= 48 && b <= 57) { chars.append(b) }
        }
        return key(chars)
    }

    private static let prefixBytes: [[UInt8]] = referencePrefixes.map { Array($0.utf8) }

    private static func key(_ input: [UInt8]) -> String? {
        var chars = input[...]
        for p in prefixBytes where chars.count > p.count && chars.first == p[0] && chars.starts(with: p) {
            let rest = chars.dropFirst(p.count)
            // Only a prefix followed by a digit: "REFUND" is a word, not "REF" + "UND".
            if let f = rest.first, f >= 48 && f <= 57 { chars = rest; break }
        }
        while chars.first == 48 && chars.count > 1 { chars = chars.dropFirst() }
        guard chars.count >= 3, chars.contains(where: { $0 >= 48 && $0 <= 57 }) else { return nil }
        return String(decoding: chars, as: UTF8.self)
    }

    /// The document-number-like tokens of a free text (those with a digit), normalised like
    /// references; adjacent pairs are joined too, so "INV 00123" yields "123".
    static func documentTokens(_ text: String?) -> [String] {
        guard let text else { return [] }
        var tokens: [[UInt8]] = []
        var current: [UInt8] = []
        for b in text.utf8 {
            if b >= 97 && b <= 122 { current.append(b - 32) } else if (b >= 65 && b <= 90) || (b >= 48 && b <= 57) { current.append(b) } else if !current.isEmpty {
                tokens.append(current)
                current = []
            }
        }
        if !current.isEmpty { tokens.append(current) }
        var out: [String] = []
        for (i, t) in tokens.enumerated() {
            if let k = key(t) { out.append(k) }
            if i + 1 < tokens.count, let k = key(t + tokens[i + 1]), !out.contains(k) { out.append(k) }
        }
        return out
    }

    /// The numeric cores of a text: each run of adjacent tokens that carry digits, as its digit
    /// groups with leading zeros dropped, joined by "." ("PAY-2024-001275" and "2024-1275"
    /// both give "2024.1275"), when the run holds at least five digits; a token that starts
    /// with a letter ("INV202400111") starts a run of its own. A bank that strips
    /// the zeros inside a reference or drops its prefix keeps its core.
    static func numericCores(_ texts: String?...) -> [String] {
        var out: [String] = []
        for text in texts {
            guard let text else { continue }
            var groups: [String] = [], digits: [UInt8] = [], total = 0, tokenHasDigit = false
            func endGroup() {
                guard !digits.isEmpty else { return }
                var d = digits[...]
                while d.first == 48 && d.count > 1 { d = d.dropFirst() }
                groups.append(String(decoding: d, as: UTF8.self))
                total += digits.count
                digits = []
            }
            func endRun() {
                if total >= 5 {
                    let core = groups.joined(separator: ".")
                    if !out.contains(core) { out.append(core) }
                }
                groups = []
                total = 0
            }
            // Tokens are alphanumeric runs; a token without digits ends a number's run.
            func endToken() {
                endGroup()
                if !tokenHasDigit { endRun() }
                tokenHasDigit = false
            }
            var inToken = false
            for b in text.utf8 {
                let digit = b >= 48 && b <= 57, letter = (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
                if !inToken && letter { endRun() }  // "INV2024..." starts a number of its own
                if digit {
                    digits.append(b)
                    tokenHasDigit = true
                    inToken = true
                } else if letter {
                    endGroup()
                    inToken = true
                } else if inToken {
                    endToken()
                    inToken = false
                }
            }
            if inToken { endToken() }
            endRun()
        }
        return out
    }

    /// The words of a free text (letters only, lower case, at least three letters), for
    /// finding a party's name in a bank line that has no counterparty field.
    static func words(_ text: String?) -> [[UInt8]] {
        guard let text else { return [] }
        var out: [[UInt8]] = []
        var current: [UInt8] = []
        for b in text.utf8 {
            if b >= 65 && b <= 90 { current.append(b + 32) } else if (b >= 97 && b <= 122) || b >= 0x80 { current.append(b) } else {
                if current.count >= 3 { out.append(current) }
                current = []
            }
        }
        if current.count >= 3 { out.append(current) }
        return out
    }

    /// Legal forms that say nothing about who a party is.
    static let legalForms: Set<String> = ["inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "gmbh", "ag", "sa", "sas", "sarl", "bv",
                                          "nv", "plc", "corp", "corporation", "co", "company", "pty", "srl", "spa", "oy", "ab", "as", "kg",
                                          "the", "and"]
    /// Abbreviations written out, so both spellings compare equal.
    static let abbreviations: [String: String] = [
        "intl": "international", "int": "international", "svc": "services", "svcs": "services", "serv": "services",
        "service": "services", "mfg": "manufacturing", "assoc": "associates", "bros": "brothers", "tech": "technologies",
        "technology": "technologies", "sys": "systems", "grp": "group", "natl": "national", "dept": "department",
        "mgmt": "management", "hldgs": "holdings", "hldg": "holdings", "ind": "industries", "inds": "industries",
    ]

    /// A party's name as tokens: lower case, punctuation gone ("&" is "and"), legal forms
    /// dropped, abbreviations written out.
    static func nameTokens(_ text: String?) -> [String] {
        guard let text else { return [] }
        var tokens: [String] = []
        var current: [UInt8] = []
        func flush() {
            guard !current.isEmpty else { return }
            let word = String(decoding: current, as: UTF8.self)
            current = []
            let expanded = abbreviations[word] ?? word
            if !legalForms.contains(expanded) { tokens.append(expanded) }
        }
        for b in text.utf8 {
            if b >= 65 && b <= 90 { current.append(b + 32) } else if (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b >= 0x80 { current.append(b) } else if b == UInt8(ascii: "'") || b == UInt8(ascii: ".") {
                continue  // "O'Brien", "A.B.C." stay one word
            } else {
                flush()
            }
        }
        flush()
        return tokens
    }
}
