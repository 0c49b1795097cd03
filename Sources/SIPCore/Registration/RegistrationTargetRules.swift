/// A registration target the Genesys options cannot express.
public struct RegistrationTargetError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Where REGISTER goes, exactly as the Genesys SIP Endpoint options define it:
///
/// | sbc-register-address | sbc-register-port | target |
/// |---|---|---|
/// | empty | any | `sip-server-address`, with the port rule below |
/// | host/IP | empty | that host, on the SIP Server's `sip-server-port` |
/// | domain | `0` | DNS SRV of the domain (`_sip._udp`/`_sip._tcp`/`_sips._tcp` by transport) |
/// | host | number | A/AAAA of the host on that port (no SRV) |
/// | IP literal | `0` | error: an address has no SRV records |
public enum RegistrationTargetRules {
    public static func spec(sipServerAddress: String, sipServerPort: UInt16, sbcRegisterAddress: String?,
                            sbcRegisterPort: UInt16?, transport: SIPTransportKind?) throws(RegistrationTargetError) -> SIPTargetSpec {
        let host = (sbcRegisterAddress?.isEmpty == false) ? sbcRegisterAddress! : sipServerAddress
        let port = sbcRegisterPort ?? sipServerPort
        if port == 0 {
            let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            if IPAddressText.isIPLiteral(bare) {
                throw RegistrationTargetError(reason: "port 0 asks for a DNS SRV lookup, but '\(host)' is an IP address, which has no SRV records")
            }
            return SIPTargetSpec(host: host, port: nil, kind: transport)
        }
        return SIPTargetSpec(host: host, port: port, kind: transport ?? .udp)
    }
}
