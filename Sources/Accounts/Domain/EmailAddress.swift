import Foundation
import SystemSupport

/// An email address as accounts store it: trimmed, the domain lower-cased (the local part keeps
/// its case, as RFC 5321 allows it to matter; uniqueness ignores case anyway).
public enum EmailAddress {
    /// The normalised address, or nil with the reason it is not acceptable.
    public static func normalize(_ raw: String) -> Result<String, Problem> {
        let trimmed = raw.trimmingWhitespace()
        guard !trimmed.isEmpty else { return .failure(.init("is required")) }
        // Invisible format characters (zero-width joiners, bidi controls, BOM) make addresses
        // that look alike and are not: refused.
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .format }) else {
            return .failure(.init("must not contain invisible formatting characters (zero-width or bidi controls)"))
        }
        guard trimmed.unicodeScalars.count <= 254 else { return .failure(.init("must be at most 254 characters")) }
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(.init("must contain exactly one @")) }
        let local = parts[0], domain = parts[1].lowercased()
        guard (1...64).contains(local.utf8.count) else { return .failure(.init("has a local part of 1 to 64 characters")) }
        guard local.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !"()<>[]:;,\\\"".unicodeScalars.contains($0) }),
              !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else {
            return .failure(.init("has characters not allowed before the @"))
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ label in
            (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { ($0.value >= 0x61 && $0.value <= 0x7A) || ($0.value >= 0x30 && $0.value <= 0x39) || $0 == "-" || $0.value > 0x7F }
        }) else {
            return .failure(.init("must have a domain like example.com"))
        }
        return .success("\(local)@\(domain)")
    }

    /// The identity key of a normalised address, the one rule the code and the database share
    /// (stored in users.email_key, unique): compatibility composition (NFKC: full-width letters
    /// and the Kelvin sign become plain ones, NFD and NFC forms one), then Unicode case
    /// folding, then NFKC again.
    public static func key(_ email: String) -> String {
        email.precomposedStringWithCompatibilityMapping.folding(options: [.caseInsensitive], locale: nil).precomposedStringWithCompatibilityMapping
    }

    public struct Problem: Error, Equatable {
        public let issue: String
        init(_ issue: String) { self.issue = issue }
    }
}
