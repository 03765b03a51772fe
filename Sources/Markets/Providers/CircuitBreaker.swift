/// A circuit breaker as a value type driven by an explicit clock (tests use a manual one):
/// closed until `threshold` consecutive failures, then open (calls fail fast) for `coolDownMs`,
/// then half-open: one trial call decides between closed and open again.
struct CircuitBreaker: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: Int64)
        case halfOpen(trialInFlight: Bool)
    }

    let threshold: Int
    let coolDownMs: Int64
    private(set) var state = State.closed(failures: 0)

    init(threshold: Int = 5, coolDownMs: Int64 = 60_000) {
        self.threshold = threshold
        self.coolDownMs = coolDownMs
    }

    /// Whether a call may go out now; moves open -> half-open once the cool-down passed.
    mutating func allow(now: Int64) -> Bool {
        switch state {
        case .closed: return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen(trialInFlight: true)
            return true
        case .halfOpen(let inFlight):
            if inFlight { return false }
            state = .halfOpen(trialInFlight: true)
            return true
        }
    }

    mutating func succeeded() { state = .closed(failures: 0) }

    mutating func failed(now: Int64) {
        switch state {
        case .closed(let failures):
            state = failures + 1 >= threshold ? .open(until: now + coolDownMs) : .closed(failures: failures + 1)
        case .halfOpen, .open:
            state = .open(until: now + coolDownMs)
        }
    }

    /// For the gauge: 0 closed, 0.5 half-open, 1 open.
    var gaugeValue: Double {
        switch state {
        case .closed: 0
        case .halfOpen: 0.5
        case .open: 1
        }
    }
}

/// API credits per minute as a sliding window of spent credits, driven by an explicit clock.
struct CreditWindow: Sendable {
    let perMinute: Int
    private(set) var spent: [(at: Int64, credits: Int)] = []

    init(perMinute: Int) { self.perMinute = perMinute }

    /// How long to wait before `credits` may be spent at `now` (0: at once).
    mutating func delay(for credits: Int, now: Int64) -> Int64 {
        spent.removeAll { now - $0.at >= 60_000 }
        var used = spent.reduce(0) { $0 + $1.credits }
        guard used + credits > perMinute else { return 0 }
        // Wait until enough of the oldest spending leaves the window.
        for s in spent {
            used -= s.credits
            if used + credits <= perMinute { return s.at + 60_000 - now }
        }
        return 60_000
    }

    mutating func spend(_ credits: Int, now: Int64) { spent.append((now, credits)) }
}
