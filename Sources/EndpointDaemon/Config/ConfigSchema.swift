import SIPCore

/// Every key the daemon knows, how its value is read, and what it means.
/// Key names follow the Genesys SIP Endpoint options where one exists.
public enum ConfigSchema {
    struct Key: Sendable {
        let name: String
        let help: String
        let apply: @Sendable (inout EndpointConfiguration, String) -> String?
    }

    static let keys: [Key] = [
        Key(name: "sipendpoint.user", help: "agent DN: the SIP user part (required)") { c, v in
            guard !v.isEmpty, v.utf8.allSatisfy({ $0 > 0x20 && $0 != UInt8(ascii: "@") && $0 != UInt8(ascii: ":") }) else {
                return "must be a non-empty user part without spaces, '@' or ':'"
            }
            c.user = v; return nil
        },
        Key(name: "sipendpoint.password", help: "digest password (prefer password-file)") { c, v in c.password = v; return nil },
        Key(name: "sipendpoint.password-file", help: "file whose first line is the digest password") { c, v in
            guard !v.isEmpty else { return "must be a file path" }
            c.passwordFile = v; return nil
        },
        Key(name: "sipendpoint.auth-user", help: "digest username (default: user)") { c, v in c.authUser = v.isEmpty ? nil : v; return nil },
        Key(name: "sipendpoint.auth-realm", help: "answer digest challenges only from this realm (default: any)") { c, v in c.authRealm = v.isEmpty ? nil : v; return nil },
        Key(name: "sipendpoint.domain", help: "AOR domain (default: sip-server-address)") { c, v in c.domain = v.isEmpty ? nil : v; return nil },
        Key(name: "sipendpoint.sip-server-address", help: "SIP Server host or IP (required)") { c, v in
            guard isHost(v) else { return "must be a host name or IP address" }
            c.sipServerAddress = v; return nil
        },
        Key(name: "sipendpoint.sip-server-port", help: "SIP Server sip-port (default 5060)") { c, v in
            guard let p = UInt16(v), p > 0 else { return "must be a port from 1 to 65535" }
            c.sipServerPort = p; return nil
        },
        Key(name: "sipendpoint.sbc-register-address", help: "where REGISTER goes (empty: the SIP Server)") { c, v in
            guard v.isEmpty || isHost(v) else { return "must be empty, a host name or an IP address" }
            c.sbcRegisterAddress = v.isEmpty ? nil : v; return nil
        },
        Key(name: "sipendpoint.sbc-register-port", help: "port for REGISTER (empty: the SIP Server's sip-port; 0: DNS SRV)") { c, v in
            if v.isEmpty { c.sbcRegisterPort = nil; return nil }
            guard let p = UInt16(v) else { return "must be empty, 0 (DNS SRV) or a port from 1 to 65535" }
            c.sbcRegisterPort = p; return nil
        },
        Key(name: "sipendpoint.sip-server-address.peer", help: "peer site SIP Server (Business Continuity; default: the preferred one)") { c, v in
            guard v.isEmpty || isHost(v) else { return "must be empty, a host name or an IP address" }
            c.sipServerAddressPeer = v.isEmpty ? nil : v; return nil
        },
        Key(name: "sipendpoint.sip-server-port.peer", help: "peer site SIP Server sip-port (default: sip-server-port)") { c, v in
            if v.isEmpty { c.sipServerPortPeer = nil; return nil }
            guard let p = UInt16(v), p > 0 else { return "must be a port from 1 to 65535" }
            c.sipServerPortPeer = p; return nil
        },
        Key(name: "sipendpoint.sbc-register-address.peer", help: "where the peer-site REGISTER goes (empty: the peer SIP Server)") { c, v in
            guard v.isEmpty || isHost(v) else { return "must be empty, a host name or an IP address" }
            c.sbcRegisterAddressPeer = v.isEmpty ? nil : v; return nil
        },
        Key(name: "sipendpoint.sbc-register-port.peer", help: "port for the peer-site REGISTER (empty: peer sip-port; 0: DNS SRV)") { c, v in
            if v.isEmpty { c.sbcRegisterPortPeer = nil; return nil }
            guard let p = UInt16(v) else { return "must be empty, 0 (DNS SRV) or a port from 1 to 65535" }
            c.sbcRegisterPortPeer = p; return nil
        },
        Key(name: "sipendpoint.bc.hysteresis", help: "seconds the preferred site must stand before the active site returns to it (default 5)") { c, v in
            guard let d = seconds(v, 0...3600) else { return secondsProblem(0...3600) }
            c.hysteresis = d; return nil
        },
        Key(name: "sipendpoint.fleet.spread", help: "seconds over which boot, a network change and a site's return after a lasting outage spread the first REGISTER, so a fleet does not register in one second; 0 = at once (default 10)") { c, v in
            guard let d = seconds(v, 0...3600) else { return secondsProblem(0...3600) }
            c.fleetSpread = d; return nil
        },
        Key(name: "sipendpoint.memory.release-unused-code", help: "1: a few seconds after start-up, a call's set-up or a control request, unmap the code pages they touched once (they stay in the page cache: no disk read when used again), so the daemon's resident memory is what it goes on using; 0: leave them mapped (default 1)") { c, v in
            guard let b = flag(v) else { return "must be 0 or 1" }
            c.releaseUnusedCode = b; return nil
        },
        Key(name: "sipendpoint.outbound", help: "1: RFC 5626 reg-id on each site's Contact with Supported: outbound, so an outbound registrar keeps one binding per flow; 0: plain RFC 3261 (default 1)") { c, v in
            guard let b = flag(v) else { return "must be 0 or 1" }
            c.outbound = b; return nil
        },
        Key(name: "sipendpoint.keepalive.interval", help: "seconds between keep-alives (CRLF ping on TCP/TLS, binding probe on UDP), also how often a site where nothing listens is tried again; 0 turns keep-alives off (default 1.5)") { c, v in
            guard let n = Double(v), n == 0 || (n >= 0.2 && n <= 600) else { return "must be 0 or from 0.2 to 600 seconds" }
            if n == 0 { c.keepAlive = nil } else {
                var k = c.keepAlive ?? KeepAliveSettings()
                k.interval = .milliseconds(Int64(n * 1000))
                c.keepAlive = k
            }
            return nil
        },
        Key(name: "sipendpoint.keepalive.udp-misses", help: "unanswered UDP keep-alives in a row that mean the site is gone (default 2)") { c, v in
            guard let n = Int(v), n >= 1, n <= 10 else { return "must be from 1 to 10" }
            if var k = c.keepAlive { k.udpMisses = n; c.keepAlive = k }
            return nil
        },
        Key(name: "sipendpoint.transport-protocol", help: "UDP, TCP or TLS (unset: UDP, or NAPTR's choice for an SRV domain)") { c, v in
            switch v.lowercased() {
            case "udp": c.transport = .udp
            case "tcp": c.transport = .tcp
            case "tls": c.transport = .tls
            case "": c.transport = nil
            default: return "must be UDP, TCP or TLS"
            }
            return nil
        },
        Key(name: "sipendpoint.dns-server", help: "nameservers as ip[:port], comma-separated (default: /etc/resolv.conf)") { c, v in
            var list: [SocketAddress] = []
            for item in v.split(separator: ",").map({ $0.trimmingCharacters(in: " ") }) where !item.isEmpty {
                guard let a = parseHostPort(item, defaultPort: 53) else { return "'\(item)' is not ip[:port] (IPv6 as [addr]:port)" }
                list.append(a)
            }
            c.dnsServers = list.isEmpty ? nil : list
            return nil
        },
        Key(name: "sipendpoint.tls.ca-file", help: "CA bundle (PEM) that signs the SIP Server/SBC certificate (default: the system store)") { c, v in
            if let problem = absolutePath(v) { return problem }
            c.tls.caFile = v; return nil
        },
        Key(name: "sipendpoint.tls.certificate-file", help: "client certificate chain (PEM) for mutual TLS") { c, v in
            if let problem = absolutePath(v) { return problem }
            c.tls.certificateFile = v; return nil
        },
        Key(name: "sipendpoint.tls.private-key-file", help: "unencrypted private key (PEM) of the client certificate") { c, v in
            if let problem = absolutePath(v) { return problem }
            c.tls.privateKeyFile = v; return nil
        },
        Key(name: "sipendpoint.tls.verify-peer", help: "verify the server certificate and host name (default true)") { c, v in
            guard let b = flag(v) else { return "must be true or false" }
            c.tls.verifyPeer = b; return nil
        },
        Key(name: "sipendpoint.enable_ipv6", help: "use IPv6 too (default false)") { c, v in
            guard let b = flag(v) else { return "must be true or false" }
            c.enableIPv6 = b; return nil
        },
        Key(name: "sipendpoint.ip_version", help: "4, 6, 4,6 or 6,4: families in preference order (default 4,6)") { c, v in
            switch v.replacing(" ", with: "") {
            case "4": c.ipVersion = [.ipv4]
            case "6": c.ipVersion = [.ipv6]
            case "4,6": c.ipVersion = [.ipv4, .ipv6]
            case "6,4": c.ipVersion = [.ipv6, .ipv4]
            default: return "must be 4, 6, 4,6 or 6,4"
            }
            return nil
        },
        Key(name: "sipendpoint.proxies.proxy0.reg_timeout", help: "requested registration expiry, seconds (default 1800)") { c, v in
            guard let n = UInt32(v), n >= 1 else { return "must be a number of seconds from 1 to 4294967295" }
            c.regTimeout = n; return nil
        },
        Key(name: "sipendpoint.proxies.proxy0.reg_interval", help: "retry interval after a failed registration, seconds (default 30)") { c, v in
            guard let n = Int64(v), n >= 1, n <= 86_400 else { return "must be a number of seconds from 1 to 86400" }
            c.regInterval = .seconds(n); return nil
        },
        Key(name: "sipendpoint.local-address", help: "IP address to bind (default: all IPv4 and IPv6 addresses)") { c, v in
            guard v.isEmpty || IPAddressText.isIPLiteral(v.trimmingCharacters(in: "[]")) else { return "must be a numeric IPv4 or IPv6 address" }
            c.localAddress = v.isEmpty ? nil : v.trimmingCharacters(in: "[]"); return nil
        },
        Key(name: "sipendpoint.local-port", help: "SIP port for UDP and TCP (default 0: the kernel picks one)") { c, v in
            guard let p = UInt16(v) else { return "must be a port from 0 to 65535" }
            c.localPort = p; return nil
        },
        Key(name: "sipendpoint.state-directory", help: "where the instance id is kept (default $STATE_DIRECTORY or /var/lib/sipendpointd)") { c, v in
            if let problem = absolutePath(v) { return problem }
            c.stateDirectory = v; return nil
        },
        Key(name: "sipendpoint.log-level", help: "trace, debug, info, notice, warning, error (default info)") { c, v in
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(v.lowercased()) else { return "must be one of \(levels.joined(separator: ", "))" }
            c.logLevel = v.lowercased(); return nil
        },
        Key(name: "sipendpoint.control-address", help: "HTTP control port address (default 127.0.0.1; others need TLS and a token)") { c, v in
            guard IPAddressText.isIPLiteral(v.trimmingCharacters(in: "[]")) else { return "must be a numeric IP address" }
            c.controlAddress = v.trimmingCharacters(in: "[]"); return nil
        },
        Key(name: "sipendpoint.control-port", help: "HTTP control port (default 8200; 0 turns the control port off)") { c, v in
            guard let p = UInt16(v) else { return "must be a port from 0 to 65535" }
            c.controlPort = p; return nil
        },
        Key(name: "sipendpoint.control-allowed-origins", help: "web origins allowed to call the control port, comma-separated (exact match; never *)") { c, v in
            let list = v.split(separator: ",").map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
            if list.contains("*") { return "'*' is not allowed: list each origin (scheme://host[:port])" }
            for o in list where !(o.hasPrefix("http://") || o.hasPrefix("https://")) || o.hasSuffix("/") {
                return "'\(o)' is not an origin (scheme://host[:port], no path)"
            }
            c.controlAllowedOrigins = list; return nil
        },
        Key(name: "sipendpoint.control-token", help: "bearer token required on the control port (prefer control-token-file)") { c, v in
            guard v.utf8.count >= 16 else { return "must be at least 16 characters" }
            c.controlToken = v; return nil
        },
        Key(name: "sipendpoint.control-token-file", help: "file whose first line is the control bearer token") { c, v in
            if let problem = absolutePath(v) { return problem }
            c.controlTokenFile = v; return nil
        },
        Key(name: "sipendpoint.control-tls-certificate-file", help: "HTTPS certificate (PEM) for the control port") { c, v in
            if let problem = absolutePath(v) { return problem }
            c.controlTLSCertificateFile = v; return nil
        },
        Key(name: "sipendpoint.control-tls-private-key-file", help: "HTTPS private key (PEM, unencrypted) for the control port") { c, v in
            if let problem = absolutePath(v) { return problem }
            c.controlTLSPrivateKeyFile = v; return nil
        },
        Key(name: "sipendpoint.control-request-timeout", help: "seconds a client has to send a whole request (default 10)") { c, v in
            guard let d = seconds(v, 0.2...300) else { return secondsProblem(0.2...300) }
            c.controlRequestTimeout = d; return nil
        },
        Key(name: "sipendpoint.log-target", help: "auto (journald when run by systemd), journal, or stderr (default auto)") { c, v in
            guard ["auto", "journal", "stderr"].contains(v.lowercased()) else { return "must be auto, journal or stderr" }
            c.logTarget = v.lowercased(); return nil
        },
        Key(name: "sipendpoint.max-message-size", help: "largest SIP message accepted, bytes (default 65536)") { c, v in
            guard let n = Int(v), n >= 1024, n <= 1_048_576 else { return "must be from 1024 to 1048576" }
            c.maxMessageSize = n; return nil
        },
        Key(name: "sipendpoint.timers.t1", help: "RFC 3261 T1 in ms (default 500)") { c, v in
            guard let n = Int64(v), n >= 10, n <= 10_000 else { return "must be from 10 to 10000 ms" }
            c.timers.t1 = .milliseconds(n); return nil
        },
        Key(name: "sipendpoint.timers.t2", help: "RFC 3261 T2 in ms (default 4000)") { c, v in
            guard let n = Int64(v), n >= 10, n <= 60_000 else { return "must be from 10 to 60000 ms" }
            c.timers.t2 = .milliseconds(n); return nil
        },
        Key(name: "sipendpoint.timers.t4", help: "RFC 3261 T4 in ms (default 5000)") { c, v in
            guard let n = Int64(v), n >= 10, n <= 60_000 else { return "must be from 10 to 60000 ms" }
            c.timers.t4 = .milliseconds(n); return nil
        },
        Key(name: "sipendpoint.policy.endpoint.sip_transaction_timeout", help: "ms a client transaction waits for a final response, timers B and F (Genesys option; 1 to 32000; default: 4000 for REGISTER while another target or site could take it, else 64·T1 = 32000)") { c, v in
            guard let n = Int64(v), n >= 1, n <= 32_000 else { return "must be from 1 to 32000 ms" }
            c.timers.clientTimeout = .milliseconds(n); return nil
        },
        Key(name: "sipendpoint.bc.startup-grace", help: "seconds after (re)starting the registrations within which the preferred site becomes active at once, even if the peer answered first (default 3)") { c, v in
            guard let d = seconds(v, 0...60) else { return secondsProblem(0...60) }
            c.startupGrace = d; return nil
        },
        Key(name: "sipendpoint.shutdown-timeout", help: "longest wait for unregistration at stop, seconds (default 5)") { c, v in
            guard let n = Double(v), n >= 0.1, n <= 60 else { return "must be from 0.1 to 60 seconds" }
            c.shutdownTimeout = .milliseconds(Int64(n * 1000)); return nil
        },
        Key(name: "sipendpoint.tcp.incomplete-message-timeout", help: "close a TCP connection whose message stays incomplete this long, seconds (default 32)") { c, v in
            guard let n = Double(v), n >= 0.2, n <= 600 else { return "must be from 0.2 to 600 seconds" }
            c.streamIncompleteTimeout = .milliseconds(Int64(n * 1000)); return nil
        },
    ]

