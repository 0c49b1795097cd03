/// One call as a pure state machine (events in, actions out; clock and
/// randomness injected): the UAS side of an INVITE dialog as Genesys SIP
/// Server drives it — ringing or auto-answer, answer with SDP (or with an
/// offer when the INVITE had none, the answer coming in the ACK), 2xx
/// retransmission until the ACK, CANCEL, BYE either way, re-INVITE hold and
/// retrieve (c=0.0.0.0, sendonly/inactive, SDP-less), NOTIFY talk/hold,
/// INFO DTMF, UPDATE, glare. The driver (``CallManager``) carries the
/// messages and timers and gives the media side what negotiation decides.
public struct CallMachine: Sendable {
    public enum State: String, Sendable {
        /// Incoming: ringing here. Outgoing: INVITE sent / the far end rings.
        case ringing, dialing, alerting, connecting, established, terminated
    }

    public enum Direction: String, Sendable { case incoming, outgoing }

    public enum Timer: Sendable, Hashable { case autoAnswer, ring, retransmit2xx, ackTimeout, glare, sessionRefresh, sessionExpiry }

    public enum Event: Sendable {
        /// Answer now (control API, NOTIFY talk, auto-answer).
        case answer
        case hangup
        /// Hold (true) or retrieve (false) by our own re-INVITE.
        case hold(Bool)
        /// Send DTMF digits (0-9, *, #, A-D) by `method`.
        case sendDTMF(String, method: DTMFMethod)
        /// A request of the dialog (or CANCEL/ACK for the INVITE).
        case request(SIPMessage)
        /// A response to a request we sent.
        case response(SIPMessage)
        /// Our request timed out or could not be sent.
        case requestFailed(SIPMethod, String)
        case timer(Timer)
    }

    public enum Action: Sendable, Equatable {
        /// Send this response through the request's server transaction.
        case respond(SIPMessage)
        /// Send this in-dialog request (ACK goes without a transaction).
        case send(SIPMessage)
        /// Start or change the media stream.
        case media(NegotiatedStream)
        case schedule(Timer, Duration)
        case cancel(Timer)
        case state(State)
        /// Hold flags changed.
        case held(local: Bool, remote: Bool)
        case dtmf(Character)
        /// Send these digits as RFC 4733 events in the media stream.
        case mediaDTMF(String)
        case ended(CallEndCause)
    }

    /// How DTMF is sent (`policy.session.dtmf_method`). All are received.
    public enum DTMFMethod: String, Sendable { case rfc2833, info, inbandRtp }

    public internal(set) var state: State = .ringing
    public internal(set) var dialog: Dialog
    public let policy: CallPolicy
    let negotiator: SDPNegotiator
    let local: LocalMediaEndpoint
    let contact: SIPURI
    let random: RandomSource
    var origin: SDPOriginTracker
    /// The INVITE (initial or re-INVITE) we are answering, until its ACK.
    var invite: SIPMessage?
    var final2xx: SIPMessage?
    var retransmitInterval: Duration
    /// Our offer in a 2xx (SDP-less INVITE): the answer comes in the ACK.
    var offerInResponse: SessionDescription?
    /// Our re-INVITE in flight: its CSeq and offer.
    var ourReinvite: (cseq: UInt32, offer: SessionDescription, hold: Bool)?
    var pendingHold: Bool?
    public internal(set) var stream: NegotiatedStream?
    public internal(set) var localHold = false
    public internal(set) var remoteHold = false
    var byeAfterAck = false
    /// X-Genesys-CallUUID of the INVITE, reported with the call.
    public let genesysCallUUID: String?
    public internal(set) var direction = Direction.incoming
    // Outgoing calls: our INVITE, its offer, the ACK of the 2xx, digest.
    var ourInvite: SIPMessage?
    var initialOffer: SessionDescription?
    var lastACK: SIPMessage?
    var credentials: DigestCredentials?
    var authenticated = false
    /// Extra headers of our initial INVITE (a REFER's embedded ones), kept for its re-sends.
    var inviteHeaders: [(SIPHeaderName, String)] = []
    /// RFC 4028: the session timer in force, if any.
    var sessionTimer: SessionTimer?

    /// A new incoming call from `invite`; returns the machine and its first
    /// actions (180 or 200, or a refusal that ends it at once).
    public static func incoming(_ invite: SIPMessage, local: LocalMediaEndpoint, negotiator: SDPNegotiator, contact: SIPURI, policy: CallPolicy,
                                autoAnswerAfter: Double?, random: RandomSource) throws(SIPParseError) -> (CallMachine, [Action]) {
        let dialog = try Dialog(uas: invite, localTag: random.hex(8), initialCSeq: UInt32(truncatingIfNeeded: random.next() % 10_000) + 1)
        var m = CallMachine(dialog: dialog, policy: policy, negotiator: negotiator, local: local, contact: contact, random: random,
                            genesysCallUUID: invite.headers[SIPHeaderName("X-Genesys-CallUUID")])
        m.invite = invite
        if let tooSmall = m.sessionIntervalTooSmall(invite) {
            let refusal = m.end(CallEndCause(code: 422, reason: "session interval below our Min-SE", remote: false), extra: [.respond(tooSmall)])
            return (m, refusal)
        }
        var actions: [Action] = [.state(.ringing)]
        if !invite.body.isEmpty {
            // Negotiate now: an offer we cannot take is refused before ringing.
            switch m.answerOffer(in: invite) {
            case .failure(let e):
                let refusal = m.refuse(invite, e)
                return (m, refusal)
            case .success:
                break
            }
        }
        if let after = autoAnswerAfter, after <= 0 {
            actions += m.answer()
            return (m, actions)
        }
        actions.append(.respond(m.response(to: invite, 180, "Ringing")))
        if let after = autoAnswerAfter {
            actions.append(.schedule(.autoAnswer, .milliseconds(Int64(after * 1000))))
        } else {
            actions.append(.schedule(.ring, policy.ringTimeout))
        }
        return (m, actions)
    }

