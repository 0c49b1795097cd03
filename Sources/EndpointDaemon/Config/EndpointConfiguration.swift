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
    public var transport: SIPTransportKind = .udp
    public var regTimeout: UInt32 = 1800
    public var regInterval: Duration = .seconds(30)
    public var localAddress: String?
    public var localPort: UInt16 = 0
    public var stateDirectory: String?
    public var logLevel: String = "info"
    public var maxMessageSize: Int = 65_536
    public var timers = TransactionTimers()
    public var shutdownTimeout: Duration = .seconds(5)
    public var streamIncompleteTimeout: Duration = .seconds(32)

    /// Where REGISTER goes: the SBC when set, else the SIP Server; an empty
    /// SBC port means the SIP Server's sip-port.
    public var registerTarget: (host: String, port: UInt16) {
        let host = (sbcRegisterAddress?.isEmpty == false) ? sbcRegisterAddress! : sipServerAddress
        return (host, sbcRegisterPort ?? sipServerPort)
    }

    /// AOR domain: `sipendpoint.domain`, else the SIP Server address.
    public var aorDomain: String { (domain?.isEmpty == false) ? domain! : sipServerAddress }
}

extension EndpointConfiguration: CustomStringConvertible {
    public var description: String {
        "EndpointConfiguration(user: \(user), password: \(password == nil ? "none" : "<redacted>"), server: \(sipServerAddress):\(sipServerPort), transport: \(transport))"
    }
}
