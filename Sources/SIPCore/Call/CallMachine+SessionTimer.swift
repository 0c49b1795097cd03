/// RFC 4028 session timers: SIP Server (or a proxy on the way) may ask that
/// an INVITE dialog be refreshed every so often, so that a dialog whose far
/// end vanished does not hold an agent's line forever. The side named
/// `refresher` sends a re-INVITE (or UPDATE) at half the interval; the other
/// side sends BYE when no refresh came by the interval minus
/// min(32 s, interval/3) (§10).
extension CallMachine {
    /// A `Session-Expires` value: `delta-seconds[;refresher=uac|uas]`.
    struct SessionExpires: Equatable {
        enum Refresher: String { case uac, uas }
        var delta: Int
        var refresher: Refresher?

        init(delta: Int, refresher: Refresher?) {
            self.delta = delta
            self.refresher = refresher
        }

        init?(_ value: String) {
            let parts = value.split(separator: ";").map { String($0).trimmingWhitespace }
            guard let first = parts.first, let d = Int(first), d > 0 else { return nil }
            delta = d
            refresher = nil
            for p in parts.dropFirst() {
                let kv = p.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace.lowercased() }
                if kv.count == 2, kv[0] == "refresher" { refresher = Refresher(rawValue: kv[1]) }
            }
        }

        var header: String { "\(delta)" + (refresher.map { ";refresher=\($0.rawValue)" } ?? "") }
    }

    static let minSEHeader = SIPHeaderName("Min-SE")

    /// The running session timer: its interval and whether we refresh.
    struct SessionTimer: Equatable {
        var interval: Int
        var weRefresh: Bool
    }

    /// 422 for a request that asks for a shorter session than our Min-SE (§9).
    func sessionIntervalTooSmall(_ r: SIPMessage) -> SIPMessage? {
        guard let se = r.headers[.sessionExpires].flatMap(SessionExpires.init), se.delta < policy.minSE else { return nil }
        return response(to: r, 422, "Session Interval Too Small", extra: [(Self.minSEHeader, "\(policy.minSE)")])
    }

    /// The session timer our 2xx to `request` (INVITE or UPDATE, we are its
    /// UAS) sets up, and the headers that say so (§9). A UAC that supports
    /// timers and asked for none gets ours (`policy.sessionExpires`), with
    /// itself as refresher: SIP Server keeps its dialogs alive that way.
    mutating func acceptSessionTimer(for request: SIPMessage) -> [(SIPHeaderName, String)] {
        let uacSupports = request.optionTags(.supported).contains { $0.lowercased() == "timer" }
        var se: SessionExpires
        if let asked = request.headers[.sessionExpires].flatMap(SessionExpires.init) {
            se = asked
            // A UAC without timer support cannot refresh: we do (§9).
            se.refresher = uacSupports ? (asked.refresher ?? .uac) : .uas
        } else if uacSupports, policy.sessionExpires > 0 {
            let theirMin = request.headers[Self.minSEHeader].flatMap { Int($0.split(separator: ";").first.map(String.init)?.trimmingWhitespace ?? "") } ?? 0
            se = SessionExpires(delta: max(policy.sessionExpires, theirMin, policy.minSE), refresher: .uac)
        } else {
            sessionTimer = nil
            return []
        }
        sessionTimer = SessionTimer(interval: se.delta, weRefresh: se.refresher == .uas)
        var headers: [(SIPHeaderName, String)] = [(.sessionExpires, se.header)]
        if uacSupports { headers.append((.require, "timer")) }
        return headers
    }

    /// What the 2xx to our INVITE (initial or re-INVITE) says: we are its
    /// UAC, so `refresher=uac` is us; a 2xx without Session-Expires from a
    /// UAS without timer support leaves us to refresh what we asked (§7.2).
    mutating func adoptSessionTimer(from response: SIPMessage, asked: Int?) {
        if let se = response.headers[.sessionExpires].flatMap(SessionExpires.init) {
            sessionTimer = SessionTimer(interval: se.delta, weRefresh: se.refresher != .uas)
        } else if let asked {
            sessionTimer = SessionTimer(interval: asked, weRefresh: true)
        } else {
            sessionTimer = nil
        }
    }

    /// The headers our INVITEs carry to ask for (or keep) a session timer.
    var sessionTimerRequestHeaders: [(SIPHeaderName, String)] {
        let interval = sessionTimer?.interval ?? (policy.sessionExpires > 0 ? max(policy.sessionExpires, policy.minSE) : 0)
        guard interval > 0 else { return [] }
        // As UAC of a refresh we stay refresher; the first INVITE lets the UAS choose.
        let refresher: SessionExpires.Refresher? = sessionTimer?.weRefresh == true ? .uac : (sessionTimer == nil ? nil : .uas)
        return [(.sessionExpires, SessionExpires(delta: interval, refresher: refresher).header), (Self.minSEHeader, "\(policy.minSE)")]
    }

    /// (Re)start the timer after a successful refresh or the first 2xx.
    func armSessionTimer() -> [Action] {
        var actions: [Action] = [.cancel(.sessionRefresh), .cancel(.sessionExpiry)]
        guard let st = sessionTimer else { return actions }
        if st.weRefresh {
            actions.append(.schedule(.sessionRefresh, .seconds(max(1, st.interval / 2))))
        } else {
            actions.append(.schedule(.sessionExpiry, .seconds(st.interval - min(32, st.interval / 3))))
        }
        return actions
    }

    /// Our refresh is due: a re-INVITE re-offering the SDP we last sent,
    /// unchanged (o= version too, RFC 3264 §8), so nothing about the media
    /// moves. Busy with another transaction, we
    /// try again shortly: that transaction's 2xx refreshes the session too.
    mutating func refreshSession() -> [Action] {
        guard state == .established, sessionTimer?.weRefresh == true else { return [] }
        guard ourReinvite == nil, invite == nil else { return [.schedule(.sessionRefresh, .seconds(2))] }
        return sendReinvite(hold: localHold, offer: origin.last)
    }

    /// No refresh came in time (§10): the session is over.
    mutating func sessionExpired() -> [Action] {
        guard state == .established, let st = sessionTimer, !st.weRefresh else { return [] }
        return end(CallEndCause(code: 408, reason: "session timer expired: no refresh within \(st.interval) s", remote: false),
                   extra: [.send(sendInDialog(.bye))])
    }

    /// 422 to our INVITE: ask again with at least the Min-SE it names (§7.4).
    mutating func raiseSessionInterval(after r: SIPMessage) -> Bool {
        guard let min = r.headers[Self.minSEHeader].flatMap({ Int($0.split(separator: ";").first.map(String.init)?.trimmingWhitespace ?? "") }),
              min > (sessionTimer?.interval ?? policy.sessionExpires), min <= 86_400 else { return false }
        sessionTimer = SessionTimer(interval: min, weRefresh: sessionTimer?.weRefresh ?? true)
        return true
    }
}
