/// The diagnostic /__test routes as a feature, mounted only with ENABLE_TEST_ROUTES=true
/// (refused in production).
public struct DiagnosticsFeature: Feature {
    let services: AppServices

    public init(services: AppServices) throws { self.services = services }

    public func registerRoutes(_ routes: inout Routes) throws {
        guard services.config.enableTestRoutes else { return }
        try TestRoutes.register(&routes, database: services.database)
        services.logger.warning("diagnostic /__test routes are enabled")
    }
}
