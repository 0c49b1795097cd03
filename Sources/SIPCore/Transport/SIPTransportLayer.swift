import Dispatch
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Settings for the listening sockets.
public struct TransportConfiguration: Sendable {
    /// Address to bind; nil binds the IPv4 and IPv6 wildcards.
    public var localAddress: String?
    /// Port for UDP and TCP alike; 0 lets the kernel pick one (shared by both).
    public var localPort: UInt16
    /// Families to open sockets for when binding wildcards.
    public var families: [SocketAddress.Family]
    public var kinds: Set<SIPTransportKind>
    public var limits: SIPParserLimits
    /// A stream holding a partial message this long without completing it is closed.
    public var streamIdleTimeout: Duration
    /// Accepted connections beyond this are refused.
    public var maxInboundConnections: Int
    /// Client TLS context; nil when TLS is not configured.
    public var tls: TLSContext?

    public init(localAddress: String? = nil, localPort: UInt16 = 0, families: [SocketAddress.Family] = [.ipv4, .ipv6], kinds: Set<SIPTransportKind> = [.udp, .tcp],
                limits: SIPParserLimits = .default, streamIdleTimeout: Duration = .seconds(32),
                maxInboundConnections: Int = 256) {
        self.localAddress = localAddress
        self.localPort = localPort
        self.families = families
        self.kinds = kinds
        self.limits = limits
        self.streamIdleTimeout = streamIdleTimeout
        self.maxInboundConnections = maxInboundConnections
    }
}

/// The transport layer (RFC 3261 §18): UDP sockets and TCP listeners on one
/// port, outbound TCP connections reused per peer, parsing of what arrives,
/// and the received/rport rules for requests.
///
/// `@unchecked Sendable` boundary: every member is used only on `queue`.
public final class SIPTransportLayer: @unchecked Sendable {
    public let queue: DispatchQueue
    public let configuration: TransportConfiguration
    let logger: Logger

    var udpSockets: [SocketAddress.Family: UDPSocket] = [:]
    var listeners: [SocketAddress.Family: TCPListener] = [:]
    var connections: [UInt64: TCPConnection] = [:]
    var outboundByPeer: [PeerKey: UInt64] = [:]
    var nextConnectionID: UInt64 = 1
    var sweepTimer: DispatchSourceTimer?
    public private(set) var port: UInt16 = 0

    /// A parsed message arrived.
    public var onMessage: ((InboundMessage) -> Void)?
    /// A message failed to parse; the destination is where a 400 could go.
    public var onParseError: ((SIPParseError, TransportDestination) -> Void)?
    /// A stream connection ended (id, peer, reason).
    public var onConnectionClosed: ((UInt64, SocketAddress, SIPTransportFailure) -> Void)?
    /// An ICMP error said a UDP destination is unreachable.
    public var onUnreachable: ((SocketAddress, String) -> Void)?
    /// Further observers of closed connections (registrations watching their flow).
    var closeObservers: [UInt64: (UInt64, SocketAddress, String) -> Void] = [:]
    /// Observers of RFC 5626 pongs (connection id).
    var pongObservers: [UInt64: (UInt64) -> Void] = [:]
    var nextObserverID: UInt64 = 1
    /// Local address the kernel routes from, per remote IP (see `advertisedAddress`).
    var routeCache: [String: String] = [:]

    public init(configuration: TransportConfiguration, queue: DispatchQueue, logger: Logger) {
        self.configuration = configuration
        self.queue = queue
        self.logger = logger
    }

    /// Binds the sockets; call on `queue`. Throws when nothing could be bound.
    public func start() throws(TransportError) {
        var addresses: [SocketAddress] = []
        if let a = configuration.localAddress, !a.isEmpty {
            guard let addr = SocketAddress(ip: a, port: configuration.localPort) else {
                throw TransportError(operation: "bind", address: a, reason: "not a numeric IP address")
            }
            addresses = [addr]
        } else {
            addresses = configuration.families.sorted { $0 == .ipv4 && $1 == .ipv6 }.map {
                SocketAddress(ip: $0 == .ipv4 ? "0.0.0.0" : "::", port: configuration.localPort)!
            }
        }
        // With a kernel-chosen port, UDP gets one and TCP must take the same:
        // if another socket holds it for TCP, start over with a new one.
        let attempts = configuration.localPort == 0 ? 20 : 1
        for attempt in 1...attempts {
            do throws(TransportError) {
                try bindAll(addresses)
                startSweep()
                return
            } catch {
                closeSockets()
                if attempt == attempts { throw error }
            }
        }
    }

    private func bindAll(_ addresses: [SocketAddress]) throws(TransportError) {
        var port = configuration.localPort
        for (index, base) in addresses.enumerated() {
            let addr = SocketAddress(ip: base.ip, port: port)!
            do throws(TransportError) {
                try bind(addr)
                if port == 0 { port = udpSockets[addr.family]?.local.port ?? listeners[addr.family]?.local.port ?? 0 }
            } catch {
                // The IPv6 wildcard is optional (hosts with IPv6 disabled).
                if index == 0 { throw error }
                logger.notice("IPv6 sockets not opened", metadata: ["reason": "\(error)"])
            }
        }
        self.port = port
    }

