import Dispatch
import Logging

/// Runs a ``RegistrationMachine`` against the network: resolves the target
/// list (RFC 3263), sends the machine's requests through client
/// transactions, fails over to the next target on a transport error, a
/// timeout or a 503, sticks to the target that accepted the REGISTER
/// (registration affinity), and runs the machine's timers on the queue.
///
/// `@unchecked Sendable` boundary: every member is used only on `queue`.
public final class RegistrationClient: @unchecked Sendable {
    public let spec: SIPTargetSpec
    private var machine: RegistrationMachine
    private let transactions: SIPTransactionLayer
    private let resolver: SIPTargetResolver
    private let logger: Logger
    private lazy var timers = TimerScheduler<RegistrationMachine.Timer>(queue: queue, clock: transactions.clock)
    private var stopCompletion: (() -> Void)?
    private var targets: [SIPTarget] = []
    private var index = 0
    private var resolving = false
    private var pending: SIPMessage?
    /// True while every target tried in the current round found nobody
    /// listening (see ``RegistrationMachine/Event/unreachable(_:)``).
    private var nobodyListening = true
    private let keepAlive: KeepAliveSettings?
    private var monitor: KeepAliveMonitor?
    private var keepAliveTimer: DispatchSourceTimer?
    private var pingedConnection: UInt64?
    private var observer: UInt64?
    /// Timer F for a REGISTER while something else could take it (another
    /// RFC 3263 target, or the other Business Continuity site), unless the
    /// layer's timers set a client timeout of their own (an explicit
    /// `sip_transaction_timeout`). nil: the layer's timers alone.
    private let failoverTimeout: Duration?
    private let otherSiteExists: Bool

    /// Called on every status change.
    public var onStatus: ((RegistrationStatus) -> Void)?
    /// Seconds from sending a REGISTER to its final response, last measured.
    public private(set) var lastRoundTrip: Double?
    /// Keep-alives that went unanswered, since start.
    public private(set) var keepAliveMisses = 0
    /// Status changes since start.
    public private(set) var transitions = 0

    public init(configuration: RegistrationConfiguration, spec: SIPTargetSpec, resolver: SIPTargetResolver,
                transactions: SIPTransactionLayer, random: RandomSource, keepAlive: KeepAliveSettings? = nil,
                failoverTimeout: Duration? = nil, otherSiteExists: Bool = false, logger: Logger) {
        self.machine = RegistrationMachine(configuration: configuration, random: random)
        self.failoverTimeout = failoverTimeout
        self.otherSiteExists = otherSiteExists
        self.spec = spec
        self.resolver = resolver
        self.transactions = transactions
        self.keepAlive = keepAlive
        self.logger = logger
    }

    public var queue: DispatchQueue { transactions.queue }
    /// The stack's timer clock.
    public var clock: TimerClock { transactions.clock }
    public var status: RegistrationStatus { machine.status }
    /// The Contact of our standing binding (nil while not registered).
    public var registeredContact: SIPURI? { machine.registeredContact }
    /// The CSeq of the last REGISTER sent.
    public var lastCSeq: UInt32 { machine.lastCSeq }
    /// The target requests go to now (nil before resolution).
    public var currentTarget: SIPTarget? { index < targets.count ? targets[index] : nil }

    /// Registers now, or at a random point of the spread window; call on `queue`.
    public func start(spread: Bool = false) {
        if observer == nil {
            observer = transactions.transport.observe(
                closed: { [weak self] id, remote, reason in self?.connectionClosed(id: id, remote: remote, reason: reason) },
                pong: { [weak self] id in if id == self?.pingedConnection { self?.answered() } })
        }
        let contact = contact(for: currentTarget)
        run(machine.handle(spread ? .startSpread(contact: contact) : .start(contact: contact)))
    }

    /// The network changed (addresses, links, resume): every flow is suspect.
    /// Re-register from a fresh resolution and a new connection — within the
    /// spread window, as a whole floor's network changes at once.
    public func networkChanged() {
        transactions.transport.forgetRoutes()
        if let target = currentTarget, target.kind.isReliable, let id = transactions.transport.connectionID(for: target.destination) {
            transactions.transport.closeConnection(id, reason: "network change")
        }
        targets = []
        index = 0
        run(machine.handle(.flowLost("network change")))
    }

