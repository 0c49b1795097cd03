/// What a REGISTER client needs to know (RFC 3261 §10.2).
public struct RegistrationConfiguration: Sendable {
    /// Address of record, `sip:user@domain` (From and To).
    public var aor: SIPURI
    /// Request-URI: the registrar's domain (`sip:domain`).
    public var registrarURI: SIPURI
    /// Digest username (defaults to the AOR user).
    public var authUser: String
    /// Digest password; kept out of every description.
    public var password: String
    /// When set, only challenges from this realm are answered.
    public var realm: String?
    /// Requested binding lifetime in seconds.
    public var expires: UInt32
    /// Base retry interval after a failure (RFC 5626 §4.5 base-time).
    public var retryBase: Duration
    /// Upper bound of the retry interval (RFC 5626 §4.5 max-time).
    public var retryMax: Duration
    /// Retry interval (before jitter) while every target refuses or is
    /// unreachable, i.e. nothing listens there. Such an attempt costs the
    /// registrar nothing, and a short cadence means a registrar that comes
    /// back after any outage has our binding within this interval.
    public var unreachableRetry: Duration
    /// `+sip.instance` URN (RFC 5626 §4.1), stable across restarts.
    public var instanceID: String
    public var userAgent: String
    /// Refreshes happen at a random point in this fraction of the granted
    /// lifetime, so that many agents registered together spread out.
    public var refreshWindow: ClosedRange<Double>
    /// The Call-ID of every REGISTER (RFC 3261 §10.2: one per boot cycle, so a
    /// registrar replaces our binding instead of adding one); nil = a new one.
    public var callID: String?
    /// The CSeq of the first REGISTER (one above the last one sent with this Call-ID).
    public var firstCSeq: UInt32 = 1
    /// Bindings a previous run of this endpoint left (it was killed, or its
    /// address or port changed): the first REGISTER removes them (`expires=0`)
    /// while adding ours, so a restart never piles bindings up at the registrar.
    public var staleContacts: [SIPURI] = []
    /// Fleet storm control: whenever many endpoints are likely to act at
    /// once — a whole floor booting, a network change, a site returning after
    /// an outage, a registrar shedding load — an endpoint's first request
    /// goes at a random point of a window this long (0 = at once), so a
    /// returning registrar sees a ramp instead of a wall. See
    /// ``RegistrationMachine/Event/startSpread(contact:)``.
    public var spread: Duration = .zero
    /// RFC 5626 `reg-id` of this registration's flow (one per site), with
    /// `Supported: outbound`: an outbound registrar binds (instance, reg-id)
    /// to the flow, so reconnecting from a new source port replaces the
    /// binding; others ignore it and match the Contact or `+sip.instance`.
    public var regID: Int?

    public init(aor: SIPURI, registrarURI: SIPURI, authUser: String? = nil, password: String, realm: String? = nil, expires: UInt32 = 3600,
                retryBase: Duration = .seconds(30), retryMax: Duration = .seconds(1800),
                unreachableRetry: Duration = .milliseconds(1500), instanceID: String,
                userAgent: String = "sipendpointd", refreshWindow: ClosedRange<Double> = 0.55...0.85) {
        self.aor = aor
        self.registrarURI = registrarURI
        self.authUser = authUser ?? aor.user ?? ""
        self.password = password
        self.realm = realm
        self.expires = expires
        self.retryBase = retryBase
        self.retryMax = retryMax
        self.unreachableRetry = unreachableRetry
        self.instanceID = instanceID
        self.userAgent = userAgent
        self.refreshWindow = refreshWindow
    }
}

extension RegistrationConfiguration: CustomStringConvertible {
    public var description: String {
        "RegistrationConfiguration(aor: \(aor), registrar: \(registrarURI), authUser: \(authUser), password: <redacted>, expires: \(expires))"
    }
}

/// Where a registration stands, for logs, status and the daemon's API.
public struct RegistrationStatus: Sendable, Equatable, CustomStringConvertible {
    public enum State: String, Sendable {
        case idle, registering, registered, retrying
        /// Credentials rejected: terminal until reconfigured (no retry loop).
        case authFailed = "auth-failed"
        case unregistering, stopped
    }

    public var state: State
    public var reason: String?
    /// Lifetime the registrar granted, when registered.
    public var grantedExpires: UInt32?

    public init(state: State, reason: String? = nil, grantedExpires: UInt32? = nil) {
        self.state = state
        self.reason = reason
        self.grantedExpires = grantedExpires
    }

    public var description: String {
        var s = state.rawValue
        if let grantedExpires { s += " (expires \(grantedExpires)s)" }
        if let reason { s += ": \(reason)" }
        return s
    }
}
