import Testing
import Foundation
@testable import AppAssembly
@testable import Platform
import Logging
import Postgres

/// What spans every feature: documented configuration and routes that all say who may call them.
@Suite struct AssemblyTests {
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// .env.example lists exactly the core's and every feature's variables with their defaults,
    /// and taken literally it is a valid configuration.
    @Test func envExampleListsEveryVariableOfEveryFeature() throws {
        let text = try String(contentsOfFile: Self.root + "/.env.example", encoding: .utf8)
        var listed: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            listed[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        let declared = AppAssembly.configVariables
        #expect(Set(declared.map(\.name)).count == declared.count, "a variable is declared twice")
        #expect(listed == Dictionary(uniqueKeysWithValues: declared.map { ($0.name, $0.defaultValue) }))
        #expect(throws: Never.self) { try AppConfig.load(from: Environment(listed)) }
    }

    @Test func everyFeatureBuildsAndRegistersItsRoutes() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let env = Environment(["ENABLE_TEST_ROUTES": "true", "APP_ENV": "test"])
        let services = try AppServices(config: try AppConfig.load(from: env), environment: env, logger: logger)
        let (application, features) = try AppAssembly.build(services)
        #expect(features.count == AppAssembly.features.count)
        #expect(application.routesByIndex.count > 10)
        #expect(application.routesByIndex.allSatisfy { $0.options.access != nil })
        let undocumented = OpenAPIDocument.documented(application.routesByIndex).filter { $0.options.doc == nil }
        #expect(undocumented.isEmpty, "routes without a RouteDoc: \(undocumented.map { "\($0.method) \($0.pattern)" })")
        let spec = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.build(application.routesByIndex, version: "t"))) as? [String: Any]
        let paths = spec?["paths"] as? [String: Any]
        #expect(paths?["/admin/jobs/{id}"] != nil && paths?["/api/v1/openapi.json"] != nil && paths?["/__test/echo"] == nil)
    }

    /// Every statement of every repository PREPAREs against the migrated schema: a column a
    /// migration renamed fails here, not in a request.
    @Test func everyStatementOfEveryFeaturePreparesAgainstTheMigratedSchema() throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { return }
        let pool = ConnectionPool(configuration: PostgresConfiguration(url: url))
        defer { pool.shutdown() }
        try Migrator(pool: pool, migrations: try Migration.load(directory: Self.root + "/migrations")).migrate()
        try pool.withConnection { c in
            for catalog in AppAssembly.statementCatalogs {
                for setup in catalog.sessionSetup { try c.execute(unsafeSQL: setup) }
                for statement in catalog.statements {
                    #expect(throws: Never.self, "\(catalog): \(statement.sql)") { try c.checkPreparable(statement) }
                }
            }
        }
        #expect(AppAssembly.statementCatalogs.count >= 2)
    }
}
