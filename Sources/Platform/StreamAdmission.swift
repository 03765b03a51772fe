import Synchronization

/// How many streamed responses may be open at once, in all and per principal: each holds a
/// stream thread and a stream connection for as long as its reader takes, so a user with ten
/// slow readers gets two streams and 429s, and a full house gets 503, instead of anyone's
/// requests waiting. A slot is taken before the response starts and given back once, when
/// the producer ends or the stream is discarded.
public final class StreamAdmission: Sendable {
    public let total: Int
    public let perPrincipal: Int
    private let open = Mutex<(all: Int, by: [String: Int])>((0, [:]))

    public init(total: Int, perPrincipal: Int) {
        self.total = total
        self.perPrincipal = perPrincipal
    }

    /// A slot for `principal`'s stream, or the error to answer with.
    public func admit(_ principal: String) throws -> Slot {
        let outcome: AppError? = open.withLock { state in
            if state.by[principal, default: 0] >= perPrincipal {
                return AppError(.rateLimited, "\(perPrincipal) streamed responses of yours are still being read; finish one first",
                                headers: [("Retry-After", "1")])
            }
            if state.all >= total {
                return AppError(.serviceUnavailable, "Every stream is busy; retry shortly", headers: [("Retry-After", "1")])
            }
            state.all += 1
            state.by[principal, default: 0] += 1
            return nil
        }
        if let outcome { throw outcome }
        return Slot(admission: self, principal: principal)
    }

    public var inUse: Int { open.withLock { $0.all } }

    fileprivate func release(_ principal: String) {
        open.withLock { state in
            state.all -= 1
            let left = state.by[principal, default: 1] - 1
            state.by[principal] = left > 0 ? left : nil
        }
    }

    /// One admitted stream; `release` gives it back (once, however often it is called).
    public final class Slot: Sendable {
        let admission: StreamAdmission
        let principal: String
        private let released = Atomic<Bool>(false)

        init(admission: StreamAdmission, principal: String) {
            self.admission = admission
            self.principal = principal
        }

        public func release() {
            if !released.exchange(true, ordering: .acquiringAndReleasing) { admission.release(principal) }
        }
    }
}
