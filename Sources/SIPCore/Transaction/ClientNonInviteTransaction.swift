/// Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
public struct ClientNonInviteTransaction: Sendable {
    public enum State: Sendable, Equatable { case idle, trying, proceeding, completed, terminated }

    public private(set) var state: State = .idle
    public let request: SIPMessage
    public let reliable: Bool
    public let timers: TransactionTimers
    private var interval: Duration

    public init(request: SIPMessage, reliable: Bool, timers: TransactionTimers = TransactionTimers()) {
        self.request = request
        self.reliable = reliable
        self.timers = timers
        self.interval = timers.t1
    }

    public mutating func handle(_ event: TransactionEvent) -> [TransactionAction] {
        switch (state, event) {
        case (.idle, .start):
            state = .trying
            var actions: [TransactionAction] = [.send(request), .startTimer(.f, timers.clientTransactionTimeout)]
            if !reliable { actions.append(.startTimer(.e, interval)) }
            return actions

        case (.trying, .timerFired(.e)), (.proceeding, .timerFired(.e)):
            // Trying doubles up to T2; Proceeding retransmits every T2.
            interval = state == .trying ? min(interval * 2, timers.t2) : timers.t2
            return [.send(request), .startTimer(.e, interval)]

        case (.trying, .timerFired(.f)), (.proceeding, .timerFired(.f)):
            state = .terminated
            return [.cancelTimer(.e), .timeout, .terminated]

        case (.trying, .transportError(let why)), (.proceeding, .transportError(let why)):
            state = .terminated
            return [.cancelTimer(.e), .cancelTimer(.f), .transportError(why), .terminated]

        case (.trying, .received(let r)), (.proceeding, .received(let r)):
            guard let code = r.statusCode else { return [] }
            if code < 200 {
                state = .proceeding
                return [.passToTU(r)]
            }
            state = .completed
            var actions: [TransactionAction] = [.cancelTimer(.e), .cancelTimer(.f), .passToTU(r)]
            if reliable {
                state = .terminated
                actions.append(.terminated)
            } else {
                actions.append(.startTimer(.k, timers.t4))
            }
            return actions

        case (.completed, .timerFired(.k)):
            state = .terminated
            return [.terminated]

        default:
            // Retransmitted responses in Completed, stray timers: absorbed.
            return []
        }
    }
}
