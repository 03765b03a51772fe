import Postgres

extension Day: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { description }

    public static func decode(_ text: String, oid: UInt32, column: String) throws -> Day {
        guard oid == PostgresOID.date, let d = Day(iso: text) else {
            throw PostgresError(.decoding, "column \(column) is not a date in YYYY-MM-DD form")
        }
        return d
    }
}
