import CSIPShims
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A listening TCP socket; accepted connections are handed to `onAccept`.
///
/// `@unchecked Sendable` boundary: used only on `queue`.
final class TCPListener: @unchecked Sendable {
    let local: SocketAddress
    private let reader: ReadSource
    private let queue: DispatchQueue

    init(bind address: SocketAddress, queue: DispatchQueue) throws(TransportError) {
        let fd = try SocketOps.open(address.family, stream: true)
        try SocketOps.bind(fd, address, reuse: true)
        guard listen(fd, 128) == 0 else {
            let why = errnoText()
            close(fd)
            throw TransportError(operation: "listen", address: address.description, reason: why)
        }
        self.reader = ReadSource(fd: fd)
        self.queue = queue
        self.local = SocketOps.localAddress(fd) ?? address
    }

    func start(onAccept: @escaping (Int32, SocketAddress) -> Void) {
        let fd = reader.fd
        reader.start(queue: queue) {
            // Bounded per wake-up; the source fires again while more are queued.
            for _ in 0..<32 {
                var ss = sockaddr_storage()
                var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let client = withUnsafeMutablePointer(to: &ss) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        csip_accept_nonblocking(fd, $0, &len)
                    }
                }
                if client < 0 { return }
                guard let remote = withUnsafePointer(to: &ss, { SocketAddress(storage: $0) }) else {
                    close(client)
                    continue
                }
                onAccept(client, remote)
            }
        }
    }

    func shutdown() { reader.shutdown() }
}
