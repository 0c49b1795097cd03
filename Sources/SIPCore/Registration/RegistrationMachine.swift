/// The REGISTER client as a pure state machine (RFC 3261 §10.2, digest per
/// §22 / RFC 7616, backoff per RFC 5626 §4.5). Randomness is injected; the
/// driver sends what `.send` names and fires the timers it schedules.
public struct RegistrationMachine: Sendable {
    public enum Timer: Sendable, Hashable { case refresh, retry }

    public enum Event: Sendable {
        /// Register (or re-register now) with this Contact URI.
        case start(contact: SIPURI)
        /// Register at a random point of the configured spread window (boot,
        /// network change: every endpoint of a floor does this at once).
        case startSpread(contact: SIPURI)
        case response(SIPMessage)
        /// Transaction timeout or transport error.
        case failure(String)
        /// Every target refused the connection or was unreachable: nothing
        /// listens there now. Retried at `unreachableRetry` instead of the
        /// growing backoff, which protects a registrar that answers, not one
        /// that is absent.
        case unreachable(String)
        case timerFired(Timer)
        /// Remove the binding (Expires: 0) and stop.
        case stop
        /// The driver moved to another target (RFC 3263 failover): send the
        /// pending request again as a new transaction, with this Contact.
        case resend(contact: SIPURI)
        /// The flow to the registrar failed (connection closed, keep-alives
        /// unanswered, network change): register again at once.
        case flowFailed(String)
        /// The flow broke the way a whole fleet's breaks at once (the
        /// registrar's connection closed, keep-alives unanswered, a network
        /// change): re-register at a random point of the spread window, or at
        /// once (`flowFailed`) when there is none.
        case flowLost(String)
        /// Ask the registrar which bindings it holds (a REGISTER without
        /// Contact, RFC 3261 §10.2.3): a liveness probe that also notices a
        /// registrar that lost our binding.
        case probe
    }

    public enum Action: Sendable, Equatable {
        case send(SIPMessage)
        case schedule(Timer, Duration)
        case cancel(Timer)
        case status(RegistrationStatus)
        /// Unregistration finished (or nothing was registered).
        case stopped
        /// The registrar answered a probe (and still holds our binding).
        case alive
    }

    public let configuration: RegistrationConfiguration
    private let random: RandomSource
    private let credentials: DigestCredentials
    public private(set) var status = RegistrationStatus(state: .idle)
    private var contact: SIPURI?
    /// A previous run's bindings still to remove (until a REGISTER succeeds).
    private var stale: [SIPURI]
    /// The Contact of our standing binding (nil while not registered).
    public var registeredContact: SIPURI? { status.state == .registered ? contact : nil }
    private let callID: String
    private let fromTag: String
    private var cseq: UInt32 = 0
    /// The CSeq of the last REGISTER sent (a successor with the same Call-ID continues above it).
    public var lastCSeq: UInt32 { cseq }
    private var requestedExpires: UInt32
    /// Failures in a row of a registrar that was there (timeouts, errors): an
    /// outage's unreachable tries do not count, or a site's return would be
    /// met with the backoff of a registrar failing for minutes.
    private var answeredFailures = 0
    /// Nothing listened at some point since the last success.
    private var afterOutage = false
    /// Failures in a row where nothing listened at any target.
    private var unreachableFailures = 0
    /// Load-shedding answers (503 and the like) in a row: the exponent of
    /// their backoff, which an outage's unreachable tries must not inflate.
    private var overloadFailures = 0
    /// The challenge being answered, the header it goes in, and its nonce count.
    private var challenge: (DigestChallenge, SIPHeaderName, UInt32)?
    /// Challenges answered in a row without success (a second one means bad credentials).
    private var challengeRounds = 0
    private var stopping = false
    /// CSeq of the outstanding binding probe, if any.
    private var probeCSeq: UInt32?

    public init(configuration: RegistrationConfiguration, random: RandomSource) {
        self.configuration = configuration
        self.random = random
        self.credentials = DigestCredentials(username: configuration.authUser, password: configuration.password)
        self.callID = configuration.callID ?? random.hex(16)
        self.cseq = max(1, configuration.firstCSeq) - 1
        self.fromTag = random.hex(8)
        self.requestedExpires = configuration.expires
        self.stale = configuration.staleContacts
    }

    public var isStopping: Bool { stopping }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .start(let contact):
            self.contact = contact
            stopping = false
            challengeRounds = 0
            return [.cancel(.refresh), .cancel(.retry)] + transition(.registering, reason: nil) + [.send(makeRequest(expires: requestedExpires))]

