/// How a body channel tells the loop that owns its connection that there is something to do
/// (bytes to send, room to read into). Set by the loop when it attaches the channel.
struct LoopWaker: Sendable {
    let handle: LoopHandle
    let fd: Int32
    let connectionID: UInt64
    let sequence: UInt64

    func wake() {
        handle.post(Completion(fd: fd, connectionID: connectionID, sequence: sequence, payload: .channelReady))
    }
}
