import HTTPServer

/// Exposes the HTTP server's own counters.
public enum ServerMetrics {
    public static func register(server: HTTPServer, in registry: MetricsRegistry) {
        let stats = server.stats
        registry.addCollector { text in
            text.header("http_open_connections", help: "Open client connections.", type: "gauge")
            text.sample("http_open_connections", Double(stats.openConnections.load(ordering: .relaxed)))
            text.header("http_requests_in_flight", help: "Requests being handled right now.", type: "gauge")
            text.sample("http_requests_in_flight", Double(stats.inFlightRequests.total))
            text.header("http_connections_accepted_total", help: "Connections accepted.", type: "counter")
            text.sample("http_connections_accepted_total", Double(stats.acceptedConnections.load(ordering: .relaxed)))
            text.header("http_connections_rejected_total", help: "Connections refused because MAX_CONNECTIONS was reached.", type: "counter")
            text.sample("http_connections_rejected_total", Double(stats.rejectedConnections.load(ordering: .relaxed)))
            text.header("http_worker_queue_rejections_total", help: "Requests refused with 503 because the worker queue was full.", type: "counter")
            text.sample("http_worker_queue_rejections_total", Double(stats.workerQueueRejections.load(ordering: .relaxed)))
            text.header("http_worker_queue_depth", help: "Requests waiting for a worker thread.", type: "gauge")
            text.sample("http_worker_queue_depth", Double(server.queuedJobs))
            text.header("http_connections_evicted_total", help: "Idle keep-alive connections closed to make room at MAX_CONNECTIONS.", type: "counter")
            text.sample("http_connections_evicted_total", Double(stats.evictedConnections.load(ordering: .relaxed)))
            text.header("http_request_body_buffer_bytes", help: "Bytes held by incomplete request bodies (BODY_MEMORY_BUDGET caps it).", type: "gauge")
            text.sample("http_request_body_buffer_bytes", Double(server.bufferedBodyBytes))
        }
    }
}
