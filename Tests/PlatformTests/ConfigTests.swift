import Testing
import Platform
import Glibc

@Suite struct ConfigTests {
    func load(_ values: [String: String]) throws -> AppConfig { try AppConfig.load(from: Environment(values)) }

    func failure(_ values: [String: String]) -> ConfigError? {
        do {
            _ = try load(values)
            return nil
        } catch let e as ConfigError {
            return e
        } catch {
            return nil
        }
    }

    @Test func defaults() throws {
        let c = try load([:])
        #expect(c.environment == .development)
        #expect(c.server.host == "127.0.0.1" && c.server.port == 8080)
        #expect(c.server.limits.maxBodyBytes == 10 * 1024 * 1024)
        #expect(c.server.limits.headerTimeoutMs == 10_000 && c.server.limits.keepAliveTimeoutMs == 60_000)
        #expect(c.shutdownTimeoutMs == 10_000)
        #expect(c.rateLimit.defaultPolicy.ratePerSecond == 10 && c.rateLimit.defaultPolicy.burst == 20)
    }

    @Test func valuesAndDurations() throws {
        let c = try load(["PORT": "9000", "HEADER_TIMEOUT": "1500ms", "KEEPALIVE_TIMEOUT": "2m", "SHUTDOWN_TIMEOUT": "3",
                          "LOG_LEVEL": "DEBUG", "CORS_ALLOWED_ORIGINS": "https://a.example, http://localhost:3000",
                          "RATE_LIMIT_GROUPS": "auth=/api/v1/auth:1:5,admin=/admin:0.5:2", "TRUSTED_PROXIES": "10.0.0.0/8, ::1"])
        #expect(c.server.port == 9000)
        #expect(c.server.limits.headerTimeoutMs == 1500 && c.server.limits.keepAliveTimeoutMs == 120_000)
        #expect(c.shutdownTimeoutMs == 3000)
        #expect(c.logLevel == .debug)
        #expect(c.cors.allowedOrigins == ["https://a.example", "http://localhost:3000"])
        #expect(c.rateLimit.groups.map(\.name) == ["auth", "admin"])
        #expect(c.trustedProxies.count == 2)
    }

    @Test(arguments: [
        ("PORT", "http"), ("PORT", "70000"), ("HTTP_THREADS", "-1"), ("MAX_BODY_BYTES", "lots"),
        ("HEADER_TIMEOUT", "soon"), ("HEADER_TIMEOUT", "0s"), ("LOG_LEVEL", "loud"), ("LOG_FORMAT", "xml"),
        ("APP_ENV", "staging"), ("CORS_ALLOWED_ORIGINS", "https://a.example/path"), ("RATE_LIMIT_RPS", "0"),
        ("RATE_LIMIT_GROUPS", "auth=/x:1"), ("RATE_LIMIT_GROUPS", "=/x:1:1"), ("TRUSTED_PROXIES", "10.0.0.0/33"),
        ("ENABLE_TEST_ROUTES", "maybe"), ("GZIP_LEVEL", "11"),
    ])
    func invalidValuesNameTheVariable(name: String, value: String) {
        let e = failure([name: value])
        #expect(e?.variable == name, "\(name)=\(value) gave \(String(describing: e))")
    }

    @Test func productionRefusesUnsafeSettings() {
        #expect(failure(["APP_ENV": "production", "CORS_ALLOWED_ORIGINS": "*"])?.variable == "CORS_ALLOWED_ORIGINS")
        #expect(failure(["APP_ENV": "production", "ENABLE_TEST_ROUTES": "true"])?.variable == "ENABLE_TEST_ROUTES")
        #expect(failure(["APP_ENV": "production", "RATE_LIMIT_ENABLED": "false"])?.variable == "RATE_LIMIT_ENABLED")
        #expect(failure(["APP_ENV": "production", "ADMIN_API_TOKEN": String(repeating: "t", count: 40)])?.variable == "DATABASE_URL",
                "no quiet fallback to the local development cluster")
        #expect(failure(["APP_ENV": "development", "CORS_ALLOWED_ORIGINS": "*"]) == nil)
        #expect(failure(["CORS_ALLOWED_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "true"])?.variable == "CORS_ALLOW_CREDENTIALS")
    }

    @Test func fileVariantReadsSecretFiles() throws {
        let path = "/tmp/apiserver-config-test-\(getpid())"
        let f = fopen(path, "w")!
        fputs("9123\n", f)
        fclose(f)
        defer { unlink(path) }
        #expect(try load(["PORT_FILE": path]).server.port == 9123)
        #expect(try load(["PORT": "9000", "PORT_FILE": path]).server.port == 9000, "the plain variable wins")
        #expect(failure(["PORT_FILE": "/nonexistent/secret"])?.variable == "PORT_FILE")
    }
}