    private func closeSockets() {
        udpSockets.values.forEach { $0.shutdown() }
        listeners.values.forEach { $0.shutdown() }
        udpSockets.removeAll()
        listeners.removeAll()
    }

    private func bind(_ addr: SocketAddress) throws(TransportError) {
        if configuration.kinds.contains(.udp) {
            let udp = try UDPSocket(bind: addr, queue: queue)
            udp.onUnreachable = { [weak self] dest, why in
                self?.logger.info("UDP destination unreachable", metadata: ["to": "\(dest)", "reason": "\(why)"])
                self?.onUnreachable?(dest, why)
            }
            udp.start { [weak self] bytes, from in self?.datagram(bytes, from: from, local: udp.local) }
            udpSockets[addr.family] = udp
        }
        if configuration.kinds.contains(.tcp) {
            let tcpAddr = SocketAddress(ip: addr.ip, port: udpSockets[addr.family]?.local.port ?? addr.port)!
            let listener = try TCPListener(bind: tcpAddr, queue: queue)
            listener.start { [weak self] fd, remote in self?.accepted(fd, remote: remote) }
            listeners[addr.family] = listener
        }
    }

    /// Closes every socket and connection; call on `queue`.
    public func shutdown() {
        sweepTimer?.cancel()
        sweepTimer = nil
        for c in connections.values { c.close(reason: "transport shut down") }
        connections.removeAll()
        outboundByPeer.removeAll()
        closeSockets()
    }

    // MARK: Receiving

    private func datagram(_ bytes: [UInt8], from: SocketAddress, local: SocketAddress) {
        // RFC 5626 §4.4.1 keep-alive on UDP is STUN; bare CRLFs are ignored.
        if bytes.allSatisfy({ $0 == 0x0D || $0 == 0x0A }) { return }
        do throws(SIPParseError) {
            let message = try SIPMessage.parse(bytes, limits: configuration.limits)
            deliver(message, source: from, kind: .udp, connectionID: nil, local: local)
        } catch {
            // A 400 follows the same §18.2.2 rule when the top Via can be read.
            let via = error.partialHeaders?.values(.via).first.flatMap { try? SIPVia(parsing: $0) }
            onParseError?(error, TransportDestination(kind: .udp, address: InboundMessage.responseAddress(topVia: via, source: from)))
        }
    }

    private func accepted(_ fd: Int32, remote: SocketAddress) {
        let inbound = connections.values.reduce(0) { $0 + ($1.outbound ? 0 : 1) }
        guard inbound < configuration.maxInboundConnections else {
            logger.warning("refusing TCP connection: too many", metadata: ["peer": "\(remote)"])
            Glibc.close(fd)
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let c = TCPConnection(id: id, acceptedFD: fd, remote: remote, queue: queue, limits: configuration.limits)
        wire(c)
        connections[id] = c
        c.start()
    }

    func wire(_ c: TCPConnection) {
        c.onFrame = { [weak self] conn, frame in self?.frame(frame, on: conn) }
        c.onClose = { [weak self] conn, reason in
            guard let self else { return }
            self.connections[conn.id] = nil
            for (k, v) in self.outboundByPeer where v == conn.id { self.outboundByPeer[k] = nil }
            self.logger.info("TCP connection closed", metadata: ["peer": "\(conn.remote)", "reason": "\(reason)"])
            self.onConnectionClosed?(conn.id, conn.remote, reason)
            for o in self.closeObservers.values { o(conn.id, conn.remote, reason.reason) }
        }
    }

    private func frame(_ frame: SIPStreamFramer.Frame, on c: TCPConnection) {
        let local = c.local ?? SocketAddress(ip: "0.0.0.0", port: port)!
        switch frame {
        case .message(let m):
            deliver(m, source: c.remote, kind: c.isTLS ? .tls : .tcp, connectionID: c.id, local: local)
        case .invalid(let error):
            onParseError?(error, TransportDestination(kind: c.isTLS ? .tls : .tcp, address: c.remote, connectionID: c.id))
        case .pong:
            for o in pongObservers.values { o(c.id) }
        case .ping:
            break
        }
    }

    private func deliver(_ message: SIPMessage, source: SocketAddress, kind: SIPTransportKind, connectionID: UInt64?, local: SocketAddress) {
        var message = message
        if message.isRequest { Self.stampReceived(&message, source: source) }
        onMessage?(InboundMessage(message: message, source: source, kind: kind, connectionID: connectionID, local: local))
    }

    /// RFC 3261 §18.2.1 and RFC 3581 §4: record the source address and port
    /// in the top Via so that responses find their way back.
    static func stampReceived(_ message: inout SIPMessage, source: SocketAddress) {
        guard let first = message.headers.lines(.via).first else { return }
        var values = HeaderValueSplitter.split(first)
        guard var via = try? SIPVia(parsing: values[0]) else { return }
        var changed = false
        if via.host != source.ip {
            via.parameters.set("received", source.ip)
            changed = true
        }
        if case .some(.none) = via.rport {
            via.parameters.set("rport", String(source.port))
            if !changed { via.parameters.set("received", source.ip) }
            changed = true
        }
        guard changed else { return }
        values[0] = via.description
        message.headers.replaceFirst(.via, with: values.joined(separator: ", "))
    }
}

/// Outbound connections are reused per transport and peer.
struct PeerKey: Hashable {
    var kind: SIPTransportKind
    var address: SocketAddress
}
