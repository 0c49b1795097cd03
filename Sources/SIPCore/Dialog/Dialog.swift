/// A dialog's state (RFC 3261 §12) as a value: identifiers, route set,
/// remote target, CSeqs. It builds in-dialog requests (§12.2.1.1) and
/// checks incoming ones (§12.2.2); the call machine owns one per call.
public struct Dialog: Sendable, Hashable {
    public let callID: String
    public let localTag: String
    public var remoteTag: String?
    /// Our URI and the peer's (From/To of our requests).
    public let localURI: SIPNameAddress
    public let remoteURI: SIPNameAddress
    /// Where in-dialog requests go: the peer's Contact, updated by target refreshes.
    public var remoteTarget: SIPURI
    /// Record-Route of the dialog-creating request, in the order we use it.
    public private(set) var routeSet: [String]
    public private(set) var localCSeq: UInt32
    public private(set) var remoteCSeq: UInt32?
    public var confirmed = false

    /// The UAS side of a dialog created by `request` (§12.1.1).
    public init(uas request: SIPMessage, localTag: String, initialCSeq: UInt32) throws(SIPParseError) {
        guard let callID = request.callID, let from = request.from, let to = request.to else {
            throw SIPParseError(.missingHeader, "INVITE lacks Call-ID, From or To", offset: 0)
        }
        guard let contact = request.contacts.first?.address else {
            throw SIPParseError(.missingHeader, "INVITE lacks a usable Contact", offset: 0)
        }
        self.callID = callID
        self.localTag = localTag
        remoteTag = from.tag
        var local = to
        local.parameters.set("tag", localTag)
        localURI = local
        remoteURI = from
        remoteTarget = contact.uri
        routeSet = request.headers.values(.recordRoute)
        localCSeq = initialCSeq
        remoteCSeq = try request.cseq.number
    }

    /// The UAC side, before any response (§12.1.2 completes it from the 2xx).
    public init(uac callID: String, localTag: String, local: SIPNameAddress, remote: SIPNameAddress, target: SIPURI, routeSet: [String] = [], initialCSeq: UInt32) {
        self.callID = callID
        self.localTag = localTag
        var l = local
        l.parameters.set("tag", localTag)
        localURI = l
        remoteURI = remote
        remoteTarget = target
        self.routeSet = routeSet
        localCSeq = initialCSeq
    }

    /// §12.1.2: a UAC dialog confirmed (or made early) by a response with a
    /// To tag: remote tag, remote target from Contact, route set from the
    /// Record-Route read backwards.
    public mutating func establish(from response: SIPMessage) {
        guard let tag = response.to?.tag else { return }
        if remoteTag == nil || !confirmed {
            remoteTag = tag
            let rr = response.headers.values(.recordRoute)
            if !rr.isEmpty { routeSet = rr.reversed() }
        }
        refreshTarget(from: response)
        if (200..<300).contains(response.statusCode ?? 0) { confirmed = true }
    }

    /// True when `m` (request or response) belongs to this dialog.
    public func matches(_ m: SIPMessage) -> Bool { matches(m, keys: try? m.keys()) }

    /// `matches`, with `m`'s keys read once for all the dialogs it is
    /// tried against: Call-ID and tags are compared in place. Without keys
    /// (the message failed validation) it reads the typed values, which
    /// need only the Call-ID and the tags: an ACK is not validated before
    /// it is matched, and a fault elsewhere in it must not leave the call's
    /// 2xx unacknowledged.
    public func matches(_ m: SIPMessage, keys: SIPMessageKeys?) -> Bool {
        guard let k = keys else {
            guard m.callID == callID else { return false }
            let (ours, theirs) = m.isRequest ? (m.to?.tag, m.from?.tag) : (m.from?.tag, m.to?.tag)
            return ours == localTag && (remoteTag == nil || theirs == remoteTag)
        }
        guard m.bytes(k.callID, equal: callID) else { return false }
        let (ours, theirs) = m.isRequest ? (k.to.tag, k.from.tag) : (k.from.tag, k.to.tag)
        guard let ours, m.bytes(ours, equal: localTag) else { return false }
        guard let remoteTag else { return true }
        return theirs.map { m.bytes($0, equal: remoteTag) } ?? false
    }

    /// §12.2.2: a request's CSeq must grow; an older one gets 500.
    public mutating func acceptRemoteCSeq(_ request: SIPMessage) -> Bool {
        guard let n = try? request.cseq.number else { return false }
        if let r = remoteCSeq, n <= r, request.method != .ack, request.method != .cancel { return false }
        if request.method != .ack && request.method != .cancel { remoteCSeq = n }
        return true
    }

    /// A target refresh (re-INVITE, UPDATE, 2xx): the new Contact becomes the remote target.
    public mutating func refreshTarget(from m: SIPMessage) {
        if let c = m.contacts.first?.address?.uri { remoteTarget = c }
    }

    /// §12.2.1.1: an in-dialog request; the driver fills the Via sent-by.
    /// ACK for a 2xx reuses the INVITE's CSeq number (`cseq`).
    public mutating func request(_ method: SIPMethod, branch: String, contact: SIPURI?, userAgent: String, cseq: UInt32? = nil,
                                 requestURI: SIPURI? = nil) -> SIPMessage {
        let number: UInt32
        if let cseq { number = cseq } else { localCSeq += 1; number = localCSeq }
        var h = SIPHeaders()
        h.append(.via, "SIP/2.0/UDP 0.0.0.0;rport;branch=\(branch)")
        h.append(.maxForwards, "70")
        // Loose routing (the ;lr every current proxy sets): Request-URI is the target, the route set goes in Route.
        for r in routeSet { h.append(.route, r) }
        h.append(.from, localURI.description)
        var to = remoteURI
        if let remoteTag { to.parameters.set("tag", remoteTag) }
        h.append(.to, to.description)
        h.append(.callID, callID)
        h.append(.cseq, "\(number) \(method)")
        if let contact, [.invite, .update, .notify, .subscribe, .refer].contains(method) { h.append(.contact, SIPNameAddress(uri: contact).description) }
        h.append(.userAgent, userAgent)
        return .request(method, uri: requestURI ?? remoteTarget, headers: h)
    }

    /// The next hop of in-dialog requests: the first route, or the remote target.
    public var nextHop: SIPURI? {
        if let first = routeSet.first, let a = try? SIPNameAddress(parsing: first, header: "Route") { return a.uri }
        return remoteTarget
    }
}
