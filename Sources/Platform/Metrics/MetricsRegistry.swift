import Synchronization

/// Metric families rendered in the Prometheus text exposition format (version 0.0.4).
/// Each family keeps its own lock; label values are part of the key, so callers must only use
/// bounded label values (route patterns, never raw paths).
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any MetricFamily]>([])
    private let collectors = Mutex<[@Sendable (inout PrometheusText) -> Void]>([])

    public init() {}

    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        register(Counter(name: name, help: help, labelNames: labels))
    }

    public func gauge(_ name: String, help: String, labels: [String] = []) -> Gauge {
        register(Gauge(name: name, help: help, labelNames: labels))
    }

    public func histogram(_ name: String, help: String, labels: [String] = [], buckets: [Double]) -> Histogram {
        register(Histogram(name: name, help: help, labelNames: labels, buckets: buckets))
    }

    /// Adds a callback that writes values computed at scrape time (process stats, pool sizes).
    public func addCollector(_ collect: @escaping @Sendable (inout PrometheusText) -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    public func render() -> [UInt8] {
        var text = PrometheusText()
        for family in families.withLock({ $0 }) { family.write(to: &text) }
        for collect in collectors.withLock({ $0 }) { collect(&text) }
        return text.bytes
    }

    private func register<F: MetricFamily>(_ family: F) -> F {
        families.withLock { list in
            precondition(!list.contains { $0.name == family.name }, "metric \(family.name) registered twice")
            list.append(family)
        }
        return family
    }
}

protocol MetricFamily: Sendable {
    var name: String { get }
    func write(to text: inout PrometheusText)
}

/// Labelled values shared by counters and gauges.
final class LabeledValues: Sendable {
    let name: String
    let help: String
    let type: String
    let labelNames: [String]
    private let values = Mutex<[[String]: Double]>([:])
    /// Lock-free series handed out to hot paths, each as one or more shards (one per thread
    /// that asked for its own); rendered summed, together with `values`.
    private let cells = Mutex<[[String]: [CounterCell]]>([:])

    init(name: String, help: String, type: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
    }

    func update(_ labelValues: [String], _ change: (inout Double) -> Void) {
        values.withLock { change(&$0[labelValues, default: 0]) }
    }

    func value(_ labelValues: [String]) -> Double {
        values.withLock { $0[labelValues] ?? 0 } + Double((cells.withLock { $0[labelValues] } ?? []).reduce(0) { $0 + $1.value.load(ordering: .relaxed) })
    }

    func cell(_ labelValues: [String]) -> CounterCell {
        cells.withLock { c in
            if let existing = c[labelValues]?.first { return existing }
            let new = CounterCell()
            c[labelValues] = [new]
            return new
        }
    }

    func shard(_ labelValues: [String]) -> CounterCell {
        let new = CounterCell()
        cells.withLock { $0[labelValues, default: []].append(new) }
        return new
    }

    func write(to text: inout PrometheusText) {
        text.header(name, help: help, type: type)
        var snapshot = values.withLock { $0 }
        for (labels, shards) in cells.withLock({ $0 }) {
            for cell in shards { snapshot[labels, default: 0] += Double(cell.value.load(ordering: .relaxed)) }
        }
        // An unlabelled metric exists from the start: rate() and alerts need the 0 sample
        // before the first event, or that first event is never seen as an increase.
        if labelNames.isEmpty && snapshot.isEmpty { snapshot[[]] = 0 }
        for (labels, v) in snapshot.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            text.sample(name, labelNames, labels, v)
        }
    }
}

public final class Counter: MetricFamily {
    private let values: LabeledValues
    var name: String { values.name }

    init(name: String, help: String, labelNames: [String]) {
        values = LabeledValues(name: name, help: help, type: "counter", labelNames: labelNames)
    }

    public func inc(_ labelValues: [String] = [], by amount: Double = 1) { values.update(labelValues) { $0 += amount } }
    public func value(_ labelValues: [String] = []) -> Double { values.value(labelValues) }
    /// The series for these labels as a lock-free cell, for hot paths (resolve once, add often).
    public func cell(_ labelValues: [String] = []) -> CounterCell { values.cell(labelValues) }
    /// A further cell of the same series for one thread alone (rendered summed with the
    /// others): threads adding to one shared cell fight over its cache line on every event.
    /// Only for callers that keep it (a per-thread cache), since every call makes a new one.
    public func shard(_ labelValues: [String] = []) -> CounterCell { values.shard(labelValues) }
    func write(to text: inout PrometheusText) { values.write(to: &text) }
}

public final class Gauge: MetricFamily {
    private let values: LabeledValues
    var name: String { values.name }

