/// Requests the far end (or SIP Server) sends inside the call.
extension CallMachine {
    mutating func request(_ r: SIPMessage) -> [Action] {
        guard let method = r.method else { return [] }
        switch method {
        case .ack:
            return ack(r)
        case .cancel:
            return cancel(r)
        default:
            break
        }
        guard dialog.acceptRemoteCSeq(r) else {
            return [.respond(response(to: r, 500, "Server Internal Error - CSeq out of order"))]
        }
        switch method {
        case .bye:
            var actions: [Action] = [.respond(response(to: r, 200, "OK"))]
            if let invite, state == .ringing { actions.append(.respond(response(to: invite, 487, "Request Terminated"))) }
            return end(CallEndCause(reason: "far end hung up", remote: true), extra: actions)
        case .invite:
            return reinvite(r)
        case .update:
            return update(r)
        case .notify:
            return notify(r)
        case .info:
            return info(r)
        case .options:
            return [.respond(response(to: r, 200, "OK", extra: [(.allow, policy.allow), (.accept, "application/sdp")]))]
        default:
            return [.respond(response(to: r, 501, "Not Implemented", extra: [(.allow, policy.allow)]))]
        }
    }

    mutating func cancel(_ r: SIPMessage) -> [Action] {
        var actions: [Action] = [.respond(response(to: r, 200, "OK"))]
        // CANCEL only matters before the final response (§9.2).
        guard state == .ringing, let invite else { return actions }
        actions.append(.respond(response(to: invite, 487, "Request Terminated")))
        return end(CallEndCause(code: 487, reason: "cancelled by the caller", remote: true), extra: actions)
    }

    /// re-INVITE: hold/retrieve with SDP, or SDP-less (our offer in the 200).
    mutating func reinvite(_ r: SIPMessage) -> [Action] {
        if ourReinvite != nil { return [.respond(response(to: r, 491, "Request Pending"))] }
        if let tooSmall = sessionIntervalTooSmall(r) { return [.respond(tooSmall)] }
        if invite != nil {
            // §14.2: an INVITE of theirs is still unacknowledged.
            return [.respond(response(to: r, 500, "Server Internal Error", extra: [(.retryAfter, String(1 + random.next() % 10))]))]
        }
        dialog.refreshTarget(from: r)
        invite = r
        if r.body.isEmpty {
            pendingAnswer = nil
            pendingStream = nil
            return answer()
        }
        switch answerOffer(in: r) {
        case .failure(let e):
            invite = nil
            return refuse(r, e) // the call keeps its previous state
        case .success:
            var actions = answer()
            if let s = stream, let offer = try? SessionDescription(parsing: String(decoding: r.body, as: UTF8.self)) {
                updateRemoteHold(offered: offer, stream: s, into: &actions)
            }
            return actions
        }
    }

    /// UPDATE (RFC 3311): an offer answered in its own 200, no ACK.
    mutating func update(_ r: SIPMessage) -> [Action] {
        if let tooSmall = sessionIntervalTooSmall(r) { return [.respond(tooSmall)] }
        dialog.refreshTarget(from: r)
        guard !r.body.isEmpty else {
            // An UPDATE without SDP is how a session is refreshed cheaply.
            let timer = state == .established ? acceptSessionTimer(for: r) : []
            return [.respond(response(to: r, 200, "OK", extra: timer))] + (state == .established ? armSessionTimer() : [])
        }
        switch answerOffer(in: r) {
        case .failure(let e):
            return refuse(r, e)
        case .success:
            guard let a = pendingAnswer, let s = pendingStream else { return [] }
            pendingAnswer = nil
            pendingStream = nil
            stream = s
            let timer = state == .established ? acceptSessionTimer(for: r) : []
            var actions: [Action] = [.respond(response(to: r, 200, "OK", sdp: a, extra: timer)), .media(s)]
            if state == .established { actions += armSessionTimer() }
            if let offer = try? SessionDescription(parsing: String(decoding: r.body, as: UTF8.self)) { updateRemoteHold(offered: offer, stream: s, into: &actions) }
            return actions
        }
    }

    /// BroadWorks talk/hold events (implicit subscription, no SUBSCRIBE):
    /// talk answers a ringing call or retrieves a held one; hold holds.
    mutating func notify(_ r: SIPMessage) -> [Action] {
        let event = (r.headers[.event] ?? "").split(separator: ";").first.map { String($0).trimmingWhitespace.lowercased() } ?? ""
        switch event {
        case "talk":
            var actions: [Action] = [.respond(response(to: r, 200, "OK"))]
            if state == .ringing { actions += answer() } else if localHold { actions += hold(false) }
            return actions
        case "hold":
            return [.respond(response(to: r, 200, "OK"))] + (state == .established && !localHold ? hold(true) : [])
        default:
            return [.respond(response(to: r, 489, "Bad Event", extra: [(.allowEvents, "talk, hold")]))]
        }
    }

    /// SIP INFO DTMF: `application/dtmf-relay` (Signal=5) or `application/dtmf` (5).
    mutating func info(_ r: SIPMessage) -> [Action] {
        let type = (r.headers[.contentType] ?? "").split(separator: ";").first.map { String($0).trimmingWhitespace.lowercased() } ?? ""
        let body = String(decoding: r.body, as: UTF8.self)
        var digit: Character?
        switch type {
        case "application/dtmf-relay":
            for line in body.split(whereSeparator: { $0 == "\r" || $0 == "\n" }) {
                let kv = line.split(separator: "=", maxSplits: 1)
                if kv.count == 2, String(kv[0]).trimmingWhitespace.lowercased() == "signal" { digit = String(kv[1]).trimmingWhitespace.first }
            }
        case "application/dtmf":
            digit = body.trimmingWhitespace.first
        case "":
            return [.respond(response(to: r, 200, "OK"))]
        default:
            return [.respond(response(to: r, 415, "Unsupported Media Type", extra: [(.accept, "application/dtmf-relay, application/dtmf")]))]
        }
        guard let d = digit, "0123456789*#ABCDabcd".contains(d) else { return [.respond(response(to: r, 400, "Bad Request - no DTMF digit"))] }
        return [.respond(response(to: r, 200, "OK")), .dtmf(Character(d.uppercased()))]
    }
}
