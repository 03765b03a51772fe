import Foundation
import Platform

/// Markets' metrics: refresh runs by outcome, the last successful refresh, rows written,
/// provider calls and errors, the circuit breaker's state, the latest index value, the cache.
final class MarketMetrics: Sendable {
    let refreshRuns: Counter
    let lastSuccess: Gauge
    let rowsWritten: Counter
    let providerCalls: Counter
    let providerErrors: Counter
    let breakerState: Gauge
    let indexValue: Gauge
    let cacheLookups: Counter

    init(registry: MetricsRegistry) {
        refreshRuns = registry.counter("markets_refresh_runs_total", help: "Market-data refreshes by outcome.", labels: ["outcome"])
        lastSuccess = registry.gauge("markets_refresh_last_success_timestamp_seconds", help: "Unix time of the last successful refresh (of any instance, as last read from the database).")
        rowsWritten = registry.counter("markets_refresh_rows_written_total", help: "Rows inserted or updated by refreshes.", labels: ["table"])
        providerCalls = registry.counter("markets_provider_calls_total", help: "Calls to the market-data provider.")
        providerErrors = registry.counter("markets_provider_errors_total", help: "Refreshes failed by the market-data provider.")
        breakerState = registry.gauge("markets_provider_circuit_open", help: "1 while the provider's circuit breaker is open (failing fast), 0.5 half-open, 0 closed.")
        indexValue = registry.gauge("markets_index_value", help: "The latest index value.")
        cacheLookups = registry.counter("markets_cache_lookups_total", help: "Market read cache lookups by result.", labels: ["result"])
    }

    func refreshFinished(outcome: String, stats: RefreshStats?) {
        refreshRuns.inc([outcome])
        guard let stats else { return }
        lastSuccess.set(Date().timeIntervalSince1970)
        rowsWritten.inc(["prices"], by: Double(stats.prices.inserted + stats.prices.updated))
        rowsWritten.inc(["fx_rates"], by: Double(stats.fx.inserted + stats.fx.updated))
        rowsWritten.inc(["index_values"], by: Double(stats.indexValues.inserted + stats.indexValues.updated))
        rowsWritten.inc(["allocations"], by: Double(stats.allocations.inserted + stats.allocations.updated))
        providerCalls.inc(by: Double(stats.providerCalls))
        if let v = stats.indexValue { indexValue.set(v) }
    }
}
