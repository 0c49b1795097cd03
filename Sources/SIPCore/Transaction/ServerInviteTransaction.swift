/// INVITE server transaction (RFC 3261 §17.2.1, Figure 7, with RFC 6026's
/// Accepted state: 2xx retransmissions belong to the TU, the transaction
/// absorbs INVITE retransmissions until Timer L).
public struct ServerInviteTransaction: Sendable {
    public enum State: Sendable, Equatable { case idle, proceeding, completed, confirmed, accepted, terminated }

    public private(set) var state: State = .idle
    public let request: SIPMessage
    public let reliable: Bool
    public let timers: TransactionTimers
    private var lastResponse: SIPMessage?
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
            state = .proceeding
            // 100 Trying at once, so the peer stops retransmitting (§17.2.1).
            let trying = SIPResponseBuilder.response(to: request, code: 100, reason: "Trying")
            lastResponse = trying
            return [.send(trying), .passToTU(request)]

        case (.proceeding, .received(let r)):
            guard r.method == .invite else { return [] }
            return lastResponse.map { [.send($0)] } ?? []

        case (.proceeding, .sendResponse(let r)):
            guard let code = r.statusCode else { return [] }
            lastResponse = r
            switch code {
            case 100..<200:
                return [.send(r)]
            case 200..<300:
                state = .accepted
                return [.send(r), .startTimer(.l, timers.transactionTimeout)]
            default:
                state = .completed
                var actions: [TransactionAction] = [.send(r), .startTimer(.h, timers.transactionTimeout)]
                if !reliable { actions.append(.startTimer(.g, interval)) }
                return actions
            }

        case (.completed, .timerFired(.g)):
            interval = min(interval * 2, timers.t2)
            return lastResponse.map { [.send($0), .startTimer(.g, interval)] } ?? []

        case (.completed, .timerFired(.h)):
            state = .terminated
            return [.cancelTimer(.g), .timeout, .terminated]

        case (.completed, .received(let r)):
            if r.method == .ack {
                state = .confirmed
                if reliable {
                    state = .terminated
                    return [.cancelTimer(.g), .cancelTimer(.h), .terminated]
                }
                return [.cancelTimer(.g), .cancelTimer(.h), .startTimer(.i, timers.t4)]
            }
            return lastResponse.map { [.send($0)] } ?? []

        case (.confirmed, .timerFired(.i)), (.accepted, .timerFired(.l)):
            state = .terminated
            return [.terminated]

        case (.accepted, .sendResponse(let r)):
            // TU retransmits its 2xx itself (RFC 6026 §8.7).
            guard let code = r.statusCode, (200..<300).contains(code) else { return [] }
            return [.send(r)]

        case (.accepted, .received(let r)):
            // ACK for the 2xx goes to the TU; INVITE retransmissions are absorbed.
            return r.method == .ack ? [.passToTU(r)] : []

        case (.proceeding, .transportError(let why)), (.completed, .transportError(let why)):
            state = .terminated
            return [.cancelTimer(.g), .cancelTimer(.h), .transportError(why), .terminated]

        default:
            return []
        }
    }
}
