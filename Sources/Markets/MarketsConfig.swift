import Platform

/// Markets' section of the configuration.
struct MarketsConfig: Sendable {
    enum Provider: String, CaseIterable, Sendable { case demo, csv, twelvedata }

    var provider = Provider.demo
    var csvDirectory: String?
    var twelveData = TwelveDataSettings()
    var assets: [String] = DefaultUniverse.symbols
    var benchmark = DefaultUniverse.benchmark
    var demoSeed: UInt64 = 20_180_102
    var demoEndDate: Day?
    var refreshEnabled = true
    var refreshIntervalMs = 86_400_000
    var refreshOnStart = true
    var refresh = RefreshService.Settings()
    var publicMarketData = false

    static let variables: [ConfigVariable] = [
        ConfigVariable("PUBLIC_MARKET_DATA", "false", "market-data reads (assets, prices, index, simulation, events) without an access token; strategy changes always need an admin"),
        ConfigVariable("PRICE_PROVIDER", "demo", "demo (seeded offline data) | csv (PRICE_CSV_DIR) | twelvedata (the TwelveData API)"),
        ConfigVariable("PRICE_CSV_DIR", "", "for PRICE_PROVIDER=csv: directory with assets.csv, prices.csv and optionally fx.csv"),
        ConfigVariable("TWELVEDATA_BASE_URL", "https://api.twelvedata.com", "TwelveData API base URL (https only)"),
        ConfigVariable("TWELVEDATA_API_KEY", "", "TwelveData API key (required for PRICE_PROVIDER=twelvedata); give it as TWELVEDATA_API_KEY_FILE", secret: true),
        ConfigVariable("TWELVEDATA_CA_FILE", "", "PEM file of CA certificates to trust instead of the system's (tests)"),
        ConfigVariable("TWELVEDATA_CREDITS_PER_MINUTE", "8", "API credits the plan allows per minute (one per symbol per call)"),
        ConfigVariable("TWELVEDATA_TIMEOUT", "15s", "connect and read timeout of one TwelveData call"),
        ConfigVariable("TWELVEDATA_MAX_RETRIES", "3", "retries of a call after 429, 5xx or a network error (exponential backoff with jitter)"),
        ConfigVariable("ASSETS", "", "comma-separated universe for demo and twelvedata; empty = AAPL,MSFT,GOOGL,AMZN,META,TSLA,NVDA,SPY,GLD,SLV,USO,TLT,IEF"),
        ConfigVariable("BENCHMARK_SYMBOL", "^GSPC", "benchmark stored and served beside the index, never in it"),
        ConfigVariable("DEMO_SEED", "20180102", "seed of the demo provider's data (same seed, same data)"),
        ConfigVariable("DEMO_END_DATE", "", "last date of the demo provider's data, YYYY-MM-DD; empty = today (UTC)"),
        ConfigVariable("REFRESH_ENABLED", "true", "refresh on a timer (one instance runs each tick); POST /admin/refresh works either way"),
        ConfigVariable("REFRESH_INTERVAL", "24h", "time between timed refreshes (ticks aligned to UTC midnight for 24h)"),
        ConfigVariable("REFRESH_ON_START", "true", "serve refreshes at once when the database has no index yet (demo data on a fresh start)"),
        ConfigVariable("REFRESH_OVERLAP_DAYS", "5", "incremental refreshes re-fetch this many days before each asset's last stored date"),
        ConfigVariable("REFRESH_BACKUPS_KEEP", "10", "refresh exports kept in BACKUP_DIR (older ones are deleted)"),
        ConfigVariable("REFRESH_FAULT_INJECTION", "", "tests only (APP_ENV=test): provider_halfway | constraint_violation | connection_killed | pause_before_commit"),
    ]

