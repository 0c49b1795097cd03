/// RFC 3261 §17 timer base values (Table 4), configurable per deployment.
public struct TransactionTimers: Sendable, Hashable {
    /// RTT estimate (default 500 ms).
    public var t1: Duration
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses (default 4 s).
    public var t2: Duration
    /// Maximum time a message remains in the network (default 5 s).
    public var t4: Duration
    /// How long a client transaction waits for a final response (timers B
    /// and F); nil = 64·T1. Genesys `policy.endpoint.sip_transaction_timeout`:
    /// a dead or silent server is given up on this quickly, so the next
    /// RFC 3263 target or the other site gets the request.
    public var clientTimeout: Duration?

    public init(t1: Duration = .milliseconds(500), t2: Duration = .seconds(4), t4: Duration = .seconds(5), clientTimeout: Duration? = nil) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
        self.clientTimeout = clientTimeout
    }

    /// 64·T1: timers H, J, L, M (and B, F unless `clientTimeout` is set).
    public var transactionTimeout: Duration { t1 * 64 }

    /// Timers B and F.
    public var clientTransactionTimeout: Duration { clientTimeout ?? transactionTimeout }
}

/// The RFC 3261 / RFC 6026 timer names.
public enum TransactionTimer: String, Sendable, Hashable, CaseIterable {
    case a = "A", b = "B", d = "D", e = "E", f = "F", g = "G", h = "H", i = "I", j = "J", k = "K", l = "L", m = "M"
}

/// What a transaction state machine asks its driver to do.
public enum TransactionAction: Sendable, Equatable {
    /// Send (or retransmit) this message to the transaction's peer.
    case send(SIPMessage)
    case startTimer(TransactionTimer, Duration)
    case cancelTimer(TransactionTimer)
    /// Hand a response (client) or request (server) to the transaction user.
    case passToTU(SIPMessage)
    /// Timer B/F/H fired: no (final) answer in time.
    case timeout
    /// The transport failed to send; the reason is for the TU and the log.
    case transportError(SIPTransportFailure)
    /// The transaction is over; the driver forgets it.
    case terminated
}

/// Events fed to a transaction state machine.
public enum TransactionEvent: Sendable, Equatable {
    /// Start: send the request (client) or process the first request (server).
    case start
    /// A message from the network that matched this transaction.
    case received(SIPMessage)
    /// The TU sends a response (server transactions only).
    case sendResponse(SIPMessage)
    case timerFired(TransactionTimer)
    case transportError(SIPTransportFailure)
}
