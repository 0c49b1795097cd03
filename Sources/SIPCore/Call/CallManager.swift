import Dispatch
import Logging

/// A call as the control API and the event stream see it.
public struct CallSnapshot: Sendable, Hashable, Codable {
    public var id: String
    public var state: String
    public var direction: String
    public var remote: String
    public var genesysCallUUID: String?
    public var heldLocally: Bool
    public var heldRemotely: Bool
    public var codec: String?
    public var srtp: String?
    /// RFC 2198 redundant audio negotiated (sent while the far end reports loss).
    public var redundancy: Bool = false
    /// Wall-clock seconds since the epoch when the call began.
    public var since: Double
    public var media: CallMediaStatistics?
    /// The dialog's tags (SIP traces, Replaces): ours and the far end's.
    public var localTag: String = ""
    public var remoteTag: String?
}

/// What happened to a call, for SSE events and logs.
public struct CallEvent: Sendable, Hashable {
    public enum Kind: String, Sendable { case ringing, answered, held, resumed, ended, dtmf }
    public var kind: Kind
    public var call: CallSnapshot
    public var detail: String?
}

/// Drives the calls: takes new INVITEs and in-dialog requests from the
/// stack, runs each call's ``CallMachine``, carries its actions (responses
/// through their server transactions, in-dialog requests through client
/// transactions, timers, media), and gives the headset to the one active
/// call. Calls live in their dialogs: registrations coming and going never
/// touch them.
///
/// `@unchecked Sendable` boundary: every member is used only on the stack's queue.
public final class CallManager: SIPRequestRouter, @unchecked Sendable {
    /// `@unchecked Sendable` boundary: used only on the stack's queue.
    final class Call: @unchecked Sendable {
        let id: String
        var machine: CallMachine
        let media: CallMediaSession
        /// The flow the call came in on (or went out on): in-dialog requests
        /// go along it when the next hop is a name rather than an address.
        let flow: TransportDestination
        /// The INVITE's Via branch (CANCEL matching) for incoming calls.
        let inviteBranch: String?
        /// Server transactions waiting for the machine's response, by Via branch + method.
        var pending: [String: ServerTransactionHandle] = [:]
        let since: Double
        init(id: String, machine: CallMachine, media: CallMediaSession, flow: TransportDestination, inviteBranch: String?, since: Double) {
            self.id = id
            self.machine = machine
            self.media = media
            self.flow = flow
            self.inviteBranch = inviteBranch
            self.since = since
        }
    }

    public let stack: SIPStack
    public var policy: CallPolicy
    public let media: CallMediaProvider
    private let user: String
    let random: RandomSource
    let logger: Logger
    private let wallClock: @Sendable () -> Double
    private var calls: [String: Call] = [:]
    /// REFER subscriptions by the id of the call each one made (CallManager+Refer).
    var refers: [String: (subscription: ReferSubscription, flow: TransportDestination)] = [:]
    private lazy var timers = TimerScheduler<String>(queue: stack.queue, clock: stack.transactions.clock)
    private var activeID: String?
    /// Calls that ended, by outcome (metrics).
    public private(set) var endedByOutcome: [String: Int] = [:]
    /// From an incoming INVITE to our 200 (ringing, auto-answer delay), for metrics.
    public private(set) var answerDelay = DelayHistogram()

    /// Every call event (on the stack's queue).
    public var onEvent: ((CallEvent) -> Void)?

    public init(stack: SIPStack, media: CallMediaProvider, policy: CallPolicy, user: String, random: RandomSource = .system, logger: Logger,
                wallClock: @escaping @Sendable () -> Double) {
        self.stack = stack
        self.media = media
        self.policy = policy
        self.user = user
        self.random = random
        self.logger = logger
        self.wallClock = wallClock
    }

    // MARK: SIPRequestRouter

    public func route(_ handle: ServerTransactionHandle) -> Bool {
        let r = handle.request.message
        guard let method = r.method else { return false }
        if method == .invite, r.to?.tag == nil { return newCall(handle) }
        if method == .refer, r.to?.tag == nil { return newRefer(handle) }
        if method == .cancel {
            guard let call = calls.values.first(where: { $0.machine.dialog.callID == r.callID && $0.inviteBranch == r.topVia?.branch }) else { return false }
            remember(handle, in: call)
            feed(call, .request(r))
            return true
        }
        // Validated (UASCore) before it is routed: the keys are there.
        guard let keys = try? r.keys(), keys.to.tag != nil,
              let call = calls.values.first(where: { $0.machine.dialog.matches(r, keys: keys) }) else { return false }
        remember(handle, in: call)
        feed(call, .request(r))
        return true
    }

