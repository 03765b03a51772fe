import ArgumentParser
import Glibc
import Postgres

@main
struct APIServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver",
        abstract: "Investment index, simulation, accounts and reconciliation API over HTTP/1.1.",
        discussion: "Configuration comes from environment variables (see .env.example); any NAME may be given "
            + "as NAME_FILE, a path to a file holding the value. Command-line options override them.",
        version: "0.1.0",
        subcommands: [Serve.self, Migrate.self, Refresh.self, Backup.self, Restore.self, User.self, Demo.self, ShowConfig.self, Jobs.self],
        defaultSubcommand: Serve.self
    )

    /// One error boundary for every command: a database error is said in full (what failed,
    /// the libpq message, where it was trying to connect) with what to do, never as a bare
    /// type name, and the command exits 1 having printed nothing partial to stdout.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let e as PostgresError {
            Bootstrap.writeStderr("apiserver: \(CLIErrors.explain(e, databaseURL: Bootstrap.environment().values["DATABASE_URL"]))\n")
            Glibc.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}
