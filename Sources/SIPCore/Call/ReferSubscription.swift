/// An out-of-dialog REFER (RFC 3515) as Genesys SIP Server sends it when it
/// makes a call on the agent's behalf by REFER: the endpoint accepts (202),
/// calls the Refer-To target itself, and reports the call's progress to SIP
/// Server in NOTIFYs of the implicit `refer` subscription, each carrying the
/// status line of the INVITE's latest response (`message/sipfrag`). A pure
/// value: the driver (``CallManager``) sends what it returns.
public struct ReferSubscription: Sendable {
    /// The REFER's dialog (we are its UAS); NOTIFYs go in it.
    public private(set) var dialog: Dialog
    /// Where to call: the Refer-To URI without its embedded headers.
    public let target: SIPURI
    /// Headers for the INVITE: those embedded in Refer-To (`?X-Genesys-...=`)
    /// and Referred-By.
    public let inviteHeaders: [(SIPHeaderName, String)]
    /// RFC 4488 `Refer-Sub: false`: the REFER asked for no NOTIFYs.
    public let silent: Bool
    public private(set) var terminated = false
    let contact: SIPURI
    let userAgent: String

    /// Headers a Refer-To may not set on our INVITE: they belong to our
    /// dialog and transport, or to features this endpoint does not have.
    static let refusedEmbedded: Set<String> = ["via", "from", "to", "call-id", "cseq", "contact", "route", "record-route", "max-forwards",
                                               "content-length", "content-type", "content-encoding", "require", "proxy-require",
                                               "authorization", "proxy-authorization", "replaces", "v", "f", "t", "i", "m", "l", "c", "e", "body"]

    /// Accepts `refer` or explains why not (400 for a missing or unusable
    /// Refer-To, 403 for a non-SIP target), with a reason for the log.
    public init(_ refer: SIPMessage, localTag: String, contact: SIPURI, userAgent: String, random: RandomSource) throws(SIPParseError) {
        let referTo = refer.headers.values(.referTo)
        guard referTo.count == 1, let address = try? SIPNameAddress(parsing: referTo[0], header: "Refer-To") else {
            throw SIPParseError(.missingHeader, "REFER needs exactly one usable Refer-To", offset: 0)
        }
        guard address.uri.isSIP else { throw SIPParseError(.badURI, "Refer-To \(address.uri.scheme) URI: only SIP targets are called", offset: 0) }
        dialog = try Dialog(uas: refer, localTag: localTag, initialCSeq: UInt32(truncatingIfNeeded: random.next() % 10_000) + 1)
        var uri = address.uri
        var headers: [(SIPHeaderName, String)] = []
        for h in uri.headers where !Self.refusedEmbedded.contains(h.name.lowercased()) {
            let raw = h.value ?? ""
            headers.append((SIPHeaderName(h.name), PercentEncoding.decode(ArraySlice(raw.utf8)) ?? raw))
        }
        uri.headers = []
        target = uri
        if let by = refer.headers[.referredBy] { headers.append((.referredBy, by)) }
        inviteHeaders = headers
        silent = refer.headers[SIPHeaderName("Refer-Sub")]?.trimmingWhitespace.lowercased() == "false"
        self.contact = contact
        self.userAgent = userAgent
    }

    /// The 202 to the REFER.
    public func accepted(_ refer: SIPMessage) -> SIPMessage {
        var r = SIPResponseBuilder.response(to: refer, code: 202, reason: "Accepted", toTag: dialog.localTag)
        r.headers.append(.contact, SIPNameAddress(uri: contact).description)
        if silent { r.headers.append(SIPHeaderName("Refer-Sub"), "false") }
        r.headers.append(.server, userAgent)
        return r
    }

    /// The NOTIFY reporting `code reason` of our INVITE (nil when the REFER
    /// asked for none, or the subscription already ended). A final code ends
    /// the subscription (RFC 3515 §2.4.7).
    public mutating func notify(_ code: Int, _ reason: String, branch: String) -> SIPMessage? {
        guard !silent, !terminated else { return nil }
        terminated = code >= 200
        var n = dialog.request(.notify, branch: branch, contact: contact, userAgent: userAgent)
        n.headers.append(.event, "refer")
        n.headers.append(SIPHeaderName("Subscription-State"), terminated ? "terminated;reason=noresource" : "active;expires=60")
        n.headers.append(.contentType, "message/sipfrag;version=2.0")
        n.body = Array("SIP/2.0 \(code) \(reason)\r\n".utf8)
        return n
    }
}
