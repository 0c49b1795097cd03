#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// IP address text helpers over inet_pton/inet_ntop.
public enum IPAddressText {
    /// Canonical form of an IPv6 reference's content, tolerating the
    /// three-colon form RFC 5118 §4.10 asks receivers to accept.
    public static func normalizeIPv6Reference(_ s: String) -> String? {
        if let n = canonicalIPv6(s) { return n }
        // RFC 5118 §4.10: collapse the first ":::" to "::" and try again.
        let u = Array(s.utf8)
        guard let i = u.indices.first(where: { $0 + 2 < u.count && u[$0] == 0x3A && u[$0 + 1] == 0x3A && u[$0 + 2] == 0x3A }) else { return nil }
        return canonicalIPv6(String(decoding: u[..<i] + u[(i + 1)...], as: UTF8.self))
    }

    public static func canonicalIPv6(_ s: String) -> String? {
        var addr = in6_addr()
        guard inet_pton(AF_INET6, s, &addr) == 1 else { return nil }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count)) != nil else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func isIPv4(_ s: String) -> Bool {
        var addr = in_addr()
        return inet_pton(AF_INET, s, &addr) == 1
    }

    public static func isIPv6(_ s: String) -> Bool { canonicalIPv6(s) != nil }
    public static func isIPLiteral(_ s: String) -> Bool { isIPv4(s) || isIPv6(s) }
}
