import Dispatch
import Logging

/// What a client transaction tells its user.
public enum ClientTransactionResult: Sendable {
    case provisional(SIPMessage)
    case final(SIPMessage)
    case timeout
    case transportError(SIPTransportFailure)
}

/// A server transaction as its user sees it: the request, and a way to answer.
public struct ServerTransactionHandle: Sendable {
    public let request: InboundMessage
    let key: TransactionKey
    weak var layer: SIPTransactionLayer?

    /// Sends a response through the transaction (retransmissions included).
    public func respond(_ response: SIPMessage) {
        layer?.respond(key: key, response: response)
    }
}

/// Drives the transaction state machines: matches messages to
/// transactions, runs timers on the queue, and executes actions.
///
/// `@unchecked Sendable` boundary: every member is used only on `queue`.
public final class SIPTransactionLayer: @unchecked Sendable {
    enum Machine {
        case clientNonInvite(ClientNonInviteTransaction)
        case clientInvite(ClientInviteTransaction)
        case serverNonInvite(ServerNonInviteTransaction)
        case serverInvite(ServerInviteTransaction)
    }

    final class Entry {
        var machine: Machine
        let destination: TransportDestination
        let handler: ((ClientTransactionResult) -> Void)?
        init(machine: Machine, destination: TransportDestination, handler: ((ClientTransactionResult) -> Void)?) {
            self.machine = machine
            self.destination = destination
            self.handler = handler
        }
    }

    public let transport: SIPTransportLayer
    public var timers: TransactionTimers
    let logger: Logger
    private var entries: [TransactionKey: Entry] = [:]

    /// A request that starts a new server transaction.
    public var onRequest: ((ServerTransactionHandle) -> Void)?
    /// A request or response no transaction wanted (ACK for a 2xx, stray responses).
    public var onStray: ((InboundMessage) -> Void)?
    /// A request that cannot belong to any transaction (its top Via does not
    /// parse): answered statelessly by the UAS core.
    public var onUnmatchable: ((InboundMessage) -> Void)?

    /// The clock of every timer of the stack (transactions, registrations, calls).
    public let clock: TimerClock
    /// Timers A–M of every transaction, keyed by transaction and timer.
    private lazy var scheduler = TimerScheduler<TimerKey>(queue: queue, clock: clock)
    struct TimerKey: Hashable, Sendable {
        let transaction: TransactionKey
        let timer: TransactionTimer
    }

    public init(transport: SIPTransportLayer, timers: TransactionTimers, clock: TimerClock = DispatchTimerClock(), logger: Logger) {
        self.transport = transport
        self.timers = timers
        self.clock = clock
        self.logger = logger
    }

    public var queue: DispatchQueue { transport.queue }

    /// An ICMP error for a UDP destination: its client transactions fail now
    /// (RFC 3261 §17.1.4 / §18.4) rather than at Timer B/F.
    public func destinationUnreachable(_ address: SocketAddress, reason: String) {
        let affected = entries.filter { _, e in e.destination.kind == .udp && e.destination.address == address && e.handler != nil }
        for (key, _) in affected { dispatch(.transportError(SIPTransportFailure(.unreachable, reason)), to: key) }
    }

    /// A stream connection ended: every transaction that depends on it
    /// learns at once (RFC 3261 §17.1.4), instead of waiting for Timer B/F.
    public func connectionClosed(id: UInt64, remote: SocketAddress, reason: SIPTransportFailure) {
        let affected = entries.filter { _, e in
            e.destination.kind.isReliable && (e.destination.connectionID == id || (e.destination.connectionID == nil && e.destination.address == remote))
        }
        for (key, _) in affected { dispatch(.transportError(reason), to: key) }
    }
    public var count: Int { entries.count }

    /// Starts a client transaction; call on `queue`. `timers` replaces the
    /// layer's for this transaction only.
    public func sendRequest(_ request: SIPMessage, to destination: TransportDestination, timers: TransactionTimers? = nil,
                            handler: @escaping (ClientTransactionResult) -> Void) {
        let timers = timers ?? self.timers
        guard let key = TransactionKey.client(forRequest: request) else {
            handler(.transportError(SIPTransportFailure(.other, "request has no Via branch")))
            return
        }
        let reliable = destination.kind.isReliable
        let machine: Machine = request.method == .invite
            ? .clientInvite(ClientInviteTransaction(request: request, reliable: reliable, timers: timers))
            : .clientNonInvite(ClientNonInviteTransaction(request: request, reliable: reliable, timers: timers))
        let entry = Entry(machine: machine, destination: destination, handler: handler)
        entries[key] = entry
        dispatch(.start, to: key)
    }

