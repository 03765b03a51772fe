import ArgumentParser
import Platform

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect job runs (scheduled and queued).",
        subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List job runs, newest first: id, job, status, trigger, started, duration, progress, error.")

        @Option(help: "Only this job.")
        var job: String?

        @Option(help: "Only this status: queued, running, succeeded, failed, skipped, cancelled.")
        var status: String?

        @Option(help: "How many (1-1000).")
        var limit: Int = 50

        static let statuses = ["queued", "running", "succeeded", "failed", "skipped", "cancelled"]

        func run() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
            if let status, !Self.statuses.contains(status) {
                throw ValidationError("--status must be one of \(Self.statuses.joined(separator: ", ")), not \(status)")
            }
            let environment = Bootstrap.environment()
            let config = try Bootstrap.configuration(environment)
            let services = try Bootstrap.services(config, environment, Bootstrap.quietLogger())
            defer { services.database.shutdown() }
            let runs = try services.jobs.list(job: job, status: status, limit: limit)
            print("id\tjob\tstatus\ttrigger\tstarted\tduration_ms\tprogress\terror")
            for r in runs {
                print("\(r.id)\t\(r.job)\t\(r.status)\t\(r.trigger)\t\(r.startedAt ?? "-")\t\(r.durationMs.map(String.init) ?? "-")\t\(r.progress)\t\(r.error ?? "")")
            }
        }
    }
}
