/// A place to send SIP requests: an address, a transport, and the host
/// name the TLS certificate must match (the SRV target's name after an SRV
/// lookup, never the IP).
public struct SIPTarget: Sendable, Hashable, CustomStringConvertible {
    public var address: SocketAddress
    public var kind: SIPTransportKind
    public var serverName: String

    public init(address: SocketAddress, kind: SIPTransportKind, serverName: String) {
        self.address = address
        self.kind = kind
        self.serverName = serverName
    }

    public var destination: TransportDestination { TransportDestination(kind: kind, address: address, serverName: serverName) }
    public var description: String { "\(kind)://\(address)" + (serverName == address.ip ? "" : " (\(serverName))") }
}

/// What to resolve: a host and either a port or "look up SRV" (Genesys
/// port 0), with the transport when one is forced.
public struct SIPTargetSpec: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    /// nil: DNS SRV (RFC 3263 §4.2).
    public var port: UInt16?
    /// nil: not forced — NAPTR decides (RFC 3263 §4.1).
    public var kind: SIPTransportKind?

    public init(host: String, port: UInt16?, kind: SIPTransportKind?) {
        self.host = host
        self.port = port
        self.kind = kind
    }

    public var description: String { "\(host):\(port.map(String.init) ?? "SRV")" + (kind.map { " \($0)" } ?? "") }
}

/// RFC 3263 client procedure over ``DNSResolver``: NAPTR → SRV → A/AAAA,
/// producing every target in the order they should be tried.
public struct SIPTargetResolver: Sendable {
    public let dns: DNSResolver
    /// Address families in preference order (`sipendpoint.ip_version`).
    public let families: [SocketAddress.Family]
    public let random: RandomSource
    public let hosts: HostsFile

    public init(dns: DNSResolver, families: [SocketAddress.Family] = [.ipv4], random: RandomSource = .system, hosts: HostsFile = .system()) {
        self.dns = dns
        self.families = families
        self.random = random
        self.hosts = hosts
    }

    public func resolve(_ spec: SIPTargetSpec) async throws(DNSLookupError) -> [SIPTarget] {
        let host = spec.host.hasPrefix("[") ? String(spec.host.dropFirst().dropLast()) : spec.host
        if IPAddressText.isIPLiteral(host) {
            let kind = spec.kind ?? .udp
            guard let a = SocketAddress(ip: host, port: spec.port ?? defaultPort(kind)), families.contains(a.family) else {
                throw DNSLookupError(name: host, reason: "address family not enabled (sipendpoint.enable_ipv6 / ip_version)")
            }
            return [SIPTarget(address: a, kind: kind, serverName: host)]
        }
        if let port = spec.port {
            let kind = spec.kind ?? .udp
            return try await addresses(host, port: port, kind: kind)
        }
        // SRV: by the forced transport, or as NAPTR says.
        var services: [(String, SIPTransportKind)] = []
        if let kind = spec.kind {
            services = [(srvName(kind, host), kind)]
        } else {
            services = try await naptr(host)
            if services.isEmpty { services = [SIPTransportKind.tls, .tcp, .udp].map { (srvName($0, host), $0) } }
        }
        var targets: [SIPTarget] = []
        var lastError: DNSLookupError?
        for (name, kind) in services {
            let records = try await lookup(name, .srv).compactMap { a -> SRVRecord? in
                if case .srv(let p, let w, let port, let t) = a.record { return SRVRecord(priority: p, weight: w, port: port, target: t) }
                return nil
            }
            for r in SRVSelection.order(records, random: random) {
                do throws(DNSLookupError) {
                    targets += try await addresses(r.target, port: r.port, kind: kind)
                } catch {
                    lastError = error
                }
            }
            if !targets.isEmpty && spec.kind == nil { break }
        }
        if targets.isEmpty, spec.kind != nil || services.count > 0 {
            // No SRV records: the domain itself on the default port (RFC 3263 §4.2).
            let kind = spec.kind ?? .udp
            do throws(DNSLookupError) {
                targets = try await addresses(host, port: defaultPort(kind), kind: kind)
            } catch {
                throw lastError ?? error
            }
        }
        return targets
    }

    func defaultPort(_ kind: SIPTransportKind) -> UInt16 { kind == .tls ? 5061 : 5060 }

    func srvName(_ kind: SIPTransportKind, _ host: String) -> String {
        switch kind {
        case .udp: return "_sip._udp.\(host)"
        case .tcp: return "_sip._tcp.\(host)"
        case .tls: return "_sips._tcp.\(host)"
        }
    }

    /// NAPTR records for SIP services we support, in order/preference order.
    func naptr(_ host: String) async throws(DNSLookupError) -> [(String, SIPTransportKind)] {
        let answers = (try? await lookup(host, .naptr)) ?? []
        var rows: [(UInt16, UInt16, String, SIPTransportKind)] = []
        for a in answers {
            guard case .naptr(let order, let pref, let flags, let service, _, let replacement) = a.record, flags.lowercased() == "s" else { continue }
            let kind: SIPTransportKind?
            switch service.uppercased() {
            case "SIP+D2U": kind = .udp
            case "SIP+D2T": kind = .tcp
            case "SIPS+D2T": kind = .tls
            default: kind = nil
            }
            if let kind { rows.append((order, pref, replacement, kind)) }
        }
        return rows.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { ($0.2, $0.3) }
    }

    func addresses(_ host: String, port: UInt16, kind: SIPTransportKind) async throws(DNSLookupError) -> [SIPTarget] {
        var out: [SIPTarget] = []
        var lastError: DNSLookupError?
        for family in families {
            var ips = hosts.lookup(host, family)
            if ips.isEmpty {
                do throws(DNSLookupError) {
                    ips = try await lookup(host, family == .ipv4 ? .a : .aaaa).compactMap { a -> String? in
                        switch a.record {
                        case .a(let ip), .aaaa(let ip): return ip
                        default: return nil
                        }
                    }
                } catch {
                    lastError = error
                }
            }
            out += ips.compactMap { SocketAddress(ip: $0, port: port) }.map { SIPTarget(address: $0, kind: kind, serverName: host) }
        }
        if out.isEmpty { throw lastError ?? DNSLookupError(name: host, reason: "no address records") }
        return out
    }

    func lookup(_ name: String, _ type: DNSRecordType) async throws(DNSLookupError) -> [DNSAnswer] {
        let result = await withCheckedContinuation { c in dns.lookup(name, type) { c.resume(returning: $0) } }
        return try result.get()
    }
}

/// /etc/hosts, consulted before DNS for A/AAAA as the system resolver does.
public struct HostsFile: Sendable {
    public let entries: [(String, String)]

    public init(entries: [(String, String)]) { self.entries = entries }

    public static func system(path: String = "/etc/hosts") -> HostsFile {
        guard let f = fopen(path, "r") else { return HostsFile(entries: []) }
        defer { fclose(f) }
        var out: [(String, String)] = []
        var line = [CChar](repeating: 0, count: 1024)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?.split { $0 == " " || $0 == "\t" || $0 == "\n" } ?? []
            guard fields.count >= 2 else { continue }
            for name in fields.dropFirst() { out.append((name.lowercased(), String(fields[0]))) }
        }
        return HostsFile(entries: out)
    }

    public func lookup(_ host: String, _ family: SocketAddress.Family) -> [String] {
        entries.filter { $0.0 == host.lowercased() }.map(\.1).filter { family == .ipv4 ? IPAddressText.isIPv4($0) : IPAddressText.isIPv6($0) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
