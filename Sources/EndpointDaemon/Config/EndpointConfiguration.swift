import RTPMedia
import SIPCore

/// The validated settings the daemon runs with.
public struct EndpointConfiguration: Sendable {
    public var user: String
    public var password: String?
    public var passwordFile: String?
    public var authUser: String?
    public var authRealm: String?
    public var domain: String?
    public var sipServerAddress: String
    public var sipServerPort: UInt16 = 5060
    public var sbcRegisterAddress: String?
    /// nil = "use the SIP Server's sip-port" (Genesys rule for an empty value).
    public var sbcRegisterPort: UInt16?
    /// nil: not configured — UDP for numeric ports, NAPTR decides for SRV (port 0).
    public var transport: SIPTransportKind?
    /// `ip:port` nameservers; nil = /etc/resolv.conf.
    public var dnsServers: [SocketAddress]?
    public var enableIPv6 = false
    public var tls = TLSConfiguration()
    // HTTP control port.
    public var controlAddress = "127.0.0.1"
    public var controlPort: UInt16 = 8200
    public var controlAllowedOrigins: [String] = []
    public var controlToken: String?
    public var controlTokenFile: String?
    public var controlTLSCertificateFile: String?
    public var controlTLSPrivateKeyFile: String?
    public var controlRequestTimeout: Duration = .seconds(10)
    // Business Continuity peer site (the `.peer` twins of the target keys).
    public var sipServerAddressPeer: String?
    public var sipServerPortPeer: UInt16?
    public var sbcRegisterAddressPeer: String?
    public var sbcRegisterPortPeer: UInt16?
    /// The preferred site must stand this long before the active site returns to it.
    public var hysteresis: Duration = .seconds(5)
    /// After the registrations (re)start, a preferred site registering within
    /// this window becomes active at once (no hysteresis).
    public var startupGrace: Duration = .seconds(3)
    /// Fleet storm control (`sipendpoint.fleet.spread`): boot, a network
    /// change and a site's return after a lasting outage spread the first
    /// REGISTER over this window (RegistrationConfiguration.spread).
    public var fleetSpread: Duration = .seconds(10)
    /// RFC 5626 reg-id on each site's Contact, with `Supported: outbound` (`sipendpoint.outbound`).
    public var outbound = true
    /// Unmap code pages start-up and call set-up left resident (`sipendpoint.memory.release-unused-code`, ResidentSetTrimmer).
    public var releaseUnusedCode = true
    /// REGISTER's timer F while another RFC 3263 target or the other site
    /// could take the request, unless `sip_transaction_timeout` is set.
    public static let failoverTransactionTimeout: Duration = .seconds(4)
    /// nil: keep-alives off.
    public var keepAlive: KeepAliveSettings? = KeepAliveSettings()
    /// Address families in preference order (`sipendpoint.ip_version`).
    public var ipVersion: [SocketAddress.Family] = [.ipv4, .ipv6]
    public var regTimeout: UInt32 = 1800
    public var regInterval: Duration = .seconds(30)
    public var localAddress: String?
    public var localPort: UInt16 = 0
    public var stateDirectory: String?
    public var logLevel: String = "info"
    /// auto (journald when stderr is the journal), journal, or stderr.
    public var logTarget: String = "auto"
    public var maxMessageSize: Int = 65_536
    public var timers = TransactionTimers()
    public var shutdownTimeout: Duration = .seconds(5)
    public var streamIncompleteTimeout: Duration = .seconds(32)
    /// Calls and media.
    public var calls = CallConfiguration()

    /// Where REGISTER goes (the Genesys rules, see ``RegistrationTargetRules``).
    public func registerTarget() throws(RegistrationTargetError) -> SIPTargetSpec {
        try RegistrationTargetRules.spec(sipServerAddress: sipServerAddress, sipServerPort: sipServerPort,
                                         sbcRegisterAddress: sbcRegisterAddress, sbcRegisterPort: sbcRegisterPort, transport: transport)
    }

    /// Everything the registrations depend on; a reload redoes them only when it differs.
    public var registrationSignature: String {
        [user, password ?? "", authUser ?? "", authRealm ?? "", domain ?? "", sipServerAddress, "\(sipServerPort)",
         sbcRegisterAddress ?? "", "\(sbcRegisterPort.map(String.init) ?? "")", sipServerAddressPeer ?? "",
         "\(sipServerPortPeer.map(String.init) ?? "")", sbcRegisterAddressPeer ?? "", "\(sbcRegisterPortPeer.map(String.init) ?? "")",
         "\(transport.map { "\($0)" } ?? "")", "\(regTimeout)", "\(regInterval)", "\(dnsServers ?? [])", "\(families)",
         "\(keepAlive.map { "\($0)" } ?? "off")", "\(hysteresis)", "\(startupGrace)", "\(fleetSpread)", "\(outbound)"].joined(separator: "\u{1F}")
    }

    /// True when peer settings are present: dual registration.
    public var hasPeer: Bool { sipServerAddressPeer != nil || sbcRegisterAddressPeer != nil }

    /// The peer site's target, by the same rules; its SIP Server defaults to the preferred one's.
    public func peerTarget() throws(RegistrationTargetError) -> SIPTargetSpec {
        try RegistrationTargetRules.spec(sipServerAddress: sipServerAddressPeer ?? sipServerAddress,
                                         sipServerPort: sipServerPortPeer ?? sipServerPort,
                                         sbcRegisterAddress: sbcRegisterAddressPeer, sbcRegisterPort: sbcRegisterPortPeer, transport: transport)
    }

    /// Families actually used: IPv6 only when enabled.
    public var families: [SocketAddress.Family] {
        let f = enableIPv6 ? ipVersion : ipVersion.filter { $0 == .ipv4 }
        return f.isEmpty ? [.ipv4] : f
    }

    /// AOR domain: `sipendpoint.domain`, else the SIP Server address.
    public var aorDomain: String { (domain?.isEmpty == false) ? domain! : sipServerAddress }
}

extension EndpointConfiguration: CustomStringConvertible {
    public var description: String {
        "EndpointConfiguration(user: \(user), password: \(password == nil ? "none" : "<redacted>"), server: \(sipServerAddress):\(sipServerPort), transport: \(transport.map { "\($0)" } ?? "unset"))"
    }
}
