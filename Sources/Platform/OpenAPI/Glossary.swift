/// What each property of the API means, by name, for the OpenAPI document and /docs: one
/// vocabulary, each term said once. The platform brings the terms every feature shares (id,
/// status, created_at); each feature adds its own when it registers its routes
/// (`Routes.describe`). A property the glossary does not know fails a test, so nothing ships
/// undocumented. `examples` holds a JSON example for the terms whose form a type alone cannot
/// give (an amount's pattern, an email).
public struct Glossary: Sendable {
    public private(set) var terms: [String: String] = Glossary.common
    public private(set) var examples: [String: String] = Glossary.commonExamples

    public init() {}

    /// Adds terms; a term already known keeps its first meaning.
    public mutating func add(_ more: [String: String], examples moreExamples: [String: String] = [:]) {
        terms.merge(more) { first, _ in first }
        examples.merge(moreExamples) { first, _ in first }
    }

    public static let common: [String: String] = [
        "id": "the resource's id (a UUID, or an integer for job runs and backups)",
        "name": "the resource's name as people read it",
        "status": "where the resource stands (see the values)",
        "created_at": "when it was created (RFC 3339, UTC)",
        "updated_at": "when it last changed (RFC 3339, UTC)",
        "started_at": "when the work started (RFC 3339, UTC); null before",
        "finished_at": "when the work ended and its results were committed (RFC 3339, UTC); null before",
        "error": "why the work failed; null unless it did",
        "kind": "what kind of thing it is (see the values)",
        "progress": "how far the work is, 0-100",
        "progress_message": "what the work is doing now, in words",
        "stats": "counts and timings of the work (names and units in the README)",
        "date": "a day (YYYY-MM-DD)",
        "currency": "an ISO 4217 currency code",
        "description": "free text describing it",
        "message": "a sentence for people about the result",
        "version": "a version number or string",
        "deleted": "true when the resource was removed",
        "run_id": "the job run (GET /admin/jobs/{id}) doing the work",
        "email": "an email address (compared case-insensitively, Unicode-folded)",
        "role": "a role: user or admin for accounts; owner, editor or viewer in a project",
    ]

    public static let commonExamples: [String: String] = [
        "email": "\"me@example.com\"",
        "currency": "\"EUR\"",
    ]
}
