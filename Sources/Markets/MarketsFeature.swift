import Foundation
import HTTPServer
import Logging
import Platform
import Postgres
import SystemSupport

/// Markets: providers, the refresh, the index strategy, and the market-data routes.
public struct MarketsFeature: Feature {
    public static let refreshJob = "price_refresh"

    public static var configuration: [ConfigVariable] { MarketsConfig.variables }

    public static var statementCatalogs: [any StatementCatalog.Type] {
        [RefreshRepository.self, StrategyRepository.self, MarketReadRepository.self]
    }

    let services: AppServices
    let config: MarketsConfig
    let metrics: MarketMetrics
    let cache: MarketCache
    let market: MarketService
    let strategy: StrategyService
    let refresh: RefreshService
    let events = EventHub()
    let listener: PostgresListener

    public init(services: AppServices) throws {
        self.services = services
        config = try MarketsConfig.read(services)
        metrics = MarketMetrics(registry: services.metrics)
        cache = MarketCache(pool: services.database.pool, backgroundPool: services.jobs.pool, metrics: metrics)
        market = MarketService(cache: cache, pool: services.database.pool)
        strategy = StrategyService(pool: services.database.pool, cache: cache)
        refresh = RefreshService(provider: try Self.provider(config, metrics: metrics), settings: config.refresh, metrics: metrics)
        let cache = self.cache, events = self.events, logger = services.logger
        listener = try PostgresListener(configuration: services.config.database, channels: [RefreshService.channel]) { _, payload in
            cache.invalidate()
            cache.warm(logger: logger)
            events.publish(event: "refresh", data: payload)
            logger.info("market data changed; cache dropped", metadata: ["notification": .string(payload)])
        }
        let hub = events
        services.metrics.addCollector { text in
            text.header("markets_event_subscribers", help: "Clients subscribed to /api/v1/events.", type: "gauge")
            text.sample("markets_event_subscribers", Double(hub.subscriberCount))
        }
    }

    static func provider(_ c: MarketsConfig, metrics: MarketMetrics) throws -> any MarketDataProvider {
        switch c.provider {
        case .demo: return DemoProvider(seed: c.demoSeed, symbols: c.assets, benchmark: c.benchmark, today: c.demoEndDate)
        case .csv: return CSVProvider(directory: c.csvDirectory ?? ".", benchmark: c.benchmark)
        case .twelvedata: return try TwelveDataProvider(settings: c.twelveData, symbols: c.assets, benchmark: c.benchmark, metrics: metrics)
        }
    }

    public func registerRoutes(_ routes: inout Routes) throws {
        routes.describe(MarketsGlossary.terms, examples: MarketsGlossary.examples)
        let read: Access = config.publicMarketData ? .public : .authenticated
        try MarketRoutes.register(&routes, market: market, readAccess: read)
        try IndexRoutes.register(&routes, market: market, readAccess: read)
        try SimulationRoutes.register(&routes, market: market, readAccess: read)
        try StrategyRoutes.register(&routes, strategy: strategy, readAccess: read)
        try RefreshRoutes.register(&routes, jobs: services.jobs, events: events, readAccess: read, sessions: services.sessions)
    }

    public func registerJobs(_ jobs: JobRunner) throws {
        let refresh = self.refresh, cache = self.cache
        jobs.schedule(ScheduledJob(name: Self.refreshJob, kind: "price_refresh", intervalMs: config.refreshEnabled ? config.refreshIntervalMs : 0,
                                   jitterMs: 0, maxRetries: 3, retryBaseMs: 60_000) { context in
            let mode = RefreshRoutes.mode(fromPayload: context.payload)
            defer { cache.invalidate() }
            let stats = try refresh.refresh(mode: mode, pool: context.pool, runID: context.runID, logger: context.logger) { percent, message in
                context.progress(percent, message)
            }
            return try JobOutcome(stats: stats, changedData: true)
        })
    }

    public func start() throws {
        listener.start()
        // Only the staleness gauge at start (a small query): the snapshot loads on first use.
        let pool = services.jobs.pool, metrics = self.metrics
        Background.detached(name: "markets-gauge") {
            let t: Double?? = try? pool.withConnection { try $0.query(MarketReadRepository.lastRefresh).first?.decode("t", as: Double?.self) }
            if let t = t ?? nil { metrics.lastSuccess.set(t) }
        }
        guard config.refreshOnStart, services.config.jobs.enabled else { return }
        let empty = try services.database.pool.transaction { tx in try tx.query("SELECT NOT EXISTS (SELECT 1 FROM index_values) AS empty").first!.decode("empty", as: Bool.self) }
        guard empty else { return }
        switch try services.jobs.startRun(Self.refreshJob, payload: #"{"mode":"full"}"#, trigger: "startup") {
        case .started(let id):
            services.logger.notice("no market data yet: refreshing now from the \(config.provider.rawValue) provider",
                                   metadata: ["run_id": .stringConvertible(id)])
        case .busy(let id):
            services.logger.notice("no market data yet: a refresh is already running", metadata: ["run_id": .string(id.map(String.init) ?? "?")])
        }
    }

    public func stop() { listener.stop() }
}