        case .startSpread(let contact):
            guard configuration.spread > .zero else { return handle(.start(contact: contact)) }
            self.contact = contact
            stopping = false
            challengeRounds = 0
            return registerWithinSpread(reason: "spreading the fleet's start")

        case .flowLost(let why):
            guard configuration.spread > .zero else { return handle(.flowFailed(why)) }
            guard !stopping, status.state == .registered else { return [] }
            probeCSeq = nil
            challengeRounds = 0
            return registerWithinSpread(reason: "\(why); re-registering within the spread window")

        case .timerFired(.refresh), .timerFired(.retry):
            guard !stopping, status.state == .registered || status.state == .retrying else { return [] }
            challengeRounds = 0
            probeCSeq = nil
            return transition(.registering, reason: status.state == .retrying ? "retrying" : "refreshing")
                + [.send(makeRequest(expires: requestedExpires))]

        case .stop:
            stopping = true
            switch status.state {
            case .registered, .registering:
                challengeRounds = 0
                return [.cancel(.refresh), .cancel(.retry)] + transition(.unregistering, reason: nil) + [.send(makeRequest(expires: 0))]
            default:
                return [.cancel(.refresh), .cancel(.retry)] + transition(.stopped, reason: nil) + [.stopped]
            }

        case .failure(let why):
            return failed(why, retryAfter: nil)

        case .unreachable(let why):
            return failed(why, retryAfter: nil, unreachable: true)

        case .resend(let contact):
            guard status.state == .registering || status.state == .unregistering else { return [] }
            self.contact = contact
            // A different server knows nothing of the last nonce.
            challenge = nil
            challengeRounds = 0
            return [.send(makeRequest(expires: stopping ? 0 : requestedExpires))]

        case .response(let r):
            return response(r)

        case .flowFailed(let why):
            // While registering, the request in flight reports its own failure.
            guard !stopping, status.state == .registered else { return [] }
            probeCSeq = nil
            challengeRounds = 0
            return [.cancel(.refresh), .cancel(.retry)] + transition(.registering, reason: why) + [.send(makeRequest(expires: requestedExpires))]

