import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import SIPCore

/// The call routes: `GET /v1/calls`, per-call actions, Connector `DELETE /calls`.
extension ControlAPI {
    /// A route path with `{id}` segments matches any one segment there.
    static func matches(template: String, path: String) -> Bool {
        let t = template.split(separator: "/"), p = path.split(separator: "/")
        guard t.count == p.count else { return false }
        return zip(t, p).allSatisfy { $0 == $1 || ($0.hasPrefix("{") && !$1.isEmpty) }
    }

    func callRoute(_ r: HTTPRequest) -> HTTPResponse? {
        let parts = r.path.split(separator: "/").map(String.init)
        switch (r.method, parts.count) {
        case ("POST", 2) where parts == ["v1", "calls"]:
            guard let to = ControlRequest.decode(ControlRequest.PlaceCall.self, r.body)?.to, let uri = try? SIPURI(to), uri.isSIP else {
                return .error(400, "body must be {\"to\": \"sip:user@host\"}")
            }
            let result = service.queue.sync { service.calls.dial(uri) }
            switch result {
            case .success(let id): return .json(201, "{\"id\":\(JSON.string(id))}")
            case .failure(let e): return .error(409, e.reason)
            }
        case ("GET", 2) where parts == ["v1", "calls"]:
            return .json(200, ControlView.encode(ControlView.Calls(calls: snapshot().calls.map(ControlView.Call.init))))
        case ("DELETE", 1) where parts == ["calls"]:
            let n = service.queue.sync { () -> Int in
                let n = service.calls.count
                service.calls.hangupAll()
                return n
            }
            return .json(200, "{\"released\":\(n)}")
        case ("DELETE", 3) where parts[0] == "v1" && parts[1] == "calls":
            return perform(parts[2]) { $0.hangup(parts[2]) }
        case ("POST", 4) where parts[0] == "v1" && parts[1] == "calls":
            let id = parts[2]
            switch parts[3] {
            case "answer": return perform(id) { $0.answer(id) }
            case "hangup": return perform(id) { $0.hangup(id) }
            case "hold": return perform(id) { $0.hold(id, true) }
            case "resume": return perform(id) { $0.hold(id, false) }
            case "dtmf":
                guard let digits = ControlRequest.decode(ControlRequest.DTMF.self, r.body)?.digits, !digits.isEmpty, digits.count <= 64, digits.uppercased().allSatisfy({ "0123456789*#ABCD".contains($0) }) else {
                    return .error(400, "body must be {\"digits\": \"...\"} with 0-9, *, #, A-D (at most 64)")
                }
                return perform(id) { $0.sendDTMF(id, digits) }
            default: return nil
            }
        default:
            return nil
        }
    }

    private func perform(_ id: String, _ body: @escaping (CallManager) -> Bool) -> HTTPResponse {
        let done = service.queue.sync { body(service.calls) }
        return done ? .json(200, "{\"id\":\(JSON.string(id)),\"result\":\"ok\"}") : .error(404, "no such call: \(id)")
    }

    /// Calls ended by outcome, and the live quality of each call.
    func callMetrics(_ snap: ControlSnapshot) -> String {
        let (ended, list) = (snap.endedByOutcome, snap.calls)
        var out = "# HELP sipendpoint_calls_ended_total Calls ended, by outcome (SIP code, remote_bye, local_bye).\n# TYPE sipendpoint_calls_ended_total counter\n"
        for (outcome, n) in ended.sorted(by: { $0.key < $1.key }) { out += "sipendpoint_calls_ended_total{outcome=\"\(outcome)\"} \(n)\n" }
        out += "# HELP sipendpoint_call_answer_delay_seconds From an incoming INVITE to the endpoint's 200 (ringing or auto-answer delay).\n"
            + "# TYPE sipendpoint_call_answer_delay_seconds histogram\n"
        for b in snap.answerDelay.cumulative { out += "sipendpoint_call_answer_delay_seconds_bucket{le=\"\(b.le)\"} \(b.count)\n" }
        out += "sipendpoint_call_answer_delay_seconds_sum \(Self.number(snap.answerDelay.sum))\nsipendpoint_call_answer_delay_seconds_count \(snap.answerDelay.count)\n"
        out += "# HELP sipendpoint_call_mos E-model MOS of each call (whole call and last interval).\n# TYPE sipendpoint_call_mos gauge\n"
        for c in list { if let m = c.media {
            out += "sipendpoint_call_mos{call=\"\(c.id)\",period=\"call\"} \(Self.number(m.localMOS))\n"
            out += "sipendpoint_call_mos{call=\"\(c.id)\",period=\"interval\"} \(Self.number(m.intervalMOS))\n"
        } }
        out += "# HELP sipendpoint_call_packets_lost_total RTP packets lost per call.\n# TYPE sipendpoint_call_packets_lost_total counter\n"
        for c in list { if let m = c.media { out += "sipendpoint_call_packets_lost_total{call=\"\(c.id)\"} \(m.packetsLost)\n" } }
        return out
    }

    static func number(_ d: Double) -> String { Text.figure(d) }
}
