import Foundation

/// A free TCP port on 127.0.0.1 (bound, read, released).
func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return UInt16(bigEndian: addr.sin_port)
}

/// A SIP port for a daemon or baresip, which listen on P (UDP and TCP) and
/// baresip on P + 1 (TLS): all free, and below the kernel's ephemeral range
/// (32768 and up), so no client connection of a test running beside it can
/// take them in the meantime (seen twice: baresip's TLS bind failed, and a
/// restarted daemon found its ephemeral-range port taken).
func freeSIPPortPair() -> UInt16 {
    func bindable(_ port: UInt16, _ type: Int32) -> Bool {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = port.bigEndian
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
    for _ in 0..<200 {
        let p = UInt16.random(in: 20000...29998)
        let tcp = Int32(SOCK_STREAM.rawValue), udp = Int32(SOCK_DGRAM.rawValue)
        if bindable(p, tcp) && bindable(p, udp) && bindable(p + 1, tcp) { return p }
    }
    return freePort()
}

struct HTTPResult {
    var status: Int
    var headers: [String: String]
    var body: String
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
}

/// One HTTP/1.1 exchange on a new connection (Connection: close).
func http(_ method: String, _ path: String, port: UInt16, headers: [String: String] = [:], body: String = "") async throws -> HTTPResult {
    let s = try SocketClient(tcpTo: "127.0.0.1", port: port)
    var req = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (k, v) in headers { req += "\(k): \(v)\r\n" }
    if !body.isEmpty || method == "POST" { req += "Content-Length: \(body.utf8.count)\r\n" }
    s.send(req + "\r\n" + body)
    var data: [UInt8] = []
    while true {
        guard case .data(let d) = await s.receive(timeout: .seconds(5)) else { break }
        data += d
    }
    return parseHTTP(data)
}

func parseHTTP(_ data: [UInt8]) -> HTTPResult {
    let text = String(decoding: data, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { return HTTPResult(status: 0, headers: [:], body: text) }
    let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
    let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    var headers: [String: String] = [:]
    for l in lines.dropFirst() {
        if let c = l.firstIndex(of: ":") { headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces) }
    }
    return HTTPResult(status: status, headers: headers, body: String(text[split.upperBound...]))
}