    /// Feeds a message from the transport; call on `queue`.
    public func receive(_ inbound: InboundMessage) {
        let m = inbound.message
        if m.isRequest {
            guard let key = TransactionKey.server(for: m) else {
                if m.method == .ack { onStray?(inbound) } else { onUnmatchable?(inbound) }
                return
            }
            if entries[key] != nil {
                dispatch(.received(m), to: key)
                return
            }
            if m.method == .ack {
                onStray?(inbound) // ACK for a 2xx: belongs to the dialog, not a transaction
                return
            }
            let reliable = inbound.kind.isReliable
            let machine: Machine = m.method == .invite
                ? .serverInvite(ServerInviteTransaction(request: m, reliable: reliable, timers: timers))
                : .serverNonInvite(ServerNonInviteTransaction(request: m, reliable: reliable, timers: timers))
            entries[key] = Entry(machine: machine, destination: inbound.replyDestination, handler: nil)
            pendingInbound[key] = inbound
            dispatch(.start, to: key)
        } else {
            guard let key = TransactionKey.client(for: m), entries[key] != nil else {
                onStray?(inbound)
                return
            }
            dispatch(.received(m), to: key)
        }
    }

    private var pendingInbound: [TransactionKey: InboundMessage] = [:]

    func respond(key: TransactionKey, response: SIPMessage) {
        queue.async { [self] in
            guard entries[key] != nil else { return }
            dispatch(.sendResponse(response), to: key)
        }
    }

    private func dispatch(_ event: TransactionEvent, to key: TransactionKey) {
        guard let entry = entries[key] else { return }
        let actions: [TransactionAction]
        switch entry.machine {
        case .clientNonInvite(var t): actions = t.handle(event); entry.machine = .clientNonInvite(t)
        case .clientInvite(var t): actions = t.handle(event); entry.machine = .clientInvite(t)
        case .serverNonInvite(var t): actions = t.handle(event); entry.machine = .serverNonInvite(t)
        case .serverInvite(var t): actions = t.handle(event); entry.machine = .serverInvite(t)
        }
        for action in actions { execute(action, entry: entry, key: key) }
    }

    private func execute(_ action: TransactionAction, entry: Entry, key: TransactionKey) {
        switch action {
        case .send(let m):
            transport.send(m, to: entry.destination) { [weak self] error in
                guard let self, let error else { return }
                // Failures are reported asynchronously so actions never nest.
                self.queue.async { self.dispatch(.transportError(error), to: key) }
            }
        case .startTimer(let t, let after):
            scheduler.schedule(TimerKey(transaction: key, timer: t), after: after) { [weak self, weak entry] in
                guard let self, let entry, self.entries[key] === entry else { return }
                self.dispatch(.timerFired(t), to: key)
            }
        case .cancelTimer(let t):
            scheduler.cancel(TimerKey(transaction: key, timer: t))
        case .passToTU(let m):
            if let handler = entry.handler {
                handler((m.statusCode ?? 0) < 200 ? .provisional(m) : .final(m))
            } else if let inbound = pendingInbound.removeValue(forKey: key) {
                onRequest?(ServerTransactionHandle(request: inbound, key: key, layer: self))
            } else if m.method == .ack {
                var inbound = InboundMessage(message: m, source: entry.destination.address, kind: entry.destination.kind,
                                             connectionID: entry.destination.connectionID, local: entry.destination.address)
                inbound.message = m
                onStray?(inbound)
            }
        case .timeout:
            // A connect still pending when the transaction gives up is
            // bounded by the same timeout (a SYN dropped by a dead site
            // would otherwise hang for the kernel's minutes).
            entry.handler?(.timeout)
            if entry.handler != nil, entry.destination.kind.isReliable {
                let destination = entry.destination
                queue.async { [weak self] in
                    self?.transport.abandonUnopenedConnection(to: destination, reason: "not connected within the transaction timeout")
                }
            }
        case .transportError(let why):
            entry.handler?(.transportError(why))
        case .terminated:
            if entries[key] === entry {
                entries[key] = nil
                for t in TransactionTimer.allCases { scheduler.cancel(TimerKey(transaction: key, timer: t)) }
            }
            pendingInbound[key] = nil
        }
    }

    /// Cancels every transaction (shutdown); no handler is called.
    public func shutdown() {
        scheduler.cancelAll()
        entries.removeAll()
        pendingInbound.removeAll()
    }
}
