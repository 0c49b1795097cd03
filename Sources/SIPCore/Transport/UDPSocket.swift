import CSIPShims
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A nonblocking UDP socket driven by a Dispatch read source.
///
/// `@unchecked Sendable` boundary: every member is used only on `queue`
/// (the stack's serial queue), which owns the fd and the source.
final class UDPSocket: @unchecked Sendable {
    let queue: DispatchQueue
    let local: SocketAddress
    private let reader: ReadSource
    /// Wakes on an ICMP error alone: the read source above wakes only for
    /// data, so without this an error toward a peer that never answers (a
    /// registrar that is down at start-up) would sit unread until Timer F.
    private let errorWatch: ReadSource?
    /// Internal (not private) so tests can watch the socket's pending error.
    var fd: Int32 { reader.fd }
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    init(bind address: SocketAddress, queue: DispatchQueue) throws(TransportError) {
        let fd = try SocketOps.open(address.family, stream: false)
        try SocketOps.bind(fd, address, reuse: false)
        self.reader = ReadSource(fd: fd)
        let watch = csip_error_watch_fd(fd)
        self.errorWatch = watch >= 0 ? ReadSource(fd: watch) : nil
        self.queue = queue
        self.local = SocketOps.localAddress(fd) ?? address
        // Ask for ICMP errors (port/host unreachable) on the error queue, so a
        // dead UDP peer is noticed at once instead of at a timeout.
        var on: Int32 = 1
        if address.family == .ipv4 {
            setsockopt(fd, Int32(IPPROTO_IP), IP_RECVERR, &on, socklen_t(MemoryLayout<Int32>.size))
        } else {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_RECVERR, &on, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Called with the destination an ICMP error was about.
    var onUnreachable: ((SocketAddress, String) -> Void)?

    /// Reads the ICMP errors queued on the socket (bounded per wake-up).
    private func drainErrors() {
        for _ in 0..<16 {
            var ss = sockaddr_storage()
            var payload = [UInt8](repeating: 0, count: 512)
            var control = [UInt8](repeating: 0, count: 512)
            let n: Int = payload.withUnsafeMutableBytes { p in
                control.withUnsafeMutableBytes { c in
                    withUnsafeMutablePointer(to: &ss) { name in
                        var iov = iovec(iov_base: p.baseAddress, iov_len: p.count)
                        return withUnsafeMutablePointer(to: &iov) { iovp in
                            var msg = msghdr()
                            msg.msg_name = UnsafeMutableRawPointer(name)
                            msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                            msg.msg_iov = iovp
                            msg.msg_iovlen = 1
                            msg.msg_control = c.baseAddress
                            msg.msg_controllen = c.count
                            return recvmsg(fd, &msg, Int32(MSG_ERRQUEUE))
                        }
                    }
                }
            }
            if n < 0 { return }
            // msg_name holds the address our datagram was sent to.
            if let dest = withUnsafePointer(to: &ss, { SocketAddress(storage: $0) }) {
                onUnreachable?(dest, "ICMP: destination unreachable")
            }
        }
    }

    /// Starts delivering datagrams; call on `queue`.
    func start(onDatagram: @escaping ([UInt8], SocketAddress) -> Void) {
        reader.start(queue: queue) { [weak self] in self?.drain(onDatagram) }
        errorWatch?.start(queue: queue) { [weak self] in self?.drainErrors() }
    }

    private func drain(_ onDatagram: ([UInt8], SocketAddress) -> Void) {
        drainErrors()
        // Bounded: at most 64 datagrams per wake-up so one flood cannot starve timers.
        for _ in 0..<64 {
            var ss = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = buffer.withUnsafeMutableBytes { b in
                withUnsafeMutablePointer(to: &ss) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &len) }
                }
            }
            if n < 0 {
                // An earlier datagram's ICMP error (see `send`) is not the end
                // of what is queued: read on. EAGAIN and the rest stop here.
                if Self.isAsynchronousError(errno) { continue }
                return
            }
            guard let from = withUnsafePointer(to: &ss, { SocketAddress(storage: $0) }) else { continue }
            onDatagram(Array(buffer[0..<n]), from)
        }
    }

    /// Sends one datagram; returns the failure, if any.
    ///
    /// With IP_RECVERR an ICMP error also sets the socket's pending error,
    /// and the next call on the socket reports it — whatever its destination
    /// — without sending. That error belongs to an earlier datagram (its
    /// destination arrives through the error queue), so it must not fail this
    /// one: one site's dead registrar would otherwise break the other site's
    /// keep-alive. The send is tried again; an error that is this datagram's
    /// own (no route, say) repeats and is reported.
    func send(_ bytes: [UInt8], to destination: SocketAddress) -> SIPTransportFailure? {
        for _ in 0..<4 {
            let n = bytes.withUnsafeBytes { b in destination.withSockAddr { sendto(fd, b.baseAddress, b.count, 0, $0, $1) } }
            if n >= 0 { return nil }
            if !Self.isAsynchronousError(errno) { break }
        }
        // Still refused or unroutable: this datagram's own error (no route).
        return SIPTransportFailure(Self.isAsynchronousError(errno) ? .unreachable : .other, errnoText())
    }

    /// Errors an ICMP message can leave pending on the socket.
    private static func isAsynchronousError(_ e: Int32) -> Bool {
        e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN || e == ENOPROTOOPT
    }

    /// Stops reading and closes the socket.
    func shutdown() {
        errorWatch?.shutdown()
        reader.shutdown()
    }

}
