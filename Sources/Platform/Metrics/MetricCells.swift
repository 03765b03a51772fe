import Synchronization

/// One series of a counter whose value only grows by whole numbers, updated without a lock.
/// Hot paths resolve a cell once (`Counter.cell(labels)`) and then only add to it.
public final class CounterCell: Sendable {
    let value = Atomic<UInt64>(0)
    public func inc(by n: UInt64 = 1) { value.add(n, ordering: .relaxed) }
}

/// One series of a histogram, updated without a lock: a count per bucket and the sum in
/// nanounits (exact for durations in seconds down to the nanosecond).
public final class HistogramCell: Sendable {
    let bounds: [Double]
    /// One per bucket (Atomic cannot live in an array), the last for values above every bound.
    let counts: [CounterCell]
    let count = Atomic<UInt64>(0)
    let sumNanos = Atomic<Int64>(0)

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = (0...bounds.count).map { _ in CounterCell() }
    }

    public func observe(_ value: Double) {
        var index = bounds.count
        for (i, b) in bounds.enumerated() where value <= b {
            index = i
            break
        }
        counts[index].inc()
        count.add(1, ordering: .relaxed)
        if value.isFinite && abs(value) < 9e9 { sumNanos.add(Int64(value * 1e9), ordering: .relaxed) }
    }
}
