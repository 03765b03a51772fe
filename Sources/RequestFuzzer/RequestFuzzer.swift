// libFuzzer entry point for the request parser and body decoders, built by scripts/fuzz from
// the real HTTPServer module with AddressSanitizer (-D FUZZING: libFuzzer supplies main), so
// any over-read of the buffer crashes. The input is split in two at a position taken from its
// first byte, to exercise resumption as well as whole-buffer parsing. Built normally, it is a
// replayer: `RequestFuzzer FILE...` runs each input once (a crash file, the corpus).
// It reaches the parser's internals, so it builds only where HTTPServer is testable: debug
// builds and scripts/fuzz (which passes -enable-testing); a plain release build gets a stub.
#if FUZZING || DEBUG
@testable import HTTPServer
#if !FUZZING
import Foundation
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let split = Int(bytes[0]) % max(1, bytes.count)
    let input = Array(bytes.dropFirst())
    var limits = HTTPLimits()
    limits.maxBodyBytes = 1 << 16
    let whole = run([input], limits)
    let pieces = run([Array(input.prefix(split)), Array(input.dropFirst(split))], limits)
    // However the bytes arrive, the outcome must be the same.
    if whole != pieces { fatalError("split changed the outcome: \(whole) vs \(pieces)") }
    return 0
}

private func run(_ chunks: [[UInt8]], _ limits: HTTPLimits) -> [String] {
    var assembler = RequestAssembler(limits: limits)
    var buffer: [UInt8] = []
    var outcomes: [String] = []
    outer: for chunk in chunks {
        buffer.append(contentsOf: chunk)
        while !buffer.isEmpty {
            let step = buffer.withUnsafeBufferPointer { p in
                assembler.feed(p, start: 0, end: p.count) { _ in RoutePlan(runsInline: false) }
            }
            switch step {
            case .needMore(let consumed, _):
                buffer.removeFirst(consumed)
                continue outer
            case .request(let head, let body, _, let consumed):
                buffer.removeFirst(consumed)
                outcomes.append("\(head.method) \(head.path) \(body.count)")
            case .failed(let e, _):
                outcomes.append("error \(e.status.code)")
                break outer
            }
        }
    }
    return outcomes
}

#if FUZZING
import Glibc

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// SwiftPM gives an executable its own entry point, so libFuzzer's main is not used: this one
/// hands control to libFuzzer's driver.
@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            guard let data, size > 0 else { return 0 }
            return fuzzRequest(UnsafeRawPointer(data), size)
        })
    }
}
#else
@main
enum Replayer {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            _ = bytes.withUnsafeBytes { fuzzRequest($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
            print("ok \(path)")
        }
    }
}
#endif
#else
@main
enum Replayer {
    static func main() { print("RequestFuzzer: build it with scripts/fuzz, or in debug to replay inputs") }
}
#endif
