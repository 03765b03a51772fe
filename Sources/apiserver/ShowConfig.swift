import ArgumentParser
import AppAssembly
import Platform
import Postgres

struct ShowConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration (every variable of the core and the features) with secrets redacted.",
        discussion: "Validates it as `serve` would: an invalid value exits with 78 and names the variable. "
            + "Each line: NAME=value  (env | file | default).")

    func run() throws {
        let environment = Bootstrap.environment()
        let config = try Bootstrap.configuration(environment)
        // Features validate their own sections when built; building needs no database connection.
        let services = try Bootstrap.services(config, environment, Bootstrap.quietLogger())
        _ = try Bootstrap.exitingOnConfigError { try AppAssembly.build(services) }
        for line in ConfigListing.lines(AppAssembly.configVariables, environment: environment) { print(line) }
    }
}

/// The lines of `apiserver config`.
enum ConfigListing {
    static func lines(_ variables: [ConfigVariable], environment: Environment) -> [String] {
        variables.map { v in
            let direct = environment.values[v.name].flatMap { $0.isEmpty ? nil : $0 }
            let viaFile = direct == nil && !(environment.values[v.name + "_FILE"] ?? "").isEmpty
            let value = (try? environment.value(v.name)) ?? nil
            let source = direct != nil ? "env" : viaFile ? "file" : "default"
            let shown: String
            if v.secret {
                let actual = value ?? v.defaultValue
                shown = actual.isEmpty ? "" : v.name == "DATABASE_URL" ? PostgresConfiguration(url: actual).redactedURL : "****"
            } else {
                shown = value ?? v.defaultValue
            }
            return "\(v.name)=\(shown)  (\(source))"
        }
    }
}
