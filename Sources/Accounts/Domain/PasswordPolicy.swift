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
        let local = String(email.split(separator: "@").first ?? "").lowercased()
        if local.unicodeScalars.count >= 3 && lowered.contains(local) { return "must not contain the email address's name" }
        if Set(password).count == 1 { return "must not repeat one character" }
        return nil
    }
}
