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
        Key(name: "sipendpoint.transport-protocol", help: "UDP or TCP (TLS: not yet supported)") { c, v in
            switch v.lowercased() {
            case "udp": c.transport = .udp
            case "tcp": c.transport = .tcp
            case "tls": return "TLS is not yet supported by this build; use UDP or TCP"
            default: return "must be UDP or TCP"
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
            guard v.hasPrefix("/") else { return "must be an absolute path" }
            c.stateDirectory = v; return nil
        },
        Key(name: "sipendpoint.log-level", help: "trace, debug, info, notice, warning, error (default info)") { c, v in
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(v.lowercased()) else { return "must be one of \(levels.joined(separator: ", "))" }
            c.logLevel = v.lowercased(); return nil
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
        Key(name: "sipendpoint.shutdown-timeout", help: "longest wait for unregistration at stop, seconds (default 5)") { c, v in
            guard let n = Double(v), n >= 0.1, n <= 60 else { return "must be from 0.1 to 60 seconds" }
            c.shutdownTimeout = .milliseconds(Int64(n * 1000)); return nil
        },
        Key(name: "sipendpoint.tcp.incomplete-message-timeout", help: "close a TCP connection whose message stays incomplete this long, seconds (default 32)") { c, v in
            guard let n = Double(v), n >= 0.2, n <= 600 else { return "must be from 0.2 to 600 seconds" }
            c.streamIncompleteTimeout = .milliseconds(Int64(n * 1000)); return nil
        },
    ]

    public static var keyNames: [String] { keys.map(\.name) }

    static func isHost(_ v: String) -> Bool {
        if IPAddressText.isIPLiteral(v.trimmingCharacters(in: "[]")) { return true }
        guard !v.isEmpty, v.utf8.count <= 253 else { return false }
        return v.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) || $0 == 0x2D || $0 == 0x2E }
    }

    /// Validates every entry and the cross-key rules; all problems at once.
    public static func load(_ entries: [ConfigEntry]) -> Result<EndpointConfiguration, ConfigErrors> {
        var config = EndpointConfiguration(user: "", sipServerAddress: "")
        var errors: [ConfigError] = []
        let byName = Dictionary(uniqueKeysWithValues: keys.map { ($0.name, $0) })
        var lines: [String: Int] = [:]
        for e in entries {
            guard let key = byName[e.key] else {
                let hint = EditDistance.closest(to: e.key, in: keyNames).map { "; did you mean '\($0)'?" } ?? ""
                errors.append(ConfigError(.unknownKey, key: e.key, line: e.line, "unknown key\(hint)"))
                continue
            }
            lines[e.key] = e.line
            if let problem = key.apply(&config, e.value) {
                errors.append(ConfigError(.badValue, key: e.key, line: e.line, "value '\(e.key.contains("password") ? "<redacted>" : e.value)' is invalid: \(problem)"))
            }
        }
        for required in ["sipendpoint.user", "sipendpoint.sip-server-address"] where lines[required] == nil {
            errors.append(ConfigError(.missingKey, key: required, line: nil, "required key is missing"))
        }
        if config.password != nil, config.passwordFile != nil {
            errors.append(ConfigError(.badValue, key: "sipendpoint.password-file", line: lines["sipendpoint.password-file"],
                                      "set either sipendpoint.password or sipendpoint.password-file, not both"))
        }
        if config.sbcRegisterPort == 0 {
            let host = config.registerTarget.host
            if IPAddressText.isIPLiteral(host.trimmingCharacters(in: "[]")) {
                errors.append(ConfigError(.badValue, key: "sipendpoint.sbc-register-port", line: lines["sipendpoint.sbc-register-port"],
                                          "port 0 asks for a DNS SRV lookup, but '\(host)' is an IP address, which has no SRV records"))
            } else {
                errors.append(ConfigError(.unsupported, key: "sipendpoint.sbc-register-port", line: lines["sipendpoint.sbc-register-port"],
                                          "port 0 (DNS SRV lookup of '\(host)') is not yet supported by this build; give a port"))
            }
        }
        return errors.isEmpty ? .success(config) : .failure(ConfigErrors(errors: errors))
    }
}
