import Synchronization

/// Process-wide lifecycle flags that readiness reports.
public final class Lifecycle: Sendable {
    private let drainingFlag = Atomic<Bool>(false)
    public let startTime = ProcessMetrics.wallClockSeconds()

    public init() {}

    public var isDraining: Bool { drainingFlag.load(ordering: .acquiring) }
    public func beginDraining() { drainingFlag.store(true, ordering: .releasing) }
}

/// A dependency readiness depends on. The database joins with its own check.
public protocol ReadinessCheck: Sendable {
    var name: String { get }
    /// nil when healthy, else a short reason safe to show an operator.
    func problem() -> String?
}
