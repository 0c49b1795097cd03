/// The transports a SIP message can travel over.
public enum SIPTransportKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case udp, tcp, tls

    /// Stream transports deliver reliably: no retransmissions (RFC 3261 §17).
    public var isReliable: Bool { self != .udp }
    /// The token used in Via (`SIP/2.0/UDP`).
    public var viaToken: String { rawValue.uppercased() }
    public var description: String { rawValue }

}

/// Where a message is to go, and how.
public struct TransportDestination: Hashable, Sendable, CustomStringConvertible {
    public var kind: SIPTransportKind
    public var address: SocketAddress
    /// For responses on a stream: the connection the request came in on.
    public var connectionID: UInt64?
    /// TLS: the name the server certificate must match (and SNI).
    public var serverName: String?

    public init(kind: SIPTransportKind, address: SocketAddress, connectionID: UInt64? = nil, serverName: String? = nil) {
        self.kind = kind
        self.address = address
        self.connectionID = connectionID
        self.serverName = serverName
    }

    public var description: String { "\(kind)://\(address)" }
}

/// A message that arrived, with where it came from.
public struct InboundMessage: Sendable {
    public var message: SIPMessage
    public var source: SocketAddress
    public var kind: SIPTransportKind
    /// The stream connection it arrived on (nil for UDP).
    public var connectionID: UInt64?
    /// The local address it arrived at.
    public var local: SocketAddress

    /// Where a response to this message should go (RFC 3261 §18.2.2 with
    /// RFC 3581): on streams, back on the same connection; on UDP to the
    /// address the request came from (`received`) and, with `rport`, the
    /// port it came from, else the port in the Via sent-by (default 5060).
    public var replyDestination: TransportDestination {
        guard kind == .udp else { return TransportDestination(kind: kind, address: source, connectionID: connectionID) }
        return TransportDestination(kind: .udp, address: Self.responseAddress(topVia: message.topVia, source: source))
    }

    /// The §18.2.2 UDP rule for a request's top Via and its source.
    public static func responseAddress(topVia via: SIPVia?, source: SocketAddress) -> SocketAddress {
        guard let via, via.rport == nil else { return source }
        return SocketAddress(ip: source.ip, port: via.port ?? 5060) ?? source
    }
}
