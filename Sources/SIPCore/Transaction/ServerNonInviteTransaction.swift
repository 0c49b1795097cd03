/// Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
public struct ServerNonInviteTransaction: Sendable {
    public enum State: Sendable, Equatable { case idle, trying, proceeding, completed, terminated }

    public private(set) var state: State = .idle
    public let request: SIPMessage
    public let reliable: Bool
    public let timers: TransactionTimers
    private var lastResponse: SIPMessage?

    public init(request: SIPMessage, reliable: Bool, timers: TransactionTimers = TransactionTimers()) {
        self.request = request
        self.reliable = reliable
        self.timers = timers
    }

    public mutating func handle(_ event: TransactionEvent) -> [TransactionAction] {
        switch (state, event) {
        case (.idle, .start):
            state = .trying
            return [.passToTU(request)]

        case (.trying, .sendResponse(let r)), (.proceeding, .sendResponse(let r)):
            guard let code = r.statusCode else { return [] }
            lastResponse = r
            if code < 200 {
                state = .proceeding
                return [.send(r)]
            }
            state = .completed
            if reliable {
                state = .terminated
                return [.send(r), .terminated]
            }
            return [.send(r), .startTimer(.j, timers.transactionTimeout)]

        case (.proceeding, .received), (.completed, .received):
            // A retransmitted request: repeat the last response.
            return lastResponse.map { [.send($0)] } ?? []

        case (.completed, .timerFired(.j)):
            state = .terminated
            return [.terminated]

        case (.trying, .transportError(let why)), (.proceeding, .transportError(let why)), (.completed, .transportError(let why)):
            state = .terminated
            return [.cancelTimer(.j), .transportError(why), .terminated]

        default:
            return []
        }
    }
}
