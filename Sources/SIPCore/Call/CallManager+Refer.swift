/// Make-call by REFER (RFC 3515), the driver half of ``ReferSubscription``:
/// SIP Server's out-of-dialog REFER is accepted, the endpoint dials the
/// Refer-To target through the active site like any first-party call, and
/// the call's progress goes back to SIP Server in NOTIFYs (100 at once,
/// 180 when the far end rings, then the final answer, which ends the
/// subscription).
extension CallManager {
    func newRefer(_ handle: ServerTransactionHandle) -> Bool {
        let refer = handle.request.message
        let inbound = handle.request
        var sub: ReferSubscription
        do throws(SIPParseError) {
            sub = try ReferSubscription(refer, localTag: random.hex(8), contact: contact(toward: inbound.source, kind: inbound.kind),
                                        userAgent: policy.userAgent, random: random)
        } catch {
            respond(handle, refer, error.code == .badURI ? 403 : 400, (error.code == .badURI ? "Forbidden - " : "Bad Request - ") + error.reason)
            return true
        }
        let flow = TransportDestination(kind: inbound.kind, address: inbound.source, connectionID: inbound.connectionID)
        switch dial(sub.target, headers: sub.inviteHeaders) {
        case .failure(let e):
            // Nothing can be called (no registration, max_calls): say so at once.
            respond(handle, refer, 503, "Service Unavailable - \(e.reason)")
        case .success(let id):
            handle.respond(sub.accepted(refer))
            logger.notice("REFER accepted", metadata: ["call_id": "\(id)", "refer_call_id": "\(refer.callID ?? "?")", "to": "\(sub.target)"])
            refers[id] = (sub, flow)
            // After the 202, which the transaction layer sends from the queue.
            notifyRefer(id, 100, "Trying")
        }
        return true
    }

    /// The REFER-made call moved on: ringing or answered.
    func referProgress(of callID: String, state: CallMachine.State) {
        switch state {
        case .alerting: notifyRefer(callID, 180, "Ringing")
        case .established: notifyRefer(callID, 200, "OK")
        default: break
        }
    }

    /// The REFER-made call ended: its final answer, if none was reported yet.
    func referProgress(of callID: String, ended cause: CallEndCause) {
        guard let r = refers[callID] else { return }
        if !r.subscription.terminated {
            let code = cause.code.map { $0 >= 300 ? $0 : 487 } ?? 487
            let phrase = cause.reason.hasPrefix("\(code) ") ? String(cause.reason.dropFirst(4)) : "Request Terminated"
            notifyRefer(callID, code, phrase.isEmpty ? "Request Terminated" : phrase)
        }
        refers[callID] = nil
    }

    private func notifyRefer(_ callID: String, _ code: Int, _ reason: String) {
        guard var r = refers[callID], let n = r.subscription.notify(code, reason, branch: random.branch()) else { return }
        refers[callID] = r
        let destination = Self.nextHop(of: r.subscription.dialog, flow: r.flow)
        // NOTIFYs keep their order: each goes out after what is already queued (the 202 first).
        stack.queue.async { [weak self] in self?.send(n, toward: destination) }
    }
}
