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
    private var fd: Int32 { reader.fd }
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    init(bind address: SocketAddress, queue: DispatchQueue) throws(TransportError) {
        let fd = try SocketOps.open(address.family, stream: false)
        try SocketOps.bind(fd, address, reuse: false)
        self.reader = ReadSource(fd: fd)
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
            if n < 0 { return } // EAGAIN, or an ICMP error surfaced on the socket
            guard let from = withUnsafePointer(to: &ss, { SocketAddress(storage: $0) }) else { continue }
            onDatagram(Array(buffer[0..<n]), from)
        }
    }

    /// Sends one datagram; returns an error text on failure.
    func send(_ bytes: [UInt8], to destination: SocketAddress) -> String? {
        let n = bytes.withUnsafeBytes { b in destination.withSockAddr { sendto(fd, b.baseAddress, b.count, 0, $0, $1) } }
        return n < 0 ? errnoText() : nil
    }

    /// Stops reading and closes the socket.
    func shutdown() { reader.shutdown() }

}
