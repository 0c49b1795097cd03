/// What the agent (control API) or SIP Server's NOTIFY asks us to do, and
/// the answers to our own requests.
extension CallMachine {
    mutating func hangup() -> [Action] {
        switch state {
        case .dialing, .alerting:
            return cancelOutgoing()
        case .ringing:
            guard let invite else { return end(CallEndCause(reason: "hung up", remote: false)) }
            return end(CallEndCause(code: 486, reason: "declined", remote: false), extra: [.respond(response(to: invite, 486, "Busy Here"))])
        case .connecting where final2xx != nil:
            // §15: the callee's BYE waits for the ACK (or its timeout).
            byeAfterAck = true
            return []
        default:
            return end(CallEndCause(reason: "hung up", remote: false), extra: [.send(sendInDialog(.bye))])
        }
    }

    /// DTMF out: RFC 4733 events when negotiated on an 8 kHz audio clock;
    /// otherwise (INFO configured, no telephone-event, or a wideband clock
    /// where event timing would not match the audio's) SIP INFO dtmf-relay,
    /// one request per digit. In-band tones are not generated: such calls get RFC 4733.
    mutating func sendDTMF(_ digits: String, method: DTMFMethod) -> [Action] {
        let valid = digits.uppercased().filter { "0123456789*#ABCD".contains($0) }
        guard state == .established, !valid.isEmpty else { return [] }
        if method != .info, let s = stream, s.telephoneEventPayloadType != nil, s.codec.clockRate == 8000 {
            return [.mediaDTMF(valid)]
        }
        return valid.map { d in
            var info = sendInDialog(.info)
            info.headers.append(.contentType, "application/dtmf-relay")
            info.body = Array("Signal=\(d)\r\nDuration=160\r\n".utf8)
            return .send(info)
        }
    }

    /// Hold or retrieve with our own re-INVITE (sendonly / sendrecv).
    mutating func hold(_ on: Bool) -> [Action] {
        guard state == .established, on != localHold || ourReinvite != nil else { return [] }
        if ourReinvite != nil || invite != nil {
            pendingHold = on // after the transaction in progress
            return []
        }
        return sendReinvite(hold: on)
    }

    /// Our re-INVITE offering sendonly (hold) or sendrecv; also the session refresh.
    mutating func sendReinvite(hold on: Bool, offer again: SessionDescription? = nil) -> [Action] {
        let offer = again ?? origin.stamp(negotiator.offer(local: local, origin: origin.origin, direction: on ? .sendonly : .sendrecv))
        let request = sendInDialog(.invite, body: offer)
        ourReinvite = ((try? request.cseq.number) ?? 0, offer, on)
        return [.send(request)]
    }

    mutating func response(_ r: SIPMessage) -> [Action] {
        guard let code = r.statusCode, let cseq = try? r.cseq else { return [] }
        if direction == .outgoing, cseq.method == .invite, let ours = ourInvite, (try? ours.cseq.number) == cseq.number {
            return outgoingResponse(r, code: code)
        }
        guard code >= 200 else { return [] }
        guard cseq.method == .invite, let ours = ourReinvite, ours.cseq == cseq.number else { return [] }
        ourReinvite = nil
        var actions: [Action] = []
        switch code {
        case 200..<300:
            actions.append(.send(sendInDialog(.ack, cseq: cseq.number)))
            dialog.refreshTarget(from: r)
            adoptSessionTimer(from: r, asked: sessionTimer?.interval)
            actions += armSessionTimer()
            if let answer = try? SessionDescription(parsing: String(decoding: r.body, as: UTF8.self)),
               let s = try? negotiator.accept(answer: answer, to: ours.offer, local: local) {
                stream = s
                localHold = ours.hold
                actions += [.media(s), .held(local: localHold, remote: remoteHold)]
            } else {
                // A 2xx without a usable answer: the dialog cannot go on.
                return actions + end(CallEndCause(code: 488, reason: "re-INVITE answered without usable SDP", remote: false), extra: [.send(sendInDialog(.bye))])
            }
        case 491:
            // §14.1: the Call-ID's owner waits 2.1–4 s, the other side 0–2 s (10 ms units).
            pendingHold = ours.hold
            let wait = direction == .outgoing ? 210 + Int64(random.next() % 190) : Int64(random.next() % 200)
            return [.schedule(.glare, .milliseconds(wait * 10))]
        case 422 where raiseSessionInterval(after: r):
            return sendReinvite(hold: ours.hold)
        case 408, 481:
            return end(CallEndCause(code: code, reason: "re-INVITE: \(r.statusLine?.reason ?? "")", remote: true), extra: [.send(sendInDialog(.bye))])
        default:
            break // refused: the call stays as it was
        }
        if let next = pendingHold, next != localHold {
            pendingHold = nil
            actions += hold(next)
        }
        return actions
    }

    mutating func requestFailed(_ method: SIPMethod, _ why: String) -> [Action] {
        if method == .invite, state == .dialing || state == .alerting {
            return end(CallEndCause(code: 408, reason: "INVITE failed: \(why)", remote: false))
        }
        guard method == .invite, ourReinvite != nil else { return [] }
        ourReinvite = nil
        // §14.1: a re-INVITE that times out ends the dialog.
        return end(CallEndCause(code: 408, reason: "re-INVITE failed: \(why)", remote: false), extra: [.send(sendInDialog(.bye))])
    }
}
