#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error opening or using a socket, naming the operation and address.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public init(operation: String, address: String, reason: String) {
        self.operation = operation
        self.address = address
        self.reason = reason
    }

    public var operation: String
    public var address: String
    public var reason: String
    public var description: String { "\(operation) \(address): \(reason)" }
}

/// Thin wrappers over the BSD socket calls the transports share.
public enum SocketOps {
    public static func open(_ family: SocketAddress.Family, stream: Bool) throws(TransportError) -> Int32 {
        #if canImport(Glibc)
        let type = Int32(stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = stream ? SOCK_STREAM : SOCK_DGRAM
        #endif
        let fd = socket(family == .ipv4 ? AF_INET : AF_INET6, type, 0)
        guard fd >= 0 else { throw TransportError(operation: "socket", address: "\(family)", reason: errnoText()) }
        if family == .ipv6 {
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        return fd
    }

    public static func bind(_ fd: Int32, _ address: SocketAddress, reuse: Bool) throws(TransportError) {
        if reuse {
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        let rc = address.withSockAddr { Glibc.bind(fd, $0, $1) }
        guard rc == 0 else {
            let why = errnoText()
            close(fd)
            throw TransportError(operation: "bind", address: address.description, reason: why)
        }
    }

    public static func localAddress(_ fd: Int32) -> SocketAddress? {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &ss) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { return nil }
        return withUnsafePointer(to: &ss) { SocketAddress(storage: $0) }
    }

    public static func pendingError(_ fd: Int32) -> Int32 {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        return err
    }
}
