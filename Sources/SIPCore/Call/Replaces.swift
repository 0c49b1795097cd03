/// The `Replaces` header (RFC 3891): which of our dialogs a new INVITE
/// takes the place of — `call-id;to-tag=...;from-tag=...[;early-only]`,
/// the tags as the receiver sees its dialog (to-tag is ours).
struct Replaces: Equatable {
    var callID: String
    var toTag: String
    var fromTag: String
    var earlyOnly: Bool

    init(callID: String, toTag: String, fromTag: String, earlyOnly: Bool) {
        self.callID = callID
        self.toTag = toTag
        self.fromTag = fromTag
        self.earlyOnly = earlyOnly
    }

    init?(_ value: String) {
        let parts = value.split(separator: ";").map { String($0).trimmingWhitespace }
        guard let id = parts.first, !id.isEmpty else { return nil }
        callID = id
        var to: String?, from: String?
        earlyOnly = false
        for p in parts.dropFirst() {
            // A parameter that is only "=" splits into nothing: skipped, not indexed.
            let kv = p.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace }
            guard let name = kv.first else { continue }
            switch name.lowercased() {
            case "to-tag" where kv.count == 2: to = kv[1]
            case "from-tag" where kv.count == 2: from = kv[1]
            case "early-only": earlyOnly = true
            default: break
            }
        }
        guard let to, let from else { return nil }
        toTag = to
        fromTag = from
    }

    /// Whether `call` is the dialog named, in a state it may be replaced in:
    /// confirmed, or an early dialog we placed (§3: an incoming early
    /// dialog is not replaced, and `early-only` refuses a confirmed one).
    func matches(_ call: CallMachine) -> Bool {
        let d = call.dialog
        guard d.callID == callID, d.localTag == toTag, d.remoteTag == fromTag, call.state != .terminated else { return false }
        let confirmed = call.state == .established || call.state == .connecting
        if confirmed { return !earlyOnly }
        return call.direction == .outgoing
    }
}