    init(name: String, help: String, labelNames: [String]) {
        values = LabeledValues(name: name, help: help, type: "gauge", labelNames: labelNames)
    }

    public func set(_ value: Double, _ labelValues: [String] = []) { values.update(labelValues) { $0 = value } }
    public func add(_ delta: Double, _ labelValues: [String] = []) { values.update(labelValues) { $0 += delta } }
    public func value(_ labelValues: [String] = []) -> Double { values.value(labelValues) }
    func write(to text: inout PrometheusText) { values.write(to: &text) }
}

public final class Histogram: MetricFamily {
    let name: String
    let help: String
    let labelNames: [String]
    let buckets: [Double]
    private let series = Mutex<[[String]: Series]>([:])
    private let cells = Mutex<[[String]: [HistogramCell]]>([:])

    struct Series {
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = buckets.sorted()
    }

    public func observe(_ value: Double, _ labelValues: [String] = []) {
        let bucketCount = buckets.count
        // First bucket whose upper bound holds the value; only that one is incremented, and
        // rendering accumulates, so an observation costs one lock and one increment.
        var index = bucketCount
        for (i, b) in buckets.enumerated() where value <= b {
            index = i
            break
        }
        series.withLock { all in
            if all[labelValues] == nil { all[labelValues] = Series(counts: [UInt64](repeating: 0, count: bucketCount + 1)) }
            all[labelValues]!.counts[index] += 1
            all[labelValues]!.sum += value
            all[labelValues]!.count += 1
        }
    }

    public func count(_ labelValues: [String] = []) -> UInt64 {
        series.withLock { $0[labelValues]?.count ?? 0 }
            + (cells.withLock { $0[labelValues] } ?? []).reduce(0) { $0 + $1.count.load(ordering: .relaxed) }
    }

    /// The series for these labels as a lock-free cell, for hot paths (resolve once, observe often).
    public func cell(_ labelValues: [String] = []) -> HistogramCell {
        cells.withLock { c in
            if let existing = c[labelValues]?.first { return existing }
            let new = HistogramCell(bounds: buckets)
            c[labelValues] = [new]
            return new
        }
    }

    /// A further cell of the same series for one thread alone; see `Counter.shard`.
    public func shard(_ labelValues: [String] = []) -> HistogramCell {
        let new = HistogramCell(bounds: buckets)
        cells.withLock { $0[labelValues, default: []].append(new) }
        return new
    }

    func write(to text: inout PrometheusText) {
        text.header(name, help: help, type: "histogram")
        var snapshot = series.withLock { $0 }
        for (labels, shards) in cells.withLock({ $0 }) {
            var s = snapshot[labels] ?? Series(counts: [UInt64](repeating: 0, count: buckets.count + 1))
            for cell in shards {
                for i in 0..<s.counts.count { s.counts[i] += cell.counts[i].value.load(ordering: .relaxed) }
                s.count += cell.count.load(ordering: .relaxed)
                s.sum += Double(cell.sumNanos.load(ordering: .relaxed)) / 1e9
            }
            snapshot[labels] = s
        }
        if labelNames.isEmpty && snapshot.isEmpty { snapshot[[]] = Series(counts: [UInt64](repeating: 0, count: buckets.count + 1)) }
        for (labels, s) in snapshot.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            var cumulative: UInt64 = 0
            for (i, b) in buckets.enumerated() {
                cumulative += s.counts[i]
                text.sample(name + "_bucket", labelNames + ["le"], labels + [PrometheusText.format(b)], Double(cumulative))
            }
            text.sample(name + "_bucket", labelNames + ["le"], labels + ["+Inf"], Double(s.count))
            text.sample(name + "_sum", labelNames, labels, s.sum)
            text.sample(name + "_count", labelNames, labels, Double(s.count))
        }
    }
}

/// Builds exposition text.
public struct PrometheusText {
    public private(set) var bytes: [UInt8] = []

    public mutating func header(_ name: String, help: String, type: String) {
        bytes.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n".utf8)
    }

    public mutating func sample(_ name: String, _ value: Double) { sample(name, [], [], value) }

    public mutating func sample(_ name: String, _ labelNames: [String], _ labelValues: [String], _ value: Double) {
        bytes.append(contentsOf: name.utf8)
        if !labelNames.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            for (i, (n, v)) in zip(labelNames, labelValues).enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(contentsOf: n.utf8)
                bytes.append(contentsOf: "=\"".utf8)
                for b in v.utf8 {
                    switch b {
                    case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
                    case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
                    case 0x0A: bytes.append(contentsOf: "\\n".utf8)
                    default: bytes.append(b)
                    }
                }
                bytes.append(UInt8(ascii: "\""))
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: Self.format(value).utf8)
        bytes.append(0x0A)
    }

    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
