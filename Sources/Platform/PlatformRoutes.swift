/// The platform's own admin routes (jobs), registered by the composition root.
public enum PlatformRoutes {
    public static func register(_ routes: inout Routes, services: AppServices) throws {
        try JobRoutes.register(&routes, jobs: services.jobs)
    }
}
