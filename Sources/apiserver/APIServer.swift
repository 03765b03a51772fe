import ArgumentParser

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
}
