import Postgres

/// The position after the last row of a page, for keyset pagination: the sort key values of
/// that row. Opaque to clients (base64url of the values), so a page stays valid while rows are
/// inserted before or after it; a forged cursor only moves the start of a query the caller may
/// run anyway.
public struct PageCursor: Sendable, Equatable {
    public let values: [String]

    public init(_ values: [String]) { self.values = values }

    /// The cursor text: base64url (no padding) of the values separated by U+001F.
    public var encoded: String {
        Base64URL.encode(Array(values.joined(separator: "\u{1F}").utf8))
    }

    public init?(encoded: String) {
        guard encoded.utf8.count <= 1024, let bytes = Base64URL.decode(encoded),
              let text = String(validating: bytes, as: UTF8.self) else { return nil }
        values = text.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
    }
}