    init(dialog: Dialog, policy: CallPolicy, negotiator: SDPNegotiator, local: LocalMediaEndpoint, contact: SIPURI, random: RandomSource, genesysCallUUID: String?) {
        self.dialog = dialog
        self.policy = policy
        self.negotiator = negotiator
        self.local = local
        self.contact = contact
        self.random = random
        self.genesysCallUUID = genesysCallUUID
        origin = SDPOriginTracker(sessionID: random.next() % 1_000_000_000_000, address: local.address)
        retransmitInterval = policy.t1
    }

    public mutating func handle(_ event: Event) -> [Action] {
        guard state != .terminated else {
            // Late requests of an ended call still get an answer.
            if case .request(let r) = event, r.method != .ack { return [.respond(response(to: r, 481, "Call/Transaction Does Not Exist"))] }
            return []
        }
        switch event {
        case .answer:
            return state == .ringing ? answer() : []
        case .hangup:
            return hangup()
        case .hold(let on):
            return hold(on)
        case .sendDTMF(let digits, let method):
            return sendDTMF(digits, method: method)
        case .request(let r):
            return request(r)
        case .response(let r):
            return response(r)
        case .requestFailed(let method, let why):
            return requestFailed(method, why)
        case .timer(let t):
            return timer(t)
        }
    }

    // MARK: Helpers shared by the per-method files

    /// A response to `request` carrying our tag, Contact and capabilities.
    func response(to request: SIPMessage, _ code: Int, _ reason: String, sdp: SessionDescription? = nil, extra: [(SIPHeaderName, String)] = []) -> SIPMessage {
        var r = SIPResponseBuilder.response(to: request, code: code, reason: reason, toTag: dialog.localTag)
        if (100..<300).contains(code) && code > 100 && (request.method == .invite || request.method == .update) {
            r.headers.append(.contact, SIPNameAddress(uri: contact).description)
            r.headers.append(.allow, policy.allow)
            r.headers.append(.supported, policy.supported)
            r.headers.append(.allowEvents, "talk, hold")
        }
        for (n, v) in extra { r.headers.append(n, v) }
        r.headers.append(.server, policy.userAgent)
        if let sdp {
            r.headers.append(.contentType, "application/sdp")
            r.body = Array(sdp.serialized.utf8)
        }
        return r
    }

    /// Our SDP direction: sendonly while we hold.
    var localDirection: MediaDirection { localHold ? .sendonly : .sendrecv }

    /// Negotiates the offer in `request`; on success the answer is in `pendingAnswer`.
    var pendingAnswer: SessionDescription?
    var pendingStream: NegotiatedStream?

    mutating func answerOffer(in request: SIPMessage) -> Result<Void, SDPError> {
        do throws(SDPError) {
            let offer = try SessionDescription(parsing: String(decoding: request.body, as: UTF8.self))
            let (answer, s) = try negotiator.answer(offer, local: local, origin: origin.origin, localDirection: localDirection)
            pendingAnswer = origin.stamp(answer)
            pendingStream = s
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// 488 (or 400) for an offer we cannot take, with the reason in Warning.
    mutating func refuse(_ request: SIPMessage, _ e: SDPError) -> [Action] {
        let code = e.sipStatus
        let r = response(to: request, code, code == 488 ? "Not Acceptable Here" : "Bad Request",
                         extra: [(.warning, "399 sipendpointd \"\(e.reason.filter { $0 != "\"" })\"")])
        if request == invite && state == .ringing {
            return end(CallEndCause(code: code, reason: e.reason, remote: false), extra: [.respond(r)])
        }
        return [.respond(r)]
    }

    mutating func end(_ cause: CallEndCause, extra: [Action] = []) -> [Action] {
        state = .terminated
        return extra + [.cancel(.autoAnswer), .cancel(.ring), .cancel(.retransmit2xx), .cancel(.ackTimeout), .cancel(.glare), .cancel(.sessionRefresh), .cancel(.sessionExpiry), .state(.terminated), .ended(cause)]
    }

    mutating func sendInDialog(_ method: SIPMethod, body: SessionDescription? = nil, cseq: UInt32? = nil) -> SIPMessage {
        var m = dialog.request(method, branch: random.branch(), contact: contact, userAgent: policy.userAgent, cseq: cseq)
        if method == .invite {
            m.headers.append(.allow, policy.allow)
            m.headers.append(.supported, policy.supported)
            for (n, v) in sessionTimerRequestHeaders { m.headers.append(n, v) }
            if state == .dialing || state == .alerting { for (n, v) in inviteHeaders { m.headers.append(n, v) } }
        }
        if let body {
            m.headers.append(.contentType, "application/sdp")
            m.body = Array(body.serialized.utf8)
        }
        return m
    }
}