    public func acknowledge(_ inbound: InboundMessage) -> Bool {
        // An ACK is not validated before it gets here: it may have no keys.
        let m = inbound.message
        let keys = try? m.keys()
        guard let call = calls.values.first(where: { $0.machine.dialog.matches(m, keys: keys) }) else { return false }
        feed(call, .request(inbound.message))
        return true
    }

    // MARK: Control (on the stack's queue)

    public var snapshot: [CallSnapshot] { calls.values.sorted { $0.since < $1.since }.map(snapshot) }

    @discardableResult public func answer(_ id: String) -> Bool { act(id, .answer) }
    @discardableResult public func hangup(_ id: String) -> Bool { act(id, .hangup) }
    @discardableResult public func hold(_ id: String, _ on: Bool) -> Bool { act(id, .hold(on)) }
    /// How DTMF is sent (`policy.session.dtmf_method`).
    public var dtmfMethod = CallMachine.DTMFMethod.rfc2833
    @discardableResult public func sendDTMF(_ id: String, _ digits: String) -> Bool { act(id, .sendDTMF(digits, method: dtmfMethod)) }

    /// Ends every call (Connector `DELETE /calls`, unregister, shutdown).
    public func hangupAll() { for id in Array(calls.keys) { _ = act(id, .hangup) } }

    public var count: Int { calls.count }

    private func act(_ id: String, _ e: CallMachine.Event) -> Bool {
        guard let call = calls[id] else { return false }
        feed(call, e)
        return true
    }

    // MARK: Driving

    private func newCall(_ handle: ServerTransactionHandle) -> Bool {
        let invite = handle.request.message
        let inbound = handle.request
        // RFC 3891: an INVITE that replaces one of our calls takes its place.
        var replaced: Call?
        if let value = invite.headers[SIPHeaderName("Replaces")] {
            guard let r = Replaces(value), let call = calls.values.first(where: { r.matches($0.machine) }) else {
                respond(handle, invite, 481, "Call/Transaction Does Not Exist - nothing to replace")
                return true
            }
            replaced = call
        }
        if calls.count - (replaced == nil ? 0 : 1) >= policy.maxCalls {
            respond(handle, invite, 486, "Busy Here")
            return true
        }
        if policy.rejectWithoutHeadset && !media.headsetPresent {
            respond(handle, invite, policy.codeWithoutHeadset, "Temporarily Unavailable - no headset")
            return true
        }
        let session: CallMediaSession
        do throws(SDPError) {
            session = try media.openSession(localIP: stack.transport.advertisedAddress(toward: inbound.source).ip)
        } catch {
            respond(handle, invite, 503, "Service Unavailable - \(error.reason)")
            return true
        }
        let negotiator = SDPNegotiator(capabilities: media.capabilities)
        // A replacement is answered at once: the agent is already in that call.
        let autoAnswer = replaced != nil ? 0 : AutoAnswer.delay(in: invite) ?? (policy.autoAnswer ? 0 : nil)
        do {
            let (machine, actions) = try CallMachine.incoming(invite, local: session.local, negotiator: negotiator,
                                                              contact: contact(toward: inbound.source, kind: inbound.kind),
                                                              policy: policy, autoAnswerAfter: autoAnswer, random: random)
            let call = Call(id: invite.callID ?? random.hex(8), machine: machine, media: session,
                            flow: TransportDestination(kind: inbound.kind, address: inbound.source, connectionID: inbound.connectionID),
                            inviteBranch: invite.topVia?.branch, since: wallClock())
            calls[call.id] = call
            let id = call.id, queue = stack.queue
            session.onDTMF = { [weak self] digit in
                queue.async { [weak self] in
                    guard let self, let call = self.calls[id] else { return }
                    self.emit(.dtmf, call, detail: String(digit))
                }
            }
            session.onDead = { [weak self] why in
                queue.async { [weak self] in
                    guard let self else { return }
                    self.logger.warning("call media dead: hanging up", metadata: ["call_id": "\(id)", "reason": "\(why)"])
                    self.hangup(id)
                }
            }
            remember(handle, in: call)
            logger.notice("incoming call", metadata: ["call_id": "\(call.id)", "from": "\(invite.from?.uri.description ?? "?")",
                                                     "auto_answer": "\(autoAnswer.map { "\($0) s" } ?? "no")"])
            run(actions, for: call)
            if let replaced, call.machine.state != .terminated {
                logger.notice("call replaced", metadata: ["call_id": "\(replaced.id)", "by": "\(call.id)"])
                feed(replaced, .hangup)
            }
        } catch {
            session.close()
            respond(handle, invite, 400, "Bad Request - \(error.reason)")
        }
        return true
    }

