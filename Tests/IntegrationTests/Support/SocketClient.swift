import Foundation
import SIPCore

/// Runs blocking work off the cooperative thread pool.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: work()) } }
}

/// A blocking UDP or TCP client socket for talking to the daemon and the
/// registrar; every receive is bounded by a timeout.
final class SocketClient: @unchecked Sendable {
    let fd: Int32
    let stream: Bool

    init(udpTo host: String, port: UInt16) throws {
        fd = socket(host.contains(":") ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        stream = false
        try connectTo(host, port)
    }

    /// An unconnected UDP socket bound to `ip:port` (0 = any port), for
    /// receiving responses routed by the RFC 3261 §18.2.2 Via rules.
    init(udpBoundTo ip: String, port: UInt16) throws {
        fd = socket(ip.contains(":") ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        stream = false
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        // On failure deinit closes the fd (it runs for a class whose init
        // throws once every property is set): closing it here too would
        // close a number another thread may already have been given.
        guard let addr = SocketAddress(ip: ip, port: port), addr.withSockAddr({ bind(fd, $0, $1) }) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE)
        }
    }

    /// Sends a datagram to `host:port` from this (unconnected) socket.
    func send(_ bytes: [UInt8], to host: String, port: UInt16) {
        guard let addr = SocketAddress(ip: host, port: port) else { return }
        _ = bytes.withUnsafeBytes { b in addr.withSockAddr { sendto(fd, b.baseAddress, b.count, 0, $0, $1) } }
    }

    init(tcpTo host: String, port: UInt16) throws {
        fd = socket(host.contains(":") ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        stream = true
        try connectTo(host, port)
    }

    private func connectTo(_ host: String, _ port: UInt16) throws {
        guard let addr = SocketAddress(ip: host, port: port) else { throw POSIXError(.EINVAL) }
        let rc = addr.withSockAddr { connect(fd, $0, $1) }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    var localPort: UInt16 {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return withUnsafePointer(to: &ss) { p in
            p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    enum Received: Sendable, Equatable {
        case data([UInt8])
        case closed
        case timeout
    }

    /// One read (a datagram, or what a stream has), bounded by `timeout`.
    func receive(timeout: Duration) async -> Received {
        let fd = self.fd
        return await offPool {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            guard poll(&pfd, 1, ms) > 0 else { return .timeout }
            var buf = [UInt8](repeating: 0, count: 70_000)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return .closed }
            if n < 0 { return errno == ECONNRESET ? .closed : .timeout }
            return .data(Array(buf[0..<n]))
        }
    }

    /// Receives SIP messages until one satisfies `done`; returns all of them.
    func receiveMessages(timeout: Duration, until done: (SIPMessage) -> Bool) async -> [SIPMessage] {
        var out: [SIPMessage] = []
        var framer = SIPStreamFramer()
        let deadline = ContinuousClock.now + timeout
        // Past the deadline, what is already queued is still read (a zero poll):
        // on a loaded machine the hop to the reading thread can eat the whole
        // wait, and a message left behind would be blamed on the next exchange.
        for _ in 0..<10_000 { // bounded even against a peer that never stops sending
            let left = max(deadline - ContinuousClock.now, .zero)
            guard case .data(let bytes) = await receive(timeout: left) else { break }
            if stream {
                framer.append(bytes)
                // Keep-alive pongs between messages are skipped, not the end of the batch.
                while let frame = try? framer.next() {
                    guard case .message(let m) = frame else { continue }
                    out.append(m)
                    if done(m) { return out }
                }
            } else if let m = try? SIPMessage.parse(bytes) {
                out.append(m)
                if done(m) { return out }
            }
        }
        return out
    }

    deinit { close(fd) }
}

/// An OPTIONS request with a known Call-ID, used as a probe.
func optionsProbe(to host: String, port: UInt16, callID: String, transport: String = "UDP", localPort: UInt16) -> String {
    let host = host.contains(":") ? "[\(host)]" : host
    return "OPTIONS sip:probe@\(host):\(port) SIP/2.0\r\n" +
        "Via: SIP/2.0/\(transport) 127.0.0.1:\(localPort);branch=z9hG4bK-\(callID)\r\n" +
        "Max-Forwards: 70\r\nFrom: <sip:probe@test>;tag=p\r\nTo: <sip:probe@\(host)>\r\n" +
        "Call-ID: \(callID)\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
}
