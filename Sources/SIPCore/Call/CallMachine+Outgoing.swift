/// A first-party call we place (control API `POST /v1/calls`): INVITE with
/// our offer through the active site's registrar or SBC (as a loose route),
/// digest on 401/407 with the registration's credentials, provisional
/// answers, the 2xx confirmed by an ACK (again for each retransmitted 2xx),
/// CANCEL when hung up before the answer.
extension CallMachine {
    public static func outgoing(to target: SIPURI, from: SIPNameAddress, local: LocalMediaEndpoint, negotiator: SDPNegotiator, contact: SIPURI,
                                policy: CallPolicy, routeSet: [String], credentials: DigestCredentials?, headers: [(SIPHeaderName, String)] = [],
                                random: RandomSource) -> (CallMachine, [Action]) {
        let dialog = Dialog(uac: random.hex(16), localTag: random.hex(8), local: from, remote: SIPNameAddress(uri: target), target: target,
                            routeSet: routeSet, initialCSeq: UInt32(truncatingIfNeeded: random.next() % 10_000))
        var m = CallMachine(dialog: dialog, policy: policy, negotiator: negotiator, local: local, contact: contact, random: random, genesysCallUUID: nil)
        m.direction = .outgoing
        m.state = .dialing
        m.credentials = credentials
        let offer = m.origin.stamp(negotiator.offer(local: local, origin: m.origin.origin, direction: .sendrecv))
        m.initialOffer = offer
        m.inviteHeaders = headers
        let invite = m.sendInDialog(.invite, body: offer)
        m.ourInvite = invite
        return (m, [.state(.dialing), .send(invite)])
    }

    /// Responses to our initial INVITE.
    mutating func outgoingResponse(_ r: SIPMessage, code: Int) -> [Action] {
        switch code {
        case 100:
            return []
        case 101..<200:
            dialog.establish(from: r)
            guard state == .dialing else { return [] }
            state = .alerting
            return [.state(.alerting)]
        case 200..<300:
            if state == .established {
                // A retransmitted 2xx: our ACK was lost (RFC 3261 §13.2.2.4).
                return lastACK.map { [.send($0)] } ?? []
            }
            dialog.establish(from: r)
            let cseq = (try? r.cseq.number) ?? 0
            let ack = sendInDialog(.ack, cseq: cseq)
            lastACK = ack
            var actions: [Action] = [.send(ack)]
            guard let offer = initialOffer, let answer = try? SessionDescription(parsing: String(decoding: r.body, as: UTF8.self)) else {
                return actions + end(CallEndCause(code: 488, reason: "the 200 carries no SDP answer", remote: false), extra: [.send(sendInDialog(.bye))])
            }
            do throws(SDPError) {
                let s = try negotiator.accept(answer: answer, to: offer, local: local)
                stream = s
                actions.append(.media(s))
                adoptSessionTimer(from: r, asked: sessionTimerRequestHeaders.isEmpty ? nil : sessionTimer?.interval ?? max(policy.sessionExpires, policy.minSE))
                actions += armSessionTimer()
            } catch {
                return actions + end(CallEndCause(code: 488, reason: error.reason, remote: false), extra: [.send(sendInDialog(.bye))])
            }
            state = .established
            return actions + [.state(.established)]
        case 422 where state == .dialing || state == .alerting:
            guard raiseSessionInterval(after: r) else { return end(CallEndCause(code: 422, reason: "session interval refused", remote: true)) }
            var again = sendInDialog(.invite, body: initialOffer)
            if let auth = ourInvite?.headers[.authorization] { again.headers.append(.authorization, auth) }
            if let auth = ourInvite?.headers[.proxyAuthorization] { again.headers.append(.proxyAuthorization, auth) }
            ourInvite = again
            return [.send(again)]
        case 401, 407:
            guard let credentials, !authenticated, let invite = ourInvite,
                  let c = DigestChallenge.best(in: r.headers.lines(code == 401 ? .wwwAuthenticate : .proxyAuthenticate)) else {
                return end(CallEndCause(code: code, reason: "\(code) \(r.statusLine?.reason ?? "")", remote: true))
            }
            authenticated = true
            var again = sendInDialog(.invite, body: initialOffer)
            again.headers.append(code == 401 ? .authorization : .proxyAuthorization,
                                 credentials.authorization(challenge: c, method: "INVITE", uri: invite.requestLine?.uri.description ?? "",
                                                           cnonce: random.hex(8), nonceCount: 1))
            ourInvite = again
            return [.send(again)]
        default:
            guard state == .dialing || state == .alerting else { return [] }
            return end(CallEndCause(code: code, reason: "\(code) \(r.statusLine?.reason ?? "")", remote: true))
        }
    }

    /// Hang-up before the answer: CANCEL the INVITE (same branch and CSeq number, §9.1).
    mutating func cancelOutgoing() -> [Action] {
        guard let invite = ourInvite else { return end(CallEndCause(reason: "hung up", remote: false)) }
        var h = SIPHeaders()
        if let via = invite.headers[.via] { h.append(.via, via) }
        for r in invite.headers.values(.route) { h.append(.route, r) }
        for name in [SIPHeaderName.maxForwards, .from, .to, .callID] { if let v = invite.headers[name] { h.append(name, v) } }
        h.append(.cseq, "\((try? invite.cseq.number) ?? 0) CANCEL")
        h.append(.userAgent, policy.userAgent)
        let cancel = SIPMessage.request(.cancel, uri: invite.requestLine?.uri ?? dialog.remoteTarget, headers: h)
        return end(CallEndCause(code: 487, reason: "cancelled before the answer", remote: false), extra: [.send(cancel)])
    }
}