    func respond(_ handle: ServerTransactionHandle, _ request: SIPMessage, _ code: Int, _ reason: String) {
        var r = SIPResponseBuilder.response(to: request, code: code, reason: reason, toTag: random.hex(6))
        r.headers.append(.server, policy.userAgent)
        logger.notice(request.method == .refer ? "refused REFER" : "refused call", metadata: ["call_id": "\(request.callID ?? "?")", "status": "\(code) \(reason)"])
        handle.respond(r)
    }

    private func remember(_ handle: ServerTransactionHandle, in call: Call) {
        let r = handle.request.message
        call.pending[Self.key(branch: r.topVia?.branch, method: r.method)] = handle
    }

    private static func key(branch: String?, method: SIPMethod?) -> String { "\(branch ?? "")|\(method?.rawValue ?? "")" }

    private func feed(_ call: Call, _ event: CallMachine.Event) {
        let actions = call.machine.handle(event)
        run(actions, for: call)
    }

    private func run(_ actions: [CallMachine.Action], for call: Call) {
        for action in actions {
            switch action {
            case .respond(let r):
                let key = Self.key(branch: r.topVia?.branch, method: try? r.cseq.method)
                guard let handle = call.pending[key] else { continue }
                handle.respond(r)
                // Keep an INVITE's handle while its 2xx may be retransmitted.
                if (r.statusCode ?? 0) >= 300 || (try? r.cseq.method) != .invite { call.pending[key] = nil }
            case .send(let request):
                // After the responses queued before it (a NOTIFY's 200 goes out before our re-INVITE).
                // The call is held until then: a BYE is sent after the call left the table.
                stack.queue.async { [weak self] in self?.send(request, in: call) }
            case .media(let stream):
                do throws(SDPError) { try call.media.apply(stream) } catch {
                    logger.error("media could not follow the negotiation", metadata: ["call_id": "\(call.id)", "reason": "\(error.reason)"])
                }
            case .schedule(let t, let after):
                timers.schedule("\(call.id)|\(t)", after: after) { [weak self, weak call] in
                    guard let self, let call else { return }
                    self.feed(call, .timer(t))
                }
            case .cancel(let t):
                timers.cancel("\(call.id)|\(t)")
            case .state(let s):
                logger.notice("call \(s.rawValue)", metadata: ["call_id": "\(call.id)"])
                referProgress(of: call.id, state: s)
                switch s {
                case .ringing: emit(.ringing, call)
                case .connecting:
                    if call.machine.direction == .incoming { answerDelay.observe(wallClock() - call.since) }
                    emit(.answered, call)
                default: break
                }
            case .held(let local, let remote):
                logger.notice(local || remote ? "call held" : "call resumed", metadata: ["call_id": "\(call.id)", "by_us": "\(local)", "by_far_end": "\(remote)"])
                emit(local || remote ? .held : .resumed, call, detail: local ? "local" : remote ? "remote" : nil)
            case .dtmf(let d):
                emit(.dtmf, call, detail: String(d))
            case .mediaDTMF(let digits):
                call.media.sendDTMF(digits)
            case .ended(let cause):
                var ended: Logger.Metadata = ["call_id": "\(call.id)", "cause": "\(cause)"]
                if let m = call.media.statistics {
                    // What an admin asks of a call that sounded bad, in the journal line that ends it.
                    ended["mos"] = "\(Double(Int(m.localMOS * 100)) / 100)"
                    ended["lost"] = "\(m.packetsLost)"
                    ended["concealed"] = "\(m.concealedFrames)"
                    ended["late"] = "\(m.latePackets)"
                    ended["underruns"] = "\(m.underruns)"
                    ended["xruns"] = "\(m.xruns)"
                }
                logger.notice("call ended", metadata: ended)
                call.media.close()
                calls[call.id] = nil
                timers.cancelAll { $0.hasPrefix("\(call.id)|") }
                endedByOutcome[cause.code.map { "\($0)" } ?? (cause.remote ? "remote_bye" : "local_bye"), default: 0] += 1
                emit(.ended, call, detail: cause.description)
                referProgress(of: call.id, ended: cause)
            }
        }
        updateHeadset()
    }

    /// The most recent established call not held by us has the headset.
    private func updateHeadset() {
        let candidate = calls.values.filter { $0.machine.state == .established && !$0.machine.localHold }.max { $0.since < $1.since }
        guard candidate?.id != activeID else { return }
        if let old = activeID, let c = calls[old] { c.media.setActive(false) }
        activeID = candidate?.id
        candidate?.media.setActive(true)
    }

