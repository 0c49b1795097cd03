import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension SIPTransportLayer {
    /// Sends a message (RFC 3261 §18.1.1 / §18.2.2). Streams reuse an open
    /// connection to the same peer, or connect; `completion` gets nil once
    /// the bytes are handed to the kernel or queued on an open/connecting
    /// stream, or the failure. Runs on `queue`; `completion` too.
    public func send(_ message: SIPMessage, to destination: TransportDestination, completion: ((SIPTransportFailure?) -> Void)? = nil) {
        let bytes = message.serialize()
        if logger.logLevel <= .debug {
            logger.debug("SIP sending", metadata: ["to": "\(destination)", "message": "\(SIPTrace.redacted(message))"])
        }
        switch destination.kind {
        case .udp:
            guard let socket = udpSockets[destination.address.family] else {
                completion?(SIPTransportFailure(.other, "no \(destination.address.family) UDP socket"))
                return
            }
            let error = socket.send(bytes, to: destination.address)
            if let error { logger.info("UDP send failed", metadata: ["to": "\(destination.address)", "reason": "\(error)"]) }
            completion?(error)
        case .tcp, .tls:
            if let id = destination.connectionID, let c = connections[id] {
                c.send(bytes)
                completion?(nil)
                return
            }
            if !message.isRequest, destination.connectionID != nil {
                // §18.2.2: the request's connection is gone; open a new one to the source.
                logger.debug("response connection gone, reconnecting", metadata: ["to": "\(destination.address)"])
            }
            if destination.kind == .tls, configuration.tls == nil {
                completion?(SIPTransportFailure(.other, "TLS is not configured"))
                return
            }
            switch connection(to: destination.address, kind: destination.kind, serverName: destination.serverName) {
            case .success(let c):
                c.send(bytes)
                completion?(nil)
            case .failure(let e):
                completion?(SIPTransportFailure(.other, e.description))
            }
        }
    }

    /// The open (or opening) outbound connection to `peer`, or a new one.
    func connection(to peer: SocketAddress, kind: SIPTransportKind, serverName: String?) -> Result<TCPConnection, TransportError> {
        let key = PeerKey(kind: kind, address: peer)
        if let id = outboundByPeer[key], let c = connections[id], c.state != .closed { return .success(c) }
        // An inbound connection from the same address:port serves too (RFC 5923 spirit).
        if let c = connections.values.first(where: { $0.remote == peer && $0.state == .open && $0.isTLS == (kind == .tls) }) { return .success(c) }
        let id = nextConnectionID
        nextConnectionID += 1
        do throws(TransportError) {
            let bindTo = listeners[peer.family].map { l -> SocketAddress in
                l.local.isWildcard ? SocketAddress(ip: peer.family == .ipv4 ? "0.0.0.0" : "::", port: 0)! : SocketAddress(ip: l.local.ip, port: 0)!
            }
            let tls = kind == .tls ? configuration.tls.map { ($0, serverName ?? peer.ip) } : nil
            let c = try TCPConnection(id: id, connectTo: peer, from: bindTo, queue: queue, limits: configuration.limits, tls: tls)
            wire(c)
            c.onOpen = { [weak self] conn in
                self?.logger.info("\(conn.isTLS ? "TLS" : "TCP") connection open", metadata: [
                    "peer": "\(conn.remote)", "local": "\(conn.local.map { "\($0)" } ?? "?")",
                ])
            }
            connections[id] = c
            outboundByPeer[key] = id
            c.start()
            return .success(c)
        } catch {
            return .failure(error)
        }
    }

    /// The address:port to put in Via and Contact for messages toward
    /// `remote`: the bound address, or the routing choice when bound to a
    /// wildcard, with the listening port. The routing lookup costs a socket,
    /// so its answer is kept per remote address until ``forgetRoutes()``
    /// (every REGISTER and keep-alive probe asks).
    public func advertisedAddress(toward remote: SocketAddress) -> SocketAddress {
        if let a = configuration.localAddress, !a.isEmpty, let addr = SocketAddress(ip: a, port: port) { return addr }
        if let ip = routeCache[remote.ip] { return SocketAddress(ip: ip, port: port)! }
        let ip = SocketAddress.localAddress(toward: remote)?.ip ?? (remote.family == .ipv4 ? "127.0.0.1" : "::1")
        routeCache[remote.ip] = ip
        return SocketAddress(ip: ip, port: port)!
    }

    /// The network changed: local addresses must be looked up again.
    public func forgetRoutes() { routeCache.removeAll() }

    /// Sends an RFC 5626 CRLFCRLF ping on the open outbound connection to
    /// `destination`; returns its id, or nil when there is none.
    public func ping(_ destination: TransportDestination) -> UInt64? {
        guard destination.kind.isReliable, let id = outboundByPeer[PeerKey(kind: destination.kind, address: destination.address)],
              let c = connections[id], c.state == .open else { return nil }
        c.send([0x0D, 0x0A, 0x0D, 0x0A])
        return id
    }

    /// The open outbound connection to `destination`, if any.
    public func connectionID(for destination: TransportDestination) -> UInt64? {
        outboundByPeer[PeerKey(kind: destination.kind, address: destination.address)]
    }

    /// Watches closed connections and pongs; returns a token for `removeObserver`.
    public func observe(closed: @escaping (UInt64, SocketAddress, String) -> Void, pong: @escaping (UInt64) -> Void) -> UInt64 {
        let token = nextObserverID
        nextObserverID += 1
        closeObservers[token] = closed
        pongObservers[token] = pong
        return token
    }

    public func removeObserver(_ token: UInt64) {
        closeObservers[token] = nil
        pongObservers[token] = nil
    }

    /// Closes every stream connection (a network change makes them suspect).
    public func closeAllConnections(reason: String) {
        for c in connections.values { c.close(reason: reason) }
    }

    /// True when a stream connection with this id is still open.
    public func isConnectionOpen(_ id: UInt64) -> Bool { connections[id]?.state == .open }

    /// Closes the outbound connection to `destination` if it is still
    /// connecting or in its TLS handshake.
    public func abandonUnopenedConnection(to destination: TransportDestination, reason: String) {
        guard let id = outboundByPeer[PeerKey(kind: destination.kind, address: destination.address)],
              let c = connections[id], c.state == .connecting || c.state == .handshaking else { return }
        c.close(reason: reason)
    }

    /// Closes a stream connection (tests and failover).
    public func closeConnection(_ id: UInt64, reason: String) { connections[id]?.close(reason: reason) }

    /// Number of open stream connections (status and leak tests).
    public var connectionCount: Int { connections.count }

    /// Periodically closes streams stuck on a partial message (slow or
    /// hostile senders, RFC 4475 §3.1.2.2 over TCP).
    func startSweep() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let period = max(configuration.streamIdleTimeout / 4, .milliseconds(100))
        timer.schedule(deadline: .now() + period.dispatch, repeating: period.dispatch)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            let limit = UInt64(self.configuration.streamIdleTimeout.seconds * 1e9)
            for c in self.connections.values where c.hasPartialMessage && now - c.lastActivity.uptimeNanoseconds > limit {
                c.close(reason: "incomplete message not finished within \(self.configuration.streamIdleTimeout)")
            }
        }
        sweepTimer = timer
        timer.resume()
    }
}

extension Duration {
    /// The same span as a Dispatch interval.
    public var dispatch: DispatchTimeInterval {
        let c = components
        return .nanoseconds(Int(c.seconds) * 1_000_000_000 + Int(c.attoseconds / 1_000_000_000))
    }
}
