import Glibc
import SystemSupport

/// Carries out what a connection's state machine asks for: runs handlers (inline or on a
/// worker), writes, fetches stream pieces, half-closes, and finally registers the epoll
/// interest and deadline it waits on. Reads happen on readable events, within a budget.
extension EventLoop: RoutePlanner {
    func plan(_ request: Request) -> RoutePlan { ctx.app.plan(for: request) }

    func drive(_ c: Connection) {
        var written = 0
        while isOpen(c) {
            switch c.machine.next(now: now, planner: self) {
            case .dispatch(let request, let plan, let sequence):
                if let a = admission, let check = ctx.app.admissionCheck(for: request) {
                    // Runs once the service answered (or did not in time); meanwhile the loop
                    // goes on with other connections.
                    let pending = AdmissionClient.Pending(connection: c, sequence: sequence, request: request, plan: plan,
                                                          check: check, sentAt: now)
                    resolveAdmissions(a.submit(pending, loop: self).map { ($0, nil) })
                } else {
                    dispatch(c, request, plan, sequence)
                }
            case .reject(let reason, let refused, let sequence):
                if reason == .deadlineExceeded {
                    c.cancellation?.cancel()
                    c.cancellation = nil
                }
                let response = ctx.app.rejection(reason, refused)
                c.machine.respond(response, sequence: sequence, now: now, date: dates.current())
            case .write:
                guard written < limits.writeBudgetBytes else {
                    // Level-triggered: a still-writable socket wakes us again after the others
                    // had their turn.
                    c.machine.writeBlocked()
                    continue
                }
                let n = writeSome(c)
                if n > 0 {
                    c.machine.wrote(n, now: now)
                    written += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    c.machine.writeBlocked()
                } else {
                    closeConnection(c)
                }
            case .startStream(let stream, let sequence):
                startStream(c, stream, sequence)
            case .discardStream(let stream):
                stream.cancel()
            case .pullStream(let stream, let sequence):
                switch stream.take() {
                case .bytes(let bytes): c.machine.piece(bytes, sequence: sequence, now: now)
                case .empty: c.machine.streamDry()
                case .finished: c.machine.piece(nil, sequence: sequence, now: now)
                case .failed:
                    ctx.logger.error("response stream failed; closing the connection", metadata: ["client": "\(c.machine.remoteAddress)"])
                    c.machine.streamFailed(sequence: sequence)
                }
            case .shutdownWrite:
                shutdown(c.fd, Int32(SHUT_WR))
            case .close:
                closeConnection(c)
            case .wait(let readable, let writable, let deadline):
                var mask: UInt32 = 0
                if readable { mask |= Epoll.readable }
                if writable { mask |= Epoll.writable }
                if mask != c.interest {
                    epoll.modify(c.fd, mask)
                    c.interest = mask
                }
                schedule(c, deadline)
                return
            }
        }
    }

    /// Reads what the socket has, up to the per-wake-up budget (level-triggered epoll reports
    /// the rest on the next turn, after the other connections were served).
    func readInput(_ c: Connection) {
        var budget = limits.readBudgetBytes
        while budget > 0 {
            let want = min(scratch.count, budget)
            let n = scratch.withUnsafeMutableBytes { read(c.fd, $0.baseAddress, want) }
            if n > 0 {
                scratch.withUnsafeBytes { c.machine.received(UnsafeRawBufferPointer(rebasing: $0[0..<n]), now: now) }
                budget -= n
                if n < want { break }
            } else if n == 0 {
                c.machine.peerClosedInput()
                break
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else {
                closeConnection(c)
                return
            }
        }
    }

    /// Runs the checks the admission service answered, for connections still waiting on them.
    func resolveAdmissions(_ answered: [(AdmissionClient.Pending, [UInt8]?)]) {
        for (p, reply) in answered {
            guard isOpen(p.connection), p.connection.machine.sequence == p.sequence else { continue }
            dispatch(p.connection, p.check.resolve(p.request, reply), p.plan, p.sequence)
            drive(p.connection)
        }
    }

    func dispatch(_ c: Connection, _ request: Request, _ plan: RoutePlan, _ sequence: UInt64) {
        if draining && ctx.phase.load(ordering: .relaxed) >= 2 {
            let response = ctx.app.rejection(.shuttingDown, RefusedRequest(request: request, peer: c.machine.remoteAddress))
            c.machine.respond(response, sequence: sequence, now: now, date: dates.current())
            return
        }
        inFlight.add(1)
        if plan.runsInline {
            let response = ctx.app.respond(to: request)
            inFlight.subtract(1)
            c.machine.respond(response, sequence: sequence, now: now, date: dates.current())
            return
        }
        let token = CancellationToken()
        var request = request
        request.cancellation = token
        request.bodyStream?.attach(LoopWaker(handle: handle, fd: c.fd, connectionID: c.id, sequence: sequence))
        let app = ctx.app
        let handle = self.handle
        let fd = c.fd
        let id = c.id
        let accepted = ctx.pool.submit { [request] in
            let response = CancellationToken.withCurrent(token) { app.respond(to: request) }
            handle.post(Completion(fd: fd, connectionID: id, sequence: sequence, payload: .response(response)))
        }
        if accepted {
            c.cancellation = token
            c.runningSequence = sequence
        } else {
            inFlight.subtract(1)
            ctx.stats.workerQueueRejections.add(1, ordering: .relaxed)
            let response = app.rejection(.overloaded, RefusedRequest(request: request, peer: c.machine.remoteAddress))
            c.machine.respond(response, sequence: sequence, now: now, date: dates.current())
        }
    }

    /// Connects a response stream to this loop and runs its producer, if it has one, on a
    /// stream thread (never a request worker: it waits there while its reader is slow). A producer that throws fails the stream (the body is cut short visibly); one
    /// that returns without finishing finishes it.
    private func startStream(_ c: Connection, _ stream: ResponseStream, _ sequence: UInt64) {
        stream.attach(LoopWaker(handle: handle, fd: c.fd, connectionID: c.id, sequence: sequence))
        guard let producer = stream.producer else { return }
        let logger = ctx.logger
        let accepted = ctx.streams.submit {
            do {
                try producer(stream)
                stream.finish()
            } catch is ResponseStream.Cancelled {
                // The client went away; nothing to report.
            } catch {
                logger.error("response stream producer failed", metadata: ["error": "\(error)"])
                stream.fail()
            }
        }
        if !accepted { stream.fail() }
    }

    /// Writes from the first one or two chunks of the output with a single writev.
    private func writeSome(_ c: Connection) -> Int {
        let chunks = c.machine.output.chunks
        let offset = c.machine.output.offset
        return chunks[0].withUnsafeBytes { a -> Int in
            let first = iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress! + offset), iov_len: a.count - offset)
            guard chunks.count > 1 else {
                return Glibc.write(c.fd, first.iov_base, first.iov_len)
            }
            return chunks[1].withUnsafeBytes { b -> Int in
                var iov = (first, iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress!), iov_len: b.count))
                return withUnsafePointer(to: &iov) {
                    $0.withMemoryRebound(to: iovec.self, capacity: 2) { writev(c.fd, $0, 2) }
                }
            }
        }
    }
}