    static func read(_ services: AppServices) throws -> MarketsConfig {
        let r = ConfigReader(services.environment)
        var c = MarketsConfig()
        c.publicMarketData = try r.bool("PUBLIC_MARKET_DATA") ?? false
        let provider = try r.choice("PRICE_PROVIDER", Provider.self)
        // Demo prices are synthetic: a production server serves them only when told to.
        if provider == nil && services.config.environment == .production {
            throw ConfigError("PRICE_PROVIDER", "is required when APP_ENV=production (the default, demo, serves synthetic prices): csv or twelvedata")
        }
        c.provider = provider ?? .demo
        c.csvDirectory = try r.string("PRICE_CSV_DIR").flatMap { $0.isEmpty ? nil : $0 }
        if c.provider == .csv && c.csvDirectory == nil { throw ConfigError("PRICE_CSV_DIR", "is required when PRICE_PROVIDER=csv") }
        c.twelveData.baseURL = try r.string("TWELVEDATA_BASE_URL") ?? c.twelveData.baseURL
        guard c.twelveData.baseURL.hasPrefix("https://") else { throw ConfigError("TWELVEDATA_BASE_URL", "must be an https:// URL") }
        c.twelveData.apiKey = try r.string("TWELVEDATA_API_KEY") ?? ""
        if c.provider == .twelvedata && c.twelveData.apiKey.isEmpty {
            throw ConfigError("TWELVEDATA_API_KEY", "is required when PRICE_PROVIDER=twelvedata")
        }
        c.twelveData.caFile = try r.string("TWELVEDATA_CA_FILE").flatMap { $0.isEmpty ? nil : $0 }
        c.twelveData.creditsPerMinute = try r.int("TWELVEDATA_CREDITS_PER_MINUTE", 1...100_000) ?? 8
        c.twelveData.timeoutMs = try r.duration("TWELVEDATA_TIMEOUT") ?? 15_000
        c.twelveData.maxRetries = try r.int("TWELVEDATA_MAX_RETRIES", 0...10) ?? 3
        let assets = try r.list("ASSETS").map { $0.uppercased() }
        if !assets.isEmpty {
            if let bad = assets.first(where: { !IncomingDataValidation.isValidSymbol($0) }) { throw ConfigError("ASSETS", "\(bad) is not a valid symbol") }
            c.assets = assets
        }
        c.benchmark = try r.string("BENCHMARK_SYMBOL").map { $0.uppercased() } ?? c.benchmark
        guard IncomingDataValidation.isValidSymbol(c.benchmark) else { throw ConfigError("BENCHMARK_SYMBOL", "\(c.benchmark) is not a valid symbol") }
        if c.assets.contains(c.benchmark) { throw ConfigError("BENCHMARK_SYMBOL", "must not be one of ASSETS (the benchmark is never in the index)") }
        c.demoSeed = UInt64(try r.int("DEMO_SEED", 0...Int.max) ?? 20_180_102)
        if let text = try r.string("DEMO_END_DATE"), !text.isEmpty {
            guard let d = Day(iso: text), d >= DemoProvider.firstDay else { throw ConfigError("DEMO_END_DATE", "must be a date like 2024-06-28, not before 2018-01-02") }
            c.demoEndDate = d
        }
        c.refreshEnabled = try r.bool("REFRESH_ENABLED") ?? true
        c.refreshIntervalMs = try r.duration("REFRESH_INTERVAL") ?? 86_400_000
        guard c.refreshIntervalMs >= 1_000 else { throw ConfigError("REFRESH_INTERVAL", "must be at least 1s") }
        c.refreshOnStart = try r.bool("REFRESH_ON_START") ?? true
        c.refresh.overlapDays = try r.int("REFRESH_OVERLAP_DAYS", 0...366) ?? 5
        c.refresh.exportsKept = try r.int("REFRESH_BACKUPS_KEEP", 1...1000) ?? 10
        c.refresh.exportDirectory = services.config.backupDirectory
        if let text = try r.string("REFRESH_FAULT_INJECTION"), !text.isEmpty, let fault = try r.choice("REFRESH_FAULT_INJECTION", RefreshFault.self) {
            guard services.config.environment == .test else { throw ConfigError("REFRESH_FAULT_INJECTION", "is only accepted with APP_ENV=test") }
            c.refresh.fault = fault
        }
        return c
    }
}

/// TwelveData client settings.
struct TwelveDataSettings: Sendable {
    var baseURL = "https://api.twelvedata.com"
    var apiKey = ""
    var caFile: String?
    var creditsPerMinute = 8
    var timeoutMs = 15_000
    var maxRetries = 3
}