    /// Sends an in-dialog request: Via for the flow, to the next hop (an IP
    /// literal), else back along the INVITE's flow.
    private func send(_ request: SIPMessage, in call: Call) {
        let method = request.method ?? .bye
        send(request, toward: Self.nextHop(of: call.machine.dialog, flow: call.flow)) { [weak self, weak call] result in
            guard let self, let call, self.calls[call.id] != nil else { return }
            switch result {
            case .provisional(let r), .final(let r): self.feed(call, .response(r))
            case .timeout: self.feed(call, .requestFailed(method, "timeout"))
            case .transportError(let e): self.feed(call, .requestFailed(method, e.description))
            }
        }
    }

    /// Sends `request` to `destination` with our Via for that flow; ACK
    /// goes without a transaction.
    func send(_ request: SIPMessage, toward destination: TransportDestination, then: @escaping (ClientTransactionResult) -> Void = { _ in }) {
        var request = request
        stack.transport.stampVia(&request, toward: destination)
        if request.method == .ack {
            stack.transport.send(request, to: destination)
            return
        }
        stack.transactions.sendRequest(request, to: destination, handler: then)
    }

    static func nextHop(of dialog: Dialog, flow: TransportDestination) -> TransportDestination {
        if let uri = dialog.nextHop, let address = SocketAddress(ip: uri.host, port: uri.port ?? (uri.scheme == .sips ? 5061 : 5060)) {
            let kind: SIPTransportKind = uri.scheme == .sips ? .tls : (uri.transportParameter == "tcp" ? .tcp : uri.transportParameter == "tls" ? .tls : flow.kind)
            return TransportDestination(kind: kind, address: address, connectionID: address == flow.address && kind == flow.kind ? flow.connectionID : nil,
                                        serverName: address == flow.address ? flow.serverName : nil)
        }
        return flow
    }

    func contact(toward remote: SocketAddress, kind: SIPTransportKind) -> SIPURI {
        stack.transport.contact(user: user, toward: remote, kind: kind)
    }

    /// Where first-party calls go and as whom: the active site's flow, the
    /// AOR, the digest credentials (set by the daemon; nil while not registered).
    public var outbound: (() -> (target: SIPTarget, aor: SIPURI, credentials: DigestCredentials)?)?

    /// Places a call to `target` through the active site (its registrar or
    /// SBC as outbound proxy, a loose route). Returns the call id, or why not.
    public func dial(_ target: SIPURI, headers: [(SIPHeaderName, String)] = []) -> Result<String, SDPError> {
        guard calls.count < policy.maxCalls else { return .failure(SDPError(.notAcceptable, "\(policy.maxCalls) calls already")) }
        guard let site = outbound?() else { return .failure(SDPError(.notAcceptable, "no registration stands: no site to call through")) }
        let flow = TransportDestination(kind: site.target.kind, address: site.target.address, serverName: site.target.serverName)
        let session: CallMediaSession
        do throws(SDPError) {
            session = try media.openSession(localIP: stack.transport.advertisedAddress(toward: site.target.address).ip)
        } catch {
            return .failure(error)
        }
        var proxy = SIPURI(scheme: site.target.kind == .tls ? .sips : .sip, host: site.target.address.ip, port: site.target.address.port)
        proxy.parameters.set("lr", nil)
        if site.target.kind == .tcp { proxy.parameters.set("transport", "tcp") }
        let (machine, actions) = CallMachine.outgoing(to: target, from: SIPNameAddress(uri: site.aor), local: session.local,
                                                      negotiator: SDPNegotiator(capabilities: media.capabilities),
                                                      contact: contact(toward: site.target.address, kind: site.target.kind), policy: policy,
                                                      routeSet: ["<\(proxy)>"], credentials: site.credentials, headers: headers, random: random)
        let call = Call(id: machine.dialog.callID, machine: machine, media: session, flow: flow, inviteBranch: nil, since: wallClock())
        calls[call.id] = call
        logger.notice("outgoing call", metadata: ["call_id": "\(call.id)", "to": "\(target)", "via": "\(site.target)"])
        run(actions, for: call)
        return .success(call.id)
    }

    private func snapshot(_ c: Call) -> CallSnapshot {
        let m = c.machine
        return CallSnapshot(id: c.id, state: m.state.rawValue, direction: m.direction.rawValue, remote: m.dialog.remoteURI.uri.description,
                            genesysCallUUID: m.genesysCallUUID, heldLocally: m.localHold, heldRemotely: m.remoteHold,
                            codec: m.stream?.codec.description, srtp: m.stream?.srtp?.suite.rawValue,
                            redundancy: m.stream?.redundancyPayloadType != nil, since: c.since, media: c.media.statistics,
                            localTag: m.dialog.localTag, remoteTag: m.dialog.remoteTag)
    }

    private func emit(_ kind: CallEvent.Kind, _ call: Call, detail: String? = nil) {
        onEvent?(CallEvent(kind: kind, call: snapshot(call), detail: detail))
    }
}
