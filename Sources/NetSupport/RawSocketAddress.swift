#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A socket address kept in its kernel form, built once from a
/// ``SocketAddress``: per-packet paths send to it and compare a received
/// source with it without parsing or printing text (no allocation).
public struct RawSocketAddress: Sendable {
    private var storage = sockaddr_storage()
    private let length: socklen_t
    public let family: SocketAddress.Family

    public init(_ address: SocketAddress) {
        family = address.family
        var s = sockaddr_storage()
        length = address.withSockAddr { sa, len in
            withUnsafeMutableBytes(of: &s) { $0.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(len))) }
            return len
        }
        storage = s
    }

    /// Calls `body` with the address as a sockaddr.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }

    /// True when `other` (filled in by recvfrom) has the same IP address, whatever its port.
    public func sameHost(as other: UnsafePointer<sockaddr_storage>) -> Bool {
        guard other.pointee.ss_family == storage.ss_family else { return false }
        return withUnsafePointer(to: storage) { mine in
            switch family {
            case .ipv4:
                let a = UnsafeRawPointer(mine).assumingMemoryBound(to: sockaddr_in.self).pointee.sin_addr.s_addr
                let b = UnsafeRawPointer(other).assumingMemoryBound(to: sockaddr_in.self).pointee.sin_addr.s_addr
                return a == b
            case .ipv6:
                let a = UnsafeRawBufferPointer(start: UnsafeRawPointer(mine) + MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!, count: 16)
                let b = UnsafeRawBufferPointer(start: UnsafeRawPointer(other) + MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!, count: 16)
                return a.elementsEqual(b)
            }
        }
    }
}