    /// The flow to the registrar is gone. A registrar restart or an SBC
    /// failover ends every endpoint's flow at once: with another site to
    /// carry the agent meanwhile, re-register within the spread window (no
    /// availability lost); a single site re-registers at once — one box is
    /// not a fleet, and its agent has nothing else.
    private func flowLost(_ why: String) {
        run(machine.handle(otherSiteExists ? .flowLost(why) : .flowFailed(why)))
    }

    /// A stream to our registrar closed: the flow is gone.
    private func connectionClosed(id: UInt64, remote: SocketAddress, reason: String) {
        guard let target = currentTarget, target.kind.isReliable, remote == target.address else { return }
        flowLost("connection to \(target) closed: \(reason)")
    }

    private func answered() {
        _ = monitor?.handle(.answered)
    }

    /// Keep-alives run only while registered.
    private func updateKeepAlive(_ state: RegistrationStatus.State) {
        guard let settings = keepAlive else { return }
        if state == .registered {
            guard keepAliveTimer == nil, let target = currentTarget else { return }
            monitor = KeepAliveMonitor(threshold: target.kind.isReliable ? settings.streamMisses : settings.udpMisses)
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + settings.interval.dispatch, repeating: settings.interval.dispatch)
            timer.setEventHandler { [weak self] in self?.keepAliveTick() }
            keepAliveTimer = timer
            timer.resume()
        } else {
            keepAliveTimer?.cancel()
            keepAliveTimer = nil
            monitor = nil
            pingedConnection = nil
        }
    }

    private func keepAliveTick() {
        guard var m = monitor, let target = currentTarget else { return }
        let missesBefore = m.misses
        let actions = m.handle(.tick)
        if m.misses > missesBefore || actions.contains(where: { if case .failed = $0 { return true } else { return false } }) { keepAliveMisses += 1 }
        monitor = m
        for action in actions {
            switch action {
            case .probe:
                if target.kind.isReliable {
                    pingedConnection = transactions.transport.ping(target.destination)
                    if pingedConnection == nil { run(machine.handle(.flowFailed("no connection to \(target)"))) }
                } else {
                    run(machine.handle(.probe))
                }
            case .failed(let why):
                logger.warning("registration flow failed", metadata: ["registrar": "\(target)", "reason": "\(why)"])
                if target.kind.isReliable, let id = transactions.transport.connectionID(for: target.destination) {
                    transactions.transport.closeConnection(id, reason: "keep-alive: \(why)")
                }
                flowLost("keep-alive: \(why)")
            }
        }
    }

    /// Unregisters, then calls `completion` (at once if nothing is registered).
    /// The caller bounds the wait. Call on `queue`.
    public func stop(completion: @escaping () -> Void) {
        stopCompletion = completion
        run(machine.handle(.stop))
    }

    private func contact(for target: SIPTarget?) -> SIPURI {
        guard let target else { return SIPURI(user: machine.configuration.aor.user, host: "0.0.0.0") }
        return transactions.transport.contact(user: machine.configuration.aor.user, toward: target.address, kind: target.kind)
    }

    private func run(_ actions: [RegistrationMachine.Action]) {
        for action in actions {
            switch action {
            case .send(let request):
                send(request)
            case .schedule(let timer, let after):
                timers.schedule(timer, after: after) { [weak self] in
                    guard let self else { return }
                    self.run(self.machine.handle(.timerFired(timer)))
                }
                logger.debug("registration timer scheduled", metadata: ["timer": "\(timer)", "after": "\(after)"])
            case .cancel(let timer):
                timers.cancel(timer)
            case .status(let s):
                var meta: Logger.Metadata = ["registrar": "\(currentTarget.map { "\($0)" } ?? spec.description)", "state": "\(s.state.rawValue)"]
                if let r = s.reason { meta["reason"] = "\(r)" }
                if let e = s.grantedExpires { meta["expires"] = "\(e)" }
                let level: Logger.Level = (s.state == .authFailed || s.state == .retrying) ? .warning : .notice
                logger.log(level: level, "registration \(s.state.rawValue)", metadata: meta)
                updateKeepAlive(s.state)
                transitions += 1
                onStatus?(s)
            case .alive:
                answered()
            case .stopped:
                if let observer { transactions.transport.removeObserver(observer) }
                observer = nil
                timers.cancelAll()
                let done = stopCompletion
                stopCompletion = nil
                done?()
            }
        }
    }

    /// Sends to the current target, resolving first when there is none.
    private func send(_ request: SIPMessage) {
        guard let target = currentTarget else {
            pending = request
            resolve()
            return
        }
        var request = request
        transactions.transport.stampVia(&request, toward: target.destination)
        let cseq = (try? request.cseq.number) ?? 0
        logger.debug("sending REGISTER", metadata: ["to": "\(target)", "cseq": "\(cseq)"])
        let isProbe = request.headers[.contact] == nil
        let sentAt = DispatchTime.now().uptimeNanoseconds
        transactions.sendRequest(request, to: target.destination, timers: transactionTimers(toward: target)) { [weak self] result in
            guard let self else { return }
            if case .final = result, !isProbe { self.lastRoundTrip = Double(DispatchTime.now().uptimeNanoseconds - sentAt) / 1e9 }
            if isProbe {
                // A binding probe: its answer goes to the machine; a dead flow
                // re-registers; a timeout is the keep-alive monitor's business.
                switch result {
                case .final(let r): self.run(self.machine.handle(.response(r)))
                case .transportError(let why): self.run(self.machine.handle(.flowFailed("keep-alive toward \(target): \(why)")))
                case .provisional, .timeout: break
                }
                return
            }
            switch result {
            case .provisional:
                break
            case .final(let r) where r.statusCode == 503:
                self.failover("503 \(r.statusLine?.reason ?? "") from \(target)", response: r)
            case .final(let r):
                self.nobodyListening = true
                self.run(self.machine.handle(.response(r)))
            case .timeout:
                self.failover("no response from \(target) (timeout)", response: nil)
            case .transportError(let failure):
                self.failover("transport error toward \(target): \(failure)", response: nil, unreachable: failure.code == .unreachable)
            }
        }
    }

    /// The REGISTER's transaction timers. While another target or site could
    /// take the request, a silent registrar is given up on after
    /// `failoverTimeout` instead of 64·T1 (32 s). Over UDP a REGISTER is also
    /// the probe of a site that may be back: its retransmissions are spaced
    /// at most one keep-alive interval apart (instead of T2, 4 s), so a
    /// registrar returning while an attempt is in flight answers within that
    /// interval even when no ICMP error told us it was gone (lost or
    /// filtered ICMP).
    private func transactionTimers(toward target: SIPTarget) -> TransactionTimers {
        var t = transactions.timers
        if t.clientTimeout == nil, let f = failoverTimeout, otherSiteExists || targets.count > 1 { t.clientTimeout = f }
        if target.kind == .udp, let interval = keepAlive?.interval { t.t2 = max(t.t1, min(t.t2, interval)) }
        return t
    }

    /// RFC 3263 §4.3: the next target, at once; after the last one, the
    /// machine's backoff and a fresh resolution next time.
    private func failover(_ why: String, response: SIPMessage?, unreachable: Bool = false) {
        nobodyListening = nobodyListening && unreachable
        if index + 1 < targets.count {
            index += 1
            logger.warning("registration failing over", metadata: ["reason": "\(why)", "next": "\(targets[index])"])
            run(machine.handle(.resend(contact: contact(for: currentTarget))))
            return
        }
        targets = []
        index = 0
        let absent = nobodyListening
        nobodyListening = true
        if let response {
            run(machine.handle(.response(response)))
        } else {
            run(machine.handle(absent ? .unreachable(why) : .failure(why)))
        }
    }

    private func resolve() {
        guard !resolving else { return }
        resolving = true
        let resolver = self.resolver, spec = self.spec
        Task {
            let result: Result<[SIPTarget], DNSLookupError>
            do throws(DNSLookupError) { result = .success(try await resolver.resolve(spec)) } catch { result = .failure(error) }
            self.queue.async { self.resolved(result) }
        }
    }

    private func resolved(_ result: Result<[SIPTarget], DNSLookupError>) {
        resolving = false
        guard pending != nil else { return }
        pending = nil
        switch result {
        case .success(let list) where !list.isEmpty:
            targets = list
            index = 0
            logger.info("registration targets resolved", metadata: ["spec": "\(spec)", "targets": "\(list.map(\.description).joined(separator: ", "))"])
            run(machine.handle(.resend(contact: contact(for: currentTarget))))
        case .success:
            run(machine.handle(.failure("no targets for \(spec)")))
        case .failure(let e):
            run(machine.handle(.failure(e.description)))
        }
    }
}
