import ArgumentParser
import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// `sipendpointd status`: asks the control port and prints a summary.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show registrations, sites and calls of the running daemon.")

    @Option(name: .long, help: "Config file (for the control address, port and token).")
    var config: String = "/etc/sipendpointd/sipendpointd.conf"

    @Flag(name: .long, help: "Print the raw /v1/status JSON.")
    var json = false

    func run() throws {
        var address = "127.0.0.1", port: UInt16 = 8200, token: String?
        if case .success(let c) = ConfigLoader.load(path: config) {
            address = c.controlAddress
            port = c.controlPort
            token = EndpointService.token(c)
        }
        let result = Self.get(address: address, port: port, path: "/v1/status", token: token)
        guard let data = result.body, result.status == 200 else {
            Text.printError("sipendpointd status: cannot read http://\(address):\(port)/v1/status: \(result.error ?? "HTTP \(result.status)")")
            throw ExitCode(3)
        }
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        guard let s = try? JSONDecoder().decode(Status.self, from: data) else { throw ExitCode(3) }
        print("sipendpointd \(s.version ?? "?"): \(s.ready ? "ready" : "NOT READY"), active site: \(s.active_site ?? "none")")
        for site in s.sites {
            var line = "  \(site.site ?? "?"): \(site.state ?? "?")"
            if let t = site.target { line += " via \(site.transport ?? "?")://\(t)" }
            if let e = site.expires { line += ", expires \(e) s" }
            if let r = site.reason { line += " — \(r)" }
            line += " (since \(site.since ?? "?"))"
            print(line)
        }
        print("  calls: \(s.calls.count)")
    }

    /// What the status line reads of `/v1/status`.
    struct Status: Decodable {
        struct Site: Decodable {
            let site: String?, state: String?, target: String?, transport: String?, reason: String?, since: String?
            let expires: Int?
        }
        /// A call, only counted here.
        struct Call: Decodable {}
        let ready: Bool
        let version: String?
        let active_site: String?
        let sites: [Site]
        let calls: [Call]
    }

    /// A one-shot HTTP/1.1 GET over a blocking socket with 5 s timeouts.
    static func get(address: String, port: UInt16, path: String, token: String?) -> (status: Int, body: Data?, error: String?) {
        guard let addr = SocketAddress(ip: address, port: port) else { return (0, nil, "bad address") }
        let fd = socket(addr.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (0, nil, String(cString: strerror(errno))) }
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard addr.withSockAddr({ connect(fd, $0, $1) }) == 0 else { return (0, nil, String(cString: strerror(errno))) }
        var req = "GET \(path) HTTP/1.1\r\nHost: \(addr)\r\nConnection: close\r\n"
        if let token { req += "Authorization: Bearer \(token)\r\n" }
        req += "\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 16_384)
        while data.count < 1_048_576 {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        let bytes = [UInt8](data), marker: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<($0 + 4)].elementsEqual(marker) }) else { return (0, nil, "no HTTP answer") }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, Data(bytes[(end + 4)...]), nil)
    }
}

import SIPCore
