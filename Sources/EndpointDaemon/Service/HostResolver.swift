import Foundation
import SIPCore

/// Name-to-address lookup through the system resolver (getaddrinfo). It
/// blocks, so it runs on its own queue, never on the SIP queue.
enum HostResolver {
    static func resolve(_ host: String, port: UInt16) -> [SocketAddress] {
        let literal = host.trimmingCharacters(in: "[]")
        if let a = SocketAddress(ip: literal, port: port) { return [a] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var out: [SocketAddress] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let ai = p {
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if ai.pointee.ai_family == AF_INET {
                var sin = ai.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                inet_ntop(AF_INET, &sin.sin_addr, &buf, socklen_t(buf.count))
            } else if ai.pointee.ai_family == AF_INET6 {
                var sin6 = ai.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                inet_ntop(AF_INET6, &sin6.sin6_addr, &buf, socklen_t(buf.count))
            }
            let text = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let a = SocketAddress(ip: text, port: port), !out.contains(a) { out.append(a) }
            p = ai.pointee.ai_next
        }
        // IPv4 first until the IPv6 preference settings arrive.
        return out.sorted { $0.family == .ipv4 && $1.family == .ipv6 }
    }
}
