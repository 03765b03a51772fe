/// NIST SP 800-63B style password rules: length, not a common password, not the account's
/// own name. No composition rules (they make passwords worse, not stronger).
public enum PasswordPolicy {
    public static let minimumLength = 12
    public static let maximumLength = 128

    static let common: Set<String> = Set(CommonPasswords.text.split(separator: "\n").map { String($0) })

    /// Why `password` is not acceptable for the account `email` (nil when it is).
    public static func problem(_ password: String, email: String) -> String? {
        let length = password.unicodeScalars.count
        if length < minimumLength { return "must be at least \(minimumLength) characters" }
        if length > maximumLength { return "must be at most \(maximumLength) characters" }
        let lowered = password.lowercased()
        if common.contains(lowered) { return "is one of the most common passwords; choose another" }
        if let base = commonBase(lowered) { return "is a common password (\"\(base)\") with characters added; choose another" }
        if isKeyboardWalk(lowered) { return "is a run of keys or digits (like qwerty or 123456); choose another" }
        if commonLong.contains(lowered.filter { !$0.isWhitespace }) { return "is one of the most common long passwords; choose another" }
        let local = String(email.split(separator: "@").first ?? "").lowercased()
        if local.unicodeScalars.count >= 3 && lowered.contains(local) { return "must not contain the email address's name" }
        if Set(password).count == 1 { return "must not repeat one character" }
        return nil
    }

    /// What guessers try right after the list itself: a common password or word with digits,
    /// a year or symbols before or after it, written in look-alike characters ("p@ssw0rd"),
    /// or said twice. The base found, when it is common (nil otherwise).
    static func commonBase(_ lowered: String) -> String? {
        let chars = Array(lowered)
        var a = 0, b = chars.count
        while a < b, !chars[a].isLetter { a += 1 }
        while b > a, !chars[b - 1].isLetter { b -= 1 }
        guard b - a >= 4 else { return nil }
        let core = String(chars[a..<b])
        var candidates = [core, String(core.map { lookAlikes[$0] ?? $0 })]
        for c in candidates where c.count % 2 == 0 && c.prefix(c.count / 2) == c.suffix(c.count / 2) { candidates.append(String(c.prefix(c.count / 2))) }
        return candidates.first { $0.count >= 4 && common.contains($0) }
    }

    /// Long passwords that breach corpora show by the thousand and that the rules above let
    /// through (the bundled list is mostly shorter than the 12-character minimum), compared
    /// with spaces removed.
    static let commonLong: Set<String> = [
        "1q2w3e4r5t6y", "1q2w3e4r5t6y7u", "q1w2e3r4t5y6", "1a2b3c4d5e6f", "a1b2c3d4e5f6", "abcdefghijkl", "abcdefghijklmn",
        "abcdefghijklmnop", "abcd1234abcd", "abc123abc123", "123abc123abc", "qwerty123qwerty", "zaq12wsxcde3", "zaq1xsw2cde3",
        "1qazxsw23edc", "1qaz@wsx3edc", "iloveyouforever", "iloveyousomuch", "letmeinplease", "passwordpassword", "mypassword123",
        "thisismypassword", "whatever1234", "welcometothejungle", "trustno1trustno1", "correcthorsebatterystaple",
        "changemeplease", "pleaseletmein", "opensesame123", "administrator",
    ]

    static let lookAlikes: [Character: Character] = ["@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t", "+": "t", "8": "b", "9": "g"]

    /// Keyboard rows and the digit row, either way: a password whose neighbouring characters
    /// are nearly all next to each other on them is a walk, however long.
    static let rows = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"]
    private static let neighbours: Set<String> = {
        var out = Set<String>()
        for row in rows {
            let r = Array(row)
            for i in 0..<(r.count - 1) {
                out.insert(String([r[i], r[i + 1]]))
                out.insert(String([r[i + 1], r[i]]))
            }
        }
        return out
    }()

    static func isKeyboardWalk(_ lowered: String) -> Bool {
        let c = Array(lowered)
        guard c.count >= 2 else { return false }
        var adjacent = 0
        for i in 0..<(c.count - 1) where neighbours.contains(String([c[i], c[i + 1]])) { adjacent += 1 }
        return Double(adjacent) >= 0.85 * Double(c.count - 1)
    }
}