        case .probe:
            guard !stopping, status.state == .registered else { return [] }
            let query = makeRequest(expires: nil)
            probeCSeq = cseq
            return [.send(query)]
        }
    }

    private mutating func response(_ r: SIPMessage) -> [Action] {
        guard let code = r.statusCode, let cseq = try? r.cseq, cseq.number == self.cseq else { return [] } // a stale answer
        if let probe = probeCSeq, probe == cseq.number { return probeResponse(r, code: code) }
        guard status.state == .registering || status.state == .unregistering else { return [] }
        switch code {
        case 100..<200:
            return []
        case 200..<300:
            challengeRounds = 0
            unreachableFailures = 0
            overloadFailures = 0
            answeredFailures = 0
            afterOutage = false
            if stopping { return transition(.stopped, reason: nil) + [.stopped] }
            let granted = grantedExpires(in: r)
            guard granted > 0 else { return failed("registrar granted no lifetime for our binding", retryAfter: nil) }
            stale = []
            let refresh = Double(granted) * random.uniform(configuration.refreshWindow)
            return transition(.registered, reason: nil, expires: granted) + [.schedule(.refresh, .milliseconds(Int64(refresh * 1000)))]
        case 401, 407:
            let header: SIPHeaderName = code == 401 ? .wwwAuthenticate : .proxyAuthenticate
            let authHeader: SIPHeaderName = code == 401 ? .authorization : .proxyAuthorization
            guard let c = DigestChallenge.best(in: r.headers.lines(header)) else {
                return authFailed("\(code) without a usable Digest challenge")
            }
            // Credentials go only to the realm they are for, when one is configured.
            if let realm = configuration.realm, realm != c.realm {
                return authFailed("challenge from realm '\(c.realm)' but credentials are for '\(realm)'")
            }
            // A fresh challenge after we answered one (and it is not merely stale) means the credentials are wrong.
            if challengeRounds >= 1 && !c.stale { return authFailed("credentials rejected by \(c.realm) (\(code))") }
            guard challengeRounds < 3 else { return authFailed("registrar keeps challenging (\(code))") }
            challengeRounds += 1
            challenge = (c, authHeader, 0)
            return [.send(makeRequest(expires: stopping ? 0 : requestedExpires))]
        case 423:
            guard let minExpires = r.headers[.minExpires].flatMap({ UInt32($0.trimmingWhitespace) }),
                  minExpires > requestedExpires, minExpires <= 86_400 * 7 else {
                return failed("423 Interval Too Brief without a usable Min-Expires", retryAfter: nil)
            }
            requestedExpires = minExpires
            return [.send(makeRequest(expires: stopping ? 0 : requestedExpires))]
        default:
            let reason = "\(code) \(r.statusLine?.reason ?? "")".trimmingWhitespace
            // The registrar answers but sheds load: RFC 5626 §4.5 backoff from
            // the base time (not the fast start meant for a registrar that
            // merely restarted), its Retry-After as the floor.
            let overloaded = code == 503 || code == 500 || code == 480 || code == 486 || code == 600
            return failed(reason, retryAfter: overloaded ? r.retryAfter.map { Duration.seconds(Int64($0)) } : nil, overloaded: overloaded)
        }
    }

    /// Waits a random point of the spread window, then registers (the retry timer).
    private mutating func registerWithinSpread(reason: String) -> [Action] {
        let wait = configuration.spread.seconds * random.unit()
        return [.cancel(.refresh), .cancel(.retry)] + transition(.retrying, reason: reason) + [.schedule(.retry, .milliseconds(Int64(wait * 1000)))]
    }

    private mutating func probeResponse(_ r: SIPMessage, code: Int) -> [Action] {
        probeCSeq = nil
        guard status.state == .registered, code >= 200 else { return [] }
        if code == 401 || code == 407, let c = DigestChallenge.best(in: r.headers.lines(code == 401 ? .wwwAuthenticate : .proxyAuthenticate)),
           challenge?.0.nonce != c.nonce {
            // A new nonce: answer it and probe again.
            challenge = (c, code == 401 ? .authorization : .proxyAuthorization, 0)
            let query = makeRequest(expires: nil)
            probeCSeq = cseq
            return [.alive, .send(query)]
        }
        guard (200..<300).contains(code) else { return [.alive] }
        if ourBinding(in: r) != nil { return [.alive] }
        return [.alive, .cancel(.refresh)] + transition(.registering, reason: "binding lost at the registrar")
            + [.send(makeRequest(expires: requestedExpires))]
    }

    private mutating func failed(_ why: String, retryAfter: Duration?, unreachable: Bool = false, overloaded: Bool = false) -> [Action] {
        if stopping { return transition(.stopped, reason: why) + [.stopped] }
        guard status.state == .registering else { return [] }
        unreachableFailures = unreachable ? unreachableFailures + 1 : 0
        if unreachable { afterOutage = true } else if !overloaded { answeredFailures += 1 }
        overloadFailures = overloaded ? overloadFailures + 1 : 0
        challenge = nil
        let delay = unreachable ? unreachableDelay() : retryDelay(retryAfter: retryAfter, overloaded: overloaded)
        return transition(.retrying, reason: why) + [.schedule(.retry, delay)]
    }

    /// The retry while nothing listens at any target: the same RFC 5626 §4.5
    /// jitter (50–100 %) over a short interval — for the first three tries,
    /// so a blip is over in seconds; then over the fleet spread window, when
    /// longer, because an outage that lasts is one the whole fleet sees, and
    /// its end must not bring every endpoint back in the same second.
    public func unreachableDelay() -> Duration {
        var interval = configuration.unreachableRetry.seconds
        if unreachableFailures > 3 { interval = max(interval, configuration.spread.seconds) }
        return .milliseconds(Int64(interval * random.uniform(0.5...1.0) * 1000))
    }

    private mutating func authFailed(_ why: String) -> [Action] {
        challenge = nil
        if stopping { return transition(.stopped, reason: why) + [.stopped] }
        return [.cancel(.refresh), .cancel(.retry)] + transition(.authFailed, reason: why)
    }

    /// Backoff after the n-th failure in a row, with RFC 5626 §4.5 jitter (a
    /// random point between 50 % and 100 %). The first three retries start
    /// from min(base, 1 s) — 1, 2, 4 s — so a registrar that merely restarted
    /// is back within seconds; after that min(max-time, base · 2^(n-4)), so a
    /// site that stays down is not hammered. A registrar shedding load
    /// (`overloaded`: 503 and the like) gets min(max-time, base · 2^(n-1))
    /// from the first answer. Retry-After, when given, is the floor, stretched
    /// by up to half again at random: a registrar that sends the same
    /// Retry-After to thousands must not get them back in one second.
    /// After an outage the fast start is skipped (the registrar that was absent
    /// and now fails is likely the one the whole fleet is returning to).
    public func retryDelay(retryAfter: Duration?, overloaded: Bool = false) -> Duration {
        let n = afterOutage ? max(answeredFailures, 1) + 3 : max(answeredFailures, 1)
        let capped: Double
        if overloaded {
            let k = max(overloadFailures, 1)
            capped = min(configuration.retryMax.seconds, configuration.retryBase.seconds * pow2(Double(min(k - 1, 20))))
        } else if n <= 3 {
            capped = min(configuration.retryBase.seconds, 1) * pow2(Double(n - 1))
        } else {
            capped = min(configuration.retryMax.seconds, configuration.retryBase.seconds * pow2(Double(min(n - 4, 20))))
        }
        var wait = capped * random.uniform(0.5...1.0)
        if let retryAfter { wait = max(wait, retryAfter.seconds * random.uniform(1.0...1.5)) }
        return .milliseconds(Int64(wait * 1000))
    }

    private func pow2(_ e: Double) -> Double {
        var r = 1.0
        for _ in 0..<Int(e) { r *= 2 }
        return r
    }

    private mutating func transition(_ state: RegistrationStatus.State, reason: String?, expires: UInt32? = nil) -> [Action] {
        let new = RegistrationStatus(state: state, reason: reason, grantedExpires: expires)
        guard new != status else { return [] }
        status = new
        return [.status(new)]
    }

    /// The lifetime granted to our binding: its Contact's expires parameter,
    /// else Expires, else what we asked for.
    func grantedExpires(in r: SIPMessage) -> UInt32 {
        if let e = ourBinding(in: r)?.parameters["expires"].flatMap({ $0 }).flatMap({ UInt32($0) }) { return e }
        return r.expires ?? requestedExpires
    }

    /// Our Contact among a 200's bindings, matched by +sip.instance or URI.
    func ourBinding(in r: SIPMessage) -> SIPNameAddress? {
        let instance = "\"<urn:uuid:\(configuration.instanceID)>\""
        return r.contacts.lazy.compactMap(\.address).first { a in
            if a.parameters["+sip.instance"].flatMap({ $0 }) == instance { return true }
            return contact.map { a.uri.user == $0.user && a.uri.host.lowercased() == $0.host.lowercased() && (a.uri.port ?? 5060) == ($0.port ?? 5060) } ?? false
        }
    }

    /// A REGISTER; `expires` nil builds a binding query (no Contact, no Expires).
    private mutating func makeRequest(expires: UInt32?) -> SIPMessage {
        cseq += 1
        var h = SIPHeaders()
        // The driver fills in sent-by; the branch is new for every request.
        h.append(.via, "SIP/2.0/UDP 0.0.0.0;rport;branch=\(random.branch())")
        h.append(.maxForwards, "70")
        h.append(.from, SIPNameAddress(uri: configuration.aor, parameters: SIPParameters([.init(name: "tag", value: fromTag)])).description)
        h.append(.to, SIPNameAddress(uri: configuration.aor).description)
        h.append(.callID, callID)
        h.append(.cseq, "\(cseq) REGISTER")
        if let contact, let expires {
            var params = SIPParameters([.init(name: "+sip.instance", value: "\"<urn:uuid:\(configuration.instanceID)>\"")])
            if let regID = configuration.regID { params.set("reg-id", String(regID)) }
            if expires == 0 { params.set("expires", "0") }
            h.append(.contact, SIPNameAddress(uri: contact, parameters: params).description)
            if expires > 0 {
                for old in stale where old != contact {
                    h.append(.contact, SIPNameAddress(uri: old, parameters: SIPParameters([.init(name: "expires", value: "0")])).description)
                }
            }
        }
        if let expires { h.append(.expires, String(expires)) }
        h.append(.allow, CallPolicy.allowedMethods.map(\.rawValue).joined(separator: ", "))
        if configuration.regID != nil, contact != nil, expires != nil { h.append(.supported, "outbound, path") }
        h.append(.userAgent, configuration.userAgent)
        if let (c, header, previous) = challenge {
            let nc = previous + 1
            challenge = (c, header, nc)
            let value = credentials.authorization(challenge: c, method: "REGISTER", uri: configuration.registrarURI.description,
                                                  cnonce: random.hex(8), nonceCount: nc)
            h.append(header, value)
        }
        return SIPMessage.request(.register, uri: configuration.registrarURI, headers: h)
    }
}
