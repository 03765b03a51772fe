/// One page rule for every paged route: `limit` 1-1000 (each route picks its default), an
/// opaque `cursor` from the previous page's `meta.next_cursor`, and `meta.limit` and
/// `meta.next_cursor` (null on the last page) on every page.
public enum Paging {
    public static let maxLimit = 1000

    public static func limitParameter(default fallback: Int) -> ParameterDoc {
        ParameterDoc("limit", .integer(minimum: 1, maximum: maxLimit), "page size, 1-\(maxLimit) (default \(fallback))")
    }

    public static let cursorParameter = ParameterDoc("cursor", .string(maxLength: 1024), "meta.next_cursor of the previous page (absent: the first page)")

    /// The page's meta: its limit and the cursor of the next page (null when this is the last).
    public static func meta(limit: Int, next: String?) -> [(String, String)] {
        [("limit", String(limit)), ("next_cursor", next.map(JSONWriter.quoted) ?? "null")]
    }
}

extension QueryParameters {
    /// `limit` under the one page rule.
    public mutating func pageLimit(default fallback: Int) -> Int { int("limit", default: fallback, in: 1...Paging.maxLimit) }
}
