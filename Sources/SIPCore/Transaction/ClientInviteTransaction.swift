/// INVITE client transaction (RFC 3261 §17.1.1, Figure 5, as updated by
/// RFC 6026: 2xx moves to Accepted and further 2xx go to the TU).
public struct ClientInviteTransaction: Sendable {
    public enum State: Sendable, Equatable { case idle, calling, proceeding, completed, accepted, terminated }

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
            state = .calling
            var actions: [TransactionAction] = [.send(request), .startTimer(.b, timers.clientTransactionTimeout)]
            if !reliable { actions.append(.startTimer(.a, interval)) }
            return actions

        case (.calling, .timerFired(.a)):
            interval = interval * 2
            return [.send(request), .startTimer(.a, interval)]

        case (.calling, .timerFired(.b)):
            state = .terminated
            return [.cancelTimer(.a), .timeout, .terminated]

        case (.calling, .transportError(let why)), (.proceeding, .transportError(let why)):
            state = .terminated
            return [.cancelTimer(.a), .cancelTimer(.b), .transportError(why), .terminated]

        case (.calling, .received(let r)), (.proceeding, .received(let r)):
            guard let code = r.statusCode else { return [] }
            switch code {
            case 100..<200:
                state = .proceeding
                return [.cancelTimer(.a), .passToTU(r)]
            case 200..<300:
                state = .accepted
                return [.cancelTimer(.a), .cancelTimer(.b), .passToTU(r), .startTimer(.m, timers.transactionTimeout)]
            default:
                state = .completed
                var actions: [TransactionAction] = [.cancelTimer(.a), .cancelTimer(.b), .send(ack(for: r)), .passToTU(r)]
                if reliable {
                    state = .terminated
                    actions.append(.terminated)
                } else {
                    actions.append(.startTimer(.d, max(.seconds(32), timers.transactionTimeout)))
                }
                return actions
            }

        case (.completed, .received(let r)):
            // A retransmitted final response: the ACK was lost, send it again.
            guard let code = r.statusCode, code >= 300 else { return [] }
            return [.send(ack(for: r))]

        case (.completed, .timerFired(.d)), (.accepted, .timerFired(.m)):
            state = .terminated
            return [.terminated]

        case (.accepted, .received(let r)):
            guard let code = r.statusCode, (200..<300).contains(code) else { return [] }
            return [.passToTU(r)]

        default:
            return []
        }
    }

    /// The ACK for a non-2xx final response (RFC 3261 §17.1.1.3): same
    /// Request-URI, Call-ID, From, top Via and Route as the INVITE, To from
    /// the response, CSeq number with method ACK.
    public func ack(for response: SIPMessage) -> SIPMessage {
        var h = SIPHeaders()
        if let via = request.headers.values(.via).first { h.append(.via, via) }
        h.append(.maxForwards, "70")
        if let from = request.headers[.from] { h.append(.from, from) }
        if let to = response.headers[.to] { h.append(.to, to) }
        if let callID = request.headers[.callID] { h.append(.callID, callID) }
        let number = (try? request.cseq.number) ?? 1
        h.append(.cseq, "\(number) ACK")
        for route in request.headers.lines(.route) { h.append(.route, route) }
        return SIPMessage.request(.ack, uri: request.requestLine!.uri, headers: h)
    }
}
