import HTTPServer
import Accounts
import Backups
import Logging
import Markets
import Platform
import Postgres
import Reconciliation

/// The composition root: which features the product has, and how the application is put
/// together from the shared services. `serve` and every other subcommand start here, and the
/// assembly tests check what spans all features (.env.example, statements, routes).
public enum AppAssembly {
    /// Every feature, in registration order.
    public static let features: [any Feature.Type] = [DiagnosticsFeature.self, AccountsFeature.self, MarketsFeature.self, BackupsFeature.self,
                                                         ReconciliationFeature.self]

    /// Every repository of the platform and the features (for the drift test).
    public static var statementCatalogs: [any StatementCatalog.Type] {
        [Migrator.self, JobRepository.self, AuditTrail.self] + features.flatMap { $0.statementCatalogs }
    }

    /// The core's variables and every feature's.
    public static var configVariables: [ConfigVariable] { AppConfig.variables + features.flatMap { $0.configuration } }

    /// The features built from `services` (reading their configuration), and the application
    /// serving the operational routes and every feature's routes.
    public static func build(_ services: AppServices) throws -> (application: Application, features: [any Feature]) {
        let built = try features.map { try $0.init(services: services) }
        var routes = Routes()
        try OperationalRoutes.register(&routes, metrics: services.metrics, lifecycle: services.lifecycle,
                                       checks: [services.database.readiness] + built.flatMap(\.readinessChecks),
                                       environment: services.config.environment)
        try PlatformRoutes.register(&routes, services: services)
        for feature in built {
            try feature.registerRoutes(&routes)
            try feature.registerJobs(services.jobs)
        }
        // Last: the contract is built from every route registered above.
        try APIDocsRoutes.register(&routes, version: OperationalRoutes.version)
        let application = Application(config: services.config, routes: routes, metrics: services.metrics,
                                      lifecycle: services.lifecycle, logger: services.logger, rateLimiter: services.rateLimiter,
                                      authenticators: built.flatMap(\.authenticators))
        return (application, built)
    }
}