    public static var keyNames: [String] { allKeys.map(\.name) }

    /// Every key, the call and media ones included.
    static var allKeys: [Key] { keys + callKeys }

    /// `ip`, `ip:port`, `[ipv6]` or `[ipv6]:port`.
    static func parseHostPort(_ s: String, defaultPort: UInt16) -> SocketAddress? {
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            let ip = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if rest.isEmpty { return SocketAddress(ip: ip, port: defaultPort) }
            guard rest.first == ":", let p = UInt16(rest.dropFirst()) else { return nil }
            return SocketAddress(ip: ip, port: p)
        }
        let parts = s.split(separator: ":")
        if parts.count == 1 { return SocketAddress(ip: s, port: defaultPort) }
        if parts.count == 2, let p = UInt16(parts[1]), IPAddressText.isIPv4(String(parts[0])) { return SocketAddress(ip: String(parts[0]), port: p) }
        return SocketAddress(ip: s, port: defaultPort) // a bare IPv6 address
    }

    static func isHost(_ v: String) -> Bool {
        if IPAddressText.isIPLiteral(v.trimmingCharacters(in: "[]")) { return true }
        guard !v.isEmpty, v.utf8.count <= 253 else { return false }
        return v.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) || $0 == 0x2D || $0 == 0x2E }
    }

    /// Validates every entry and the cross-key rules; all problems at once.
    public static func load(_ entries: [ConfigEntry]) -> Result<EndpointConfiguration, ConfigErrors> {
        var config = EndpointConfiguration(user: "", sipServerAddress: "")
        var errors: [ConfigError] = []
        let byName = Dictionary(uniqueKeysWithValues: allKeys.map { ($0.name, $0) })
        var lines: [String: Int] = [:]
        for e in entries {
            if byName[e.key] == nil, e.key.hasPrefix(codecPrefix) {
                lines[e.key] = e.line
                if let problem = codecPriority(&config, String(e.key.dropFirst(codecPrefix.count)), e.value) {
                    errors.append(ConfigError(.badValue, key: e.key, line: e.line, "value '\(e.value)' is invalid: \(problem)"))
                }
                continue
            }
            guard let key = byName[e.key] else {
                let hint = EditDistance.closest(to: e.key, in: keyNames).map { "; did you mean '\($0)'?" } ?? ""
                errors.append(ConfigError(.unknownKey, key: e.key, line: e.line, "unknown key\(hint)"))
                continue
            }
            lines[e.key] = e.line
            if let problem = key.apply(&config, e.value) {
                errors.append(ConfigError(.badValue, key: e.key, line: e.line, "value '\(e.key.contains("password") || e.key.contains("token") ? "<redacted>" : e.value)' is invalid: \(problem)"))
            }
        }
        for required in ["sipendpoint.user", "sipendpoint.sip-server-address"] where lines[required] == nil {
            errors.append(ConfigError(.missingKey, key: required, line: nil, "required key is missing"))
        }
        if config.password != nil, config.passwordFile != nil {
            errors.append(ConfigError(.badValue, key: "sipendpoint.password-file", line: lines["sipendpoint.password-file"],
                                      "set either sipendpoint.password or sipendpoint.password-file, not both"))
        }
        if lines["sipendpoint.sip-server-address"] != nil {
            do throws(RegistrationTargetError) {
                _ = try config.registerTarget()
            } catch {
                errors.append(ConfigError(.badValue, key: "sipendpoint.sbc-register-port", line: lines["sipendpoint.sbc-register-port"], error.reason))
            }
            if config.hasPeer {
                do throws(RegistrationTargetError) {
                    _ = try config.peerTarget()
                } catch {
                    errors.append(ConfigError(.badValue, key: "sipendpoint.sbc-register-port.peer", line: lines["sipendpoint.sbc-register-port.peer"], error.reason))
                }
            }
        }
        if config.calls.capabilities.codecs.isEmpty {
            errors.append(ConfigError(.badValue, key: "sipendpoint.policy.codecs.PCMU/8000", line: lines["sipendpoint.policy.codecs.PCMU/8000"],
                                      "every codec this build implements (opus/48000/2, PCMA/8000, PCMU/8000) is disabled: no call could be taken"))
        }
        let loopback = config.controlAddress.hasPrefix("127.") || config.controlAddress == "::1"
        if !loopback, config.controlTLSCertificateFile == nil || (config.controlToken == nil && config.controlTokenFile == nil) {
            errors.append(ConfigError(.badValue, key: "sipendpoint.control-address", line: lines["sipendpoint.control-address"],
                                      "a non-loopback control address needs HTTPS (control-tls-certificate-file/-private-key-file) and a token"))
        }
        if (config.controlTLSCertificateFile == nil) != (config.controlTLSPrivateKeyFile == nil) {
            errors.append(ConfigError(.badValue, key: "sipendpoint.control-tls-private-key-file", line: lines["sipendpoint.control-tls-private-key-file"],
                                      "HTTPS needs both control-tls-certificate-file and control-tls-private-key-file"))
        }
        if let local = config.localAddress, IPAddressText.isIPv6(local), !config.families.contains(.ipv6) {
            errors.append(ConfigError(.badValue, key: "sipendpoint.local-address", line: lines["sipendpoint.local-address"],
                                      "an IPv6 address needs sipendpoint.enable_ipv6 = true and 6 in sipendpoint.ip_version"))
        }
        return errors.isEmpty ? .success(config) : .failure(ConfigErrors(errors: errors))
    }
}
