/// Answering an INVITE (initial or re-INVITE): the 2xx with our answer, or
/// with our offer when the INVITE carried none (RFC 3725 flow I, SIP
/// Server's retrieve), retransmitted until the ACK (RFC 3261 §13.3.1.4).
extension CallMachine {
    mutating func answer() -> [Action] {
        guard let invite else { return [] }
        var actions: [Action] = [.cancel(.autoAnswer), .cancel(.ring)]
        if let a = pendingAnswer, let s = pendingStream {
            actions += [.respond(send2xx(to: invite, sdp: a)), .media(s)]
            stream = s
            pendingAnswer = nil
            pendingStream = nil
        } else {
            // No offer in the INVITE: ours goes in the 2xx, the answer comes in the ACK.
            let offer = origin.stamp(negotiator.offer(local: local, origin: origin.origin, direction: localDirection))
            offerInResponse = offer
            actions.append(.respond(send2xx(to: invite, sdp: offer)))
        }
        if state == .ringing {
            state = .connecting
            actions.append(.state(.connecting))
        }
        retransmitInterval = policy.t1
        actions += [.schedule(.retransmit2xx, retransmitInterval), .schedule(.ackTimeout, policy.t1 * 64)]
        return actions + armSessionTimer()
    }

    mutating func send2xx(to request: SIPMessage, sdp: SessionDescription) -> SIPMessage {
        let r = response(to: request, 200, "OK", sdp: sdp, extra: acceptSessionTimer(for: request))
        final2xx = r
        return r
    }

    /// The ACK for our 2xx: stop retransmitting; apply the answer to an offer we made in the 2xx.
    mutating func ack(_ r: SIPMessage) -> [Action] {
        guard let invite, let cseq = try? r.cseq.number, cseq == (try? invite.cseq.number) else { return [] }
        var actions: [Action] = [.cancel(.retransmit2xx), .cancel(.ackTimeout)]
        self.invite = nil
        final2xx = nil
        if let offer = offerInResponse {
            offerInResponse = nil
            let answer = try? SessionDescription(parsing: String(decoding: r.body, as: UTF8.self))
            do throws(SDPError) {
                guard let answer else { throw SDPError(.answerMismatch, "the ACK carries no SDP answer to the offer in our 200") }
                let s = try negotiator.accept(answer: answer, to: offer, local: local)
                stream = s
                actions.append(.media(s))
                updateRemoteHold(offered: answer, stream: s, into: &actions)
            } catch {
                // §13.3.1.4: no usable answer in the ACK ends the call.
                return actions + end(CallEndCause(code: 488, reason: error.reason, remote: false), extra: [.send(sendInDialog(.bye))])
            }
        }
        if state == .connecting {
            state = .established
            dialog.confirmed = true
            actions.append(.state(.established))
        }
        if byeAfterAck {
            return actions + end(CallEndCause(reason: "hung up", remote: false), extra: [.send(sendInDialog(.bye))])
        }
        return actions
    }

    mutating func timer(_ t: Timer) -> [Action] {
        switch t {
        case .autoAnswer:
            return state == .ringing ? answer() : []
        case .ring:
            guard state == .ringing, let invite else { return [] }
            return end(CallEndCause(code: 480, reason: "not answered within \(policy.ringTimeout)", remote: false),
                       extra: [.respond(response(to: invite, 480, "Temporarily Unavailable"))])
        case .retransmit2xx:
            guard let r = final2xx else { return [] }
            retransmitInterval = min(retransmitInterval * 2, policy.t2)
            return [.respond(r), .schedule(.retransmit2xx, retransmitInterval)]
        case .ackTimeout:
            guard final2xx != nil else { return [] }
            // §13.3.1.4: no ACK for 64·T1 — the session is ended with BYE.
            final2xx = nil
            invite = nil
            return end(CallEndCause(code: 408, reason: "no ACK for our 200", remote: false), extra: [.cancel(.retransmit2xx), .send(sendInDialog(.bye))])
        case .glare:
            guard let on = pendingHold else { return [] }
            pendingHold = nil
            return hold(on)
        case .sessionRefresh:
            return refreshSession()
        case .sessionExpiry:
            return sessionExpired()
        }
    }

    /// The far end holds us when its SDP says it does not want our audio
    /// (sendonly, inactive, or the c=0.0.0.0 convention).
    mutating func updateRemoteHold(offered sdp: SessionDescription, stream s: NegotiatedStream, into actions: inout [Action]) {
        guard let m = sdp.media.first(where: { $0.port != 0 }) else { return }
        var d = m.direction()
        if (m.connection ?? sdp.connection)?.isUnspecified == true { d = d.intersection(.sendonly) }
        let held = !d.receives
        if held != remoteHold {
            remoteHold = held
            actions.append(.held(local: localHold, remote: remoteHold))
        }
    }
}
