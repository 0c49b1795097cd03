/// How calls are handled (Genesys `policy.session.*` and friends).
public struct CallPolicy: Sendable, Hashable {
    /// Answer every incoming call by itself (`policy.session.auto_answer`).
    public var autoAnswer = false
    /// An unanswered incoming call is refused after this long (480).
    public var ringTimeout: Duration = .seconds(120)
    /// More calls than this at once: 486 Busy Here.
    public var maxCalls = 4
    /// Refuse calls while no headset is present (`reject_session_when_headset_na`), with this code.
    public var rejectWithoutHeadset = false
    public var codeWithoutHeadset = 480
    public var userAgent = "sipendpointd"
    /// T1/T2 for 2xx retransmission (RFC 3261 §13.3.1.4).
    public var t1: Duration = .milliseconds(500)
    public var t2: Duration = .seconds(4)
    /// The methods an endpoint with calls takes (Allow in responses, REGISTER and OPTIONS).
    public static let allowedMethods: [SIPMethod] = [.invite, .ack, .cancel, .bye, .options, .info, .update, .notify, .refer]
    public var allow = CallPolicy.allowedMethods.map(\.rawValue).joined(separator: ", ")
    /// Bodies requests may carry: SDP, and INFO's DTMF (dtmf-relay, dtmf).
    public static let acceptedBodies = ["application/sdp", "application/dtmf-relay", "application/dtmf"]
    /// Option tags we implement (Supported; a Require naming others gets 420).
    public static let optionTags = ["timer", "replaces", "norefersub"]
    public var supported = CallPolicy.optionTags.joined(separator: ", ")
    /// RFC 4028: the session interval we ask for (and grant a UAC that
    /// supports timers but asked for none), seconds; 0 = ask for none.
    public var sessionExpires = 1800
    /// The shortest session interval we accept (Min-SE, ≥ 90 per RFC 4028).
    public var minSE = 90

    public init() {}
}

/// Why a call ended.
public struct CallEndCause: Sendable, Hashable, CustomStringConvertible {
    public var code: Int?
    public var reason: String
    /// True when the far end (or SIP Server) ended it.
    public var remote: Bool

    public init(code: Int? = nil, reason: String, remote: Bool) {
        self.code = code
        self.reason = reason
        self.remote = remote
    }

    public var description: String { (code.map { "\($0) " } ?? "") + reason + (remote ? " (remote)" : " (local)") }
}
