import Foundation

/// One generated transaction; amounts in 1e-4 units, dates as day numbers.
public struct SyntheticRecord: Sendable {
    public var id: String
    public var day: Int32
    public var amount: Int64
    public var currency: String
    public var reference: String?
    public var description: String?
    public var counterparty: String?
    /// The scenario that made it (for diagnosing misses).
    public var scenario = ""
}

/// A generated reconciliation problem with its known answer.
public struct SyntheticDataset: Sendable {
    public var left: [SyntheticRecord]
    public var right: [SyntheticRecord]
    /// Every true (left id, right id) pair; a group contributes each of its left x right pairs.
    public var truth: Set<Pair>
    /// How many of each scenario went in.
    public var scenarios: [String: Int]

    public struct Pair: Hashable, Sendable {
        public var left: String
        public var right: String
        public init(_ left: String, _ right: String) { self.left = left; self.right = right }
    }
}

/// Deterministic 64-bit generator (SplitMix64), so a seed gives the same data everywhere.
struct SeededRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
    /// An amount in cents (as 1e-4 units), log-uniform between `low` and `high` currency units.
    mutating func amount(_ low: Double, _ high: Double) -> Int64 {
        let u = Double(next() >> 11) / Double(1 << 53)
        let value = low * pow(high / low, u)
        return Int64((value * 100).rounded()) * 100
    }
}
