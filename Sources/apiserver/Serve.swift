import ArgumentParser
import CSystem
import Glibc
import HTTPServer
import Logging
import Platform
import Postgres
import AppAssembly
import SystemSupport

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server until SIGTERM or SIGINT, then drain and exit 0.",
        discussion: "Every setting is an environment variable (listed with defaults in .env.example); "
            + "the options below override the most common ones. Invalid settings exit with status 78.")

    @Option(help: "Address to bind; overrides HOST (default 127.0.0.1).")
    var host: String?

    @Option(help: "TCP port, 0 for any free port; overrides PORT (default 8080).")
    var port: Int?

    @Option(name: .customLong("http-threads"), help: "Event-loop threads, 0 = one per core; overrides HTTP_THREADS.")
    var httpThreads: Int?

    @Option(name: .customLong("worker-threads"), help: "Threads for blocking handlers; overrides WORKER_THREADS (default 8).")
    var workerThreads: Int?

    @Option(name: .customLong("max-connections"), help: "Open connections before 503; overrides MAX_CONNECTIONS.")
    var maxConnections: Int?

    @Option(name: .customLong("log-level"), help: "trace|debug|info|notice|warning|error|critical; overrides LOG_LEVEL.")
    var logLevel: String?

    @Option(name: .customLong("env"), help: "development|test|production; overrides APP_ENV.")
    var appEnv: String?

    func run() throws {
        let environment = Bootstrap.environment(overrides: [
            ("HOST", host), ("PORT", port.map(String.init)), ("HTTP_THREADS", httpThreads.map(String.init)),
            ("WORKER_THREADS", workerThreads.map(String.init)), ("MAX_CONNECTIONS", maxConnections.map(String.init)),
            ("LOG_LEVEL", logLevel), ("APP_ENV", appEnv),
        ])
        let config = try Bootstrap.configuration(environment)
        let logger = Bootstrap.logging(config)
        defer { LogSink.standardOutput.flush() }

        // Block termination signals before any thread starts, so every thread inherits the mask
        // and only the signalfd below receives them.
        let signalFD = csystem_block_signals_and_open_signalfd()
        guard signalFD >= 0 else { throw SystemError("signalfd") }

        let services = try Bootstrap.services(config, environment, logger)
        let database = services.database
        defer { database.shutdown() }
        logger.info("database", metadata: ["url": .string(config.database.redactedURL), "pool_size": "\(config.database.poolSize)",
                                           "max_overflow": "\(config.database.maxOverflow)"])
        if config.migrateOnStart {
            do {
                try database.migrate(logger: logger)
            } catch let e as PostgresError {
                logger.critical("migrations failed; not starting (MIGRATE_ON_START=true)", metadata: ["error": .string(e.debugDescription)])
                throw ExitCode(1)
            }
        }

        let (app, features) = try Bootstrap.exitingOnConfigError { try AppAssembly.build(services) }
        let lifecycle = services.lifecycle
        let metrics = services.metrics
        let server = HTTPServer(configuration: config.server, application: app, logger: logger)
        ServerMetrics.register(server: server, in: metrics)

        let boundPort: Int
        do {
            boundPort = try server.start()
        } catch {
            logger.critical("cannot start server", metadata: ["error": .string("\(error)")])
            LogSink.standardOutput.flush()
            throw ExitCode(1)
        }
        logger.info("listening", metadata: [
            "host": .string(config.server.host), "port": .stringConvertible(boundPort),
            "event_loops": .stringConvertible(config.server.eventLoops), "workers": .stringConvertible(config.server.workerThreads),
            "environment": .string(config.environment.rawValue),
        ])
        do {
            try services.jobs.start()
        } catch {
            logger.critical("cannot start the job runner", metadata: ["error": .string("\(error)")])
            server.stop(timeoutMs: 0)
            throw ExitCode(1)
        }
        for feature in features {
            do {
                try feature.start()
            } catch {
                logger.error("a feature could not finish starting", metadata: ["feature": .string("\(type(of: feature))"), "error": .string("\(error)")])
            }
        }
        defer { for feature in features { feature.stop() } }
        LogSink.standardOutput.flush()

        let signal = csystem_read_signal(signalFD)
        lifecycle.beginDraining()
        logger.info("shutting down", metadata: ["signal": .stringConvertible(signal), "timeout_ms": .stringConvertible(config.shutdownTimeoutMs)])
        if config.shutdownDrainDelayMs > 0 { usleep(UInt32(config.shutdownDrainDelayMs) * 1000) }
        // Jobs are asked to stop while requests drain; both get the shutdown timeout.
        let jobsStopped = Background.run { services.jobs.stop(timeoutMs: config.shutdownTimeoutMs) }
        let drained = server.stop(timeoutMs: config.shutdownTimeoutMs) && jobsStopped()
        if drained {
            logger.info("stopped", metadata: ["drained": "true"])
        } else {
            logger.warning("stopped with requests still in flight after the shutdown timeout", metadata: ["drained": "false"])
        }
    }
}

