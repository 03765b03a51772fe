// Accounts micro-benchmarks for scripts/bench-accounts (not part of the product).
//   accountsbench hash [LOG_N]   scrypt password hash time (median of 10)
//   accountsbench token [N]      access-token issue and verification time (median of N)
import Accounts
import Foundation
import Glibc

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let args = CommandLine.arguments
switch args.count > 1 ? args[1] : "" {
case "hash":
    let logN = args.count > 2 ? Int(args[2]) ?? 15 : 15
    let hasher = PasswordHasher(logN: logN, r: 8, p: 1)
    let stored = try hasher.hash("correct horse battery staple")
    var times: [Double] = []
    for _ in 0..<10 {
        let start = now()
        precondition(hasher.verify("correct horse battery staple", against: stored))
        times.append(now() - start)
    }
    times.sort()
    print("scrypt N=2^\(logN) r=8 p=1: median \(String(format: "%.1f", times[5] * 1000)) ms per hash (\(String(format: "%.1f", 1 / times[5])) per second per core)")
case "token":
    let n = args.count > 2 ? Int(args[2]) ?? 100_000 : 100_000
    let tokens = AccessTokens(keys: [AccessTokens.Key(secret: Array("0123456789abcdef0123456789abcdef".utf8))], issuer: "apiserver",
                              audience: "apiserver-api", lifetimeSeconds: 900)
    let t = Int(Date().timeIntervalSince1970)
    var start = now()
    var token = ""
    for i in 0..<n { token = tokens.issue(subject: "u\(i % 10)", role: "user", session: "s", now: t) }
    let issue = (now() - start) / Double(n)
    start = now()
    var ok = 0
    for _ in 0..<n { if case .success = tokens.verify(token, now: t) { ok += 1 } }
    let verify = (now() - start) / Double(n)
    precondition(ok == n)
    print("access token: issue \(String(format: "%.1f", issue * 1e6)) us, verify \(String(format: "%.1f", verify * 1e6)) us (mean of \(n))")
default:
    print("usage: accountsbench hash [LOG_N] | token [N]")
    exit(2)
}
