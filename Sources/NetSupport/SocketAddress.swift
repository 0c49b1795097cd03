#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A numeric IP address and port. The address is kept in canonical text
/// form, which makes it usable as a dictionary key and in Via/Contact.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    public let ip: String
    public let port: UInt16
    public let family: Family

    /// Fails unless `ip` is a numeric IPv4 or IPv6 address (brackets allowed).
    public init?(ip: String, port: UInt16) {
        var text = ip
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if IPAddressText.isIPv4(text) {
            self.ip = text
            self.family = .ipv4
        } else if let v6 = IPAddressText.canonicalIPv6(text) {
            self.ip = v6
            self.family = .ipv6
        } else {
            return nil
        }
        self.port = port
    }

    private init(canonicalIP: String, port: UInt16, family: Family) {
        self.ip = canonicalIP
        self.port = port
        self.family = family
    }

    /// `ip:port`, or `[ip]:port` for IPv6.
    public var description: String { "\(hostForURI):\(port)" }
    public var hostForURI: String { family == .ipv6 ? "[\(ip)]" : ip }
    public var isWildcard: Bool { ip == "0.0.0.0" || ip == "::" }

    /// Calls `body` with this address as a sockaddr.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch family {
        case .ipv4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            _ = inet_pton(AF_INET, ip, &sin.sin_addr)
            return Self.asSockAddr(&sin, body)
        case .ipv6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, ip, &sin6.sin6_addr)
            return Self.asSockAddr(&sin6, body)
        }
    }

    /// A concrete sockaddr_in/_in6 seen as the generic sockaddr the calls take.
    private static func asSockAddr<S, R>(_ address: inout S, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<S>.size)) }
        }
    }

    /// Reads a sockaddr filled in by the kernel (recvfrom, accept, getsockname).
    public init?(storage: UnsafePointer<sockaddr_storage>) {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let sin = UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr_in.self).pointee
            var addr = sin.sin_addr
            guard inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count)) != nil else { return nil }
            // inet_ntop's dotted quad is already canonical: no second parse per packet.
            self.init(canonicalIP: SocketAddress.text(buf), port: UInt16(bigEndian: sin.sin_port), family: .ipv4)
        case AF_INET6:
            let sin6 = UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr_in6.self).pointee
            var addr = sin6.sin6_addr
            guard inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count)) != nil else { return nil }
            self.init(ip: SocketAddress.text(buf), port: UInt16(bigEndian: sin6.sin6_port))
        default:
            return nil
        }
    }

    private static func text(_ buf: [CChar]) -> String {
        String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The local address the kernel would use to reach `remote` (a routing
    /// lookup via an unsent connected UDP socket); what Contact and Via
    /// should carry when the daemon listens on a wildcard address.
    public static func localAddress(toward remote: SocketAddress) -> SocketAddress? {
        let fd = socket(remote.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard remote.withSockAddr({ connect(fd, $0, $1) }) == 0 else { return nil }
        return SocketOps.localAddress(fd)
    }
}

/// errno as text, for log lines and transport error reasons.
/// The text of a C `errno` value.
public func errnoText(_ code: Int32 = errno) -> String {
    String(decoding: strerror(code).map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) }.map { Array($0) } ?? [], as: UTF8.self)
}
