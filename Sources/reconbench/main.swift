import Foundation
import Reconciliation
import ReconciliationFixtures

// Matcher quality and speed on generated data with known truth (scripts/bench-reconciliation).
// usage: reconbench [records per side ...]
//        reconbench write DIR N   (ledger.csv, bank.csv and truth.csv for the end-to-end benchmark)
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "write", arguments.count == 3, let n = Int(arguments[2]) {
    let data = SyntheticGenerator.make(count: n, seed: 20_261_201)
    let dir = arguments[1]
    _ = FileManager.default.createFile(atPath: dir + "/ledger.csv", contents: Data(SyntheticCSV.ledger(data.left)))
    _ = FileManager.default.createFile(atPath: dir + "/bank.csv", contents: Data(SyntheticCSV.bank(data.right)))
    let truth = "left_id,right_id\n" + data.truth.map { "\($0.left),\($0.right)" }.sorted().joined(separator: "\n") + "\n"
    _ = FileManager.default.createFile(atPath: dir + "/truth.csv", contents: Data(truth.utf8))
    print("wrote \(data.left.count) ledger and \(data.right.count) bank records, \(data.truth.count) true pairs, to \(dir)")
    exit(0)
}
//        reconbench parse FILE ledger|bank   (the upload reader's speed, no database)
if arguments.first == "parse", arguments.count == 3, let bytes = FileManager.default.contents(atPath: arguments[1]) {
    let ledger = SourceSettings.Mapping(id: "id", date: "date", amount: "amount", currency: "currency", reference: "reference",
                                        description: "description", counterparty: "counterparty")
    let bank = SourceSettings.Mapping(id: "Txn ID", date: "Booking Date", debit: "Debit", credit: "Credit", currency: "Currency",
                                      reference: "Reference", description: "Details", counterparty: "Counterparty")
    var reader = UploadReader(settings: SourceSettings(mapping: arguments[2] == "bank" ? bank : ledger), fileTag: "bench")
    let all = [UInt8](bytes)
    let start = Date()
    var rows = 0
    var i = 0
    while i < all.count {
        try reader.feed(Array(all[i..<min(all.count, i + 65_536)])) { _ in rows += 1 }
        i += 65_536
    }
    try reader.finish { _ in rows += 1 }
    let seconds = Date().timeIntervalSince(start)
    print("parsed \(rows) rows (\(reader.issueCount) bad) of \(all.count / 1_000_000) MB in \(String(format: "%.3f", seconds)) s: \(Int(Double(rows) / seconds)) rows/s")
    exit(0)
}
//        reconbench devset DIR[,DIR...] OUT.json   (../shared/recon-dev sets, matched in process)
if arguments.first == "devset", arguments.count == 3 {
    try DevSet.run(directories: arguments[1].split(separator: ",").map(String.init), output: arguments[2])
    exit(0)
}
let sizes = arguments.compactMap { Int($0) }
for n in sizes.isEmpty ? [10_000, 100_000] : sizes {
    let t0 = Date()
    let data = SyntheticGenerator.make(count: n, seed: 20_261_201)
    let t1 = Date()
    let threshold = ProcessInfo.processInfo.environment["THRESHOLD"].flatMap(Double.init) ?? Matcher.defaultThreshold
    let outcome = try Matcher(threshold: threshold).run(left: data.leftInputs, right: data.rightInputs)
    let t2 = Date()
    let e = MatchEvaluation(outcome: outcome, dataset: data)
    if ProcessInfo.processInfo.environment["MODEL"] != nil { DevSet.printModel(outcome.model) }
    print("== \(data.left.count) left x \(data.right.count) right (generated in \(String(format: "%.2f", t1.timeIntervalSince(t0))) s)")
    print("matched in \(String(format: "%.2f", t2.timeIntervalSince(t1))) s; \(outcome.candidatePairs) candidate pairs; \(outcome.matches.count) matches; unmatched \(outcome.unmatchedLeft.count) left, \(outcome.unmatchedRight.count) right; ambiguous \(outcome.ambiguous)")
    print(e, terminator: "")
    if ProcessInfo.processInfo.environment["MISSES"] != nil {
        var predicted = Set<SyntheticDataset.Pair>()
        for m in outcome.matches { for l in m.left { for r in m.right { predicted.insert(.init(data.left[l].id, data.right[r].id)) } } }
        var missed: [String: Int] = [:]
        let leftByID = Dictionary(uniqueKeysWithValues: data.left.map { ($0.id, $0) })
        let rightByID = Dictionary(uniqueKeysWithValues: data.right.map { ($0.id, $0) })
        for t in data.truth where !predicted.contains(t) { missed[leftByID[t.left]!.scenario, default: 0] += 1 }
        print("missed true pairs by scenario: \(missed.sorted { $0.key < $1.key })")
        for t in data.truth.sorted(by: { $0.left < $1.left }).prefix(4000) where !predicted.contains(t) && ["pair", "recurring", "payroll"].contains(leftByID[t.left]!.scenario) {
            let a = leftByID[t.left]!, b = rightByID[t.right]!
            print("  \(a.scenario): \(a.day) \(a.amount) \(a.reference ?? "-") | \(a.counterparty ?? "-")  <->  \(b.day) \(b.amount) \(b.reference ?? "-") \(b.description ?? "-") | \(b.counterparty ?? "-")")
        }
    }
    print("scenarios: \(data.scenarios.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
}
